export { ATTEMPT_JOB_NAMES, isAttemptJobName, QUEUES, type AttemptJobName, type QueueName } from './queue-names';
export type { AttemptJob, AttemptJobContract, AttemptSource, AttemptJobData, AttemptJobPayloads, AttemptJobRequest, AttemptJobResult, ClaimJob, RedeemJob } from './attempt-jobs';
export { isValidAttemptId, newAttemptId } from './attempt-id';
export { closeRedis, createRedis, type CloseRegistry, type ConnectionHealth, type CreateRedisOptions, type RedisKind } from './redis-connection';
export { redisAnswers } from './redis-readiness';
export { redisAddress, RedisUnreachableError, waitForRedis, type WaitForRedisOptions } from './wait-for-redis';
export { ATTEMPT_EVENTS_MAX_LEN, createAttemptQueue, eventsMaxLenOf, type AttemptQueue } from './attempt-queue';
export { createAttemptQueueEvents } from './attempt-queue-events';
export { attemptJobOptions, enqueueAttempt, InvalidAttemptIdError, type EnqueueOptions } from './enqueue-attempt';
export { doneStatus, getAttemptStatus, isFinished, type AttemptState, type AttemptStatus } from './attempt-status';
export {
  createLockReleaseQueue,
  LOCK_SWEEP_SCHEDULER_ID,
  lockReleaseJobId,
  scheduleLockRelease,
  upsertLockSweep,
  type LockReleaseJob,
  type LockReleaseJobContract,
  type LockReleaseJobName,
  type LockReleaseQueue,
  type ReleaseDueLocksJob,
  type ReleaseDueLocksResult,
} from './lock-release-jobs';
export {
  ADMIN_JOB_ID,
  createAdminJobQueue,
  ENDED_ADMIN_JOB_STATES,
  enqueueAdminJob,
  getAdminJobStatus,
  pendingAdminJobsOf,
  newAdminJobId,
  type AdminJob,
  type AdminJobContract,
  type AdminJobData,
  type AdminJobName,
  type AdminJobProgress,
  type AdminJobQueue,
  type AdminJobRequest,
  type AdminJobResult,
  type AdminJobState,
  type AdminJobStatus,
  type GenerateCodesJob,
  type GenerateCodesResult,
  type ImportCodesJob,
} from './admin-jobs';
export { AdminJobCancels } from './admin-job-cancels';
export { UploadStaging, UploadTooLargeError, type StagedUpload, type UploadStagingOptions } from './upload-staging';
