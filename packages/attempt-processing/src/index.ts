export { AttemptDeferred, attemptProcessor, InvalidJobError, jobResultOf, processAttempt, type ProcessDeps, type ReceivedAttemptJob, type WrongCodeAttempt } from './process-attempt';
export { batchingRedemptions, type BatchOptions } from './batching-redemptions';
