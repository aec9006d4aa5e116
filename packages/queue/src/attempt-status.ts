import { isOutcome, isSuccessOutcome, type Outcome } from '@dropgate/core';
import { isValidAttemptId } from './attempt-id';
import type { AttemptJobResult } from './attempt-jobs';
import type { AttemptQueue } from './attempt-queue';

export type AttemptState = 'queued' | 'processing' | 'done' | 'failed';

/** What a client sees of an attempt (`GET /v1/attempts/:id`, a waited-for POST). */
export interface AttemptStatus {
  attemptId: string;
  status: AttemptState;
  /** Only when done. */
  outcome?: Outcome;
  /** Only when done and won. */
  code?: string;
  tier?: string;
  reward?: string;
}

/** Has the attempt ended (done, or failed with every try used)? Nothing about it will change any more. */
export function isFinished(status: AttemptStatus): boolean {
  return status.status === 'done' || status.status === 'failed';
}

/**
 * Where an attempt is, read from its BullMQ job: waiting/delayed/prioritized (incl. waiting for a retry) → queued,
 * active → processing, completed → done with its result, failed (all tries used) → failed.
 * Null when no such job is kept (never accepted, or removed after ATTEMPT_RETENTION_S).
 */
export async function getAttemptStatus(queue: AttemptQueue, attemptId: string): Promise<AttemptStatus | null> {
  if (!isValidAttemptId(attemptId)) return null;
  // The state first, then (only when completed) the job: read the other way round, a job read while still active
  // and completed before its state was read showed as done without its outcome.
  const state = await queue.getJobState(attemptId);
  switch (state) {
    case 'waiting':
    case 'delayed':
    case 'prioritized':
    case 'waiting-children':
      return { attemptId, status: 'queued' };
    case 'active':
      return { attemptId, status: 'processing' };
    case 'failed':
      return { attemptId, status: 'failed' };
    case 'completed': {
      const job = await queue.getJob(attemptId);
      return job ? doneStatus(attemptId, job.returnvalue) : null; // removed in between: the store answers
    }
    default:
      return null; // 'unknown': never accepted, or removed after ATTEMPT_RETENTION_S
  }
}

/**
 * A finished attempt as a client may see it, from a job's result or the store's recorded attempt (which has the
 * same fields): the code and reward only when it was won. A value without a known outcome shows as done alone.
 */
export function doneStatus(attemptId: string, result: AttemptJobResult | null | undefined): AttemptStatus {
  if (!result || !isOutcome(result.outcome)) return { attemptId, status: 'done' };
  const success = isSuccessOutcome(result.outcome);
  const status: AttemptStatus = { attemptId, status: 'done', outcome: result.outcome };
  if (success && typeof result.code === 'string' && result.code !== '') status.code = result.code;
  if (typeof result.tier === 'string' && result.tier !== '') status.tier = result.tier;
  if (success && typeof result.reward === 'string' && result.reward !== '') status.reward = result.reward;
  return status;
}
