import type { JobsOptions } from 'bullmq';
import { isValidAttemptId } from './attempt-id';
import type { AttemptJobPayloads } from './attempt-jobs';
import type { AttemptQueue } from './attempt-queue';
import type { AttemptJobName } from './queue-names';

export interface EnqueueOptions {
  /** Tries in all (JOB_ATTEMPTS); retries happen only on infrastructure errors (thrown by the processor). */
  attempts: number;
  /** First retry delay (JOB_BACKOFF_MS), doubling each time. */
  backoffMs: number;
  /** How long a finished attempt stays readable (ATTEMPT_RETENTION_S). */
  retentionS: number;
  /** How long the attempt waits before a worker may take it (ATTEMPT_HOLD_MS: a BullMQ delay); 0 or absent = none. */
  holdMs?: number | undefined;
}

export class InvalidAttemptIdError extends Error {
  constructor(readonly attemptId: string) {
    super('attempt id must match /^[A-Za-z0-9_-]{8,64}$/ and not be all digits');
    this.name = 'InvalidAttemptIdError';
  }
}

/**
 * The one definition of an attempt job's options: job id = attempt id, the hold (a delay: the job waits in Redis, not
 * in a worker's slot), retries with backoff, retention.
 */
export function attemptJobOptions(attemptId: string, options: EnqueueOptions): JobsOptions {
  return {
    jobId: attemptId,
    ...(options.holdMs ? { delay: options.holdMs } : {}),
    attempts: options.attempts,
    backoff: { type: 'exponential', delay: options.backoffMs },
    removeOnComplete: { age: options.retentionS },
    removeOnFail: { age: options.retentionS },
  };
}

/**
 * Adds an attempt with job id = `attemptId`. Idempotent: enqueueing the same id again (a client retrying its
 * POST) adds nothing while the first job is still kept. Resolves with the attempt id; rejects fast when Redis is
 * unreachable on a 'producer' connection.
 */
export async function enqueueAttempt<N extends AttemptJobName>(
  queue: AttemptQueue,
  name: N,
  payload: AttemptJobPayloads[N],
  attemptId: string,
  options: EnqueueOptions,
): Promise<string> {
  if (!isValidAttemptId(attemptId)) throw new InvalidAttemptIdError(attemptId);
  const job = await queue.add(name, payload, attemptJobOptions(attemptId, options));
  return job.id ?? attemptId;
}
