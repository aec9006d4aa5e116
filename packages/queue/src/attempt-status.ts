import { isOutcome, type Outcome } from '@dropgate/core';
import { isValidAttemptId } from './attempt-id';
import type { AttemptJobResult } from './attempt-jobs';
import type { AttemptQueue } from './attempt-queue';

export type AttemptState = 'queued' | 'processing' | 'done' | 'failed';

export interface AttemptStatus {
  attemptId: string;
  status: AttemptState;
  /** Only when done. */
  outcome?: Outcome;
  code?: string;
  tier?: string;
  reward?: string;
}

/**
 * Where an attempt is, read from its BullMQ job: waiting/delayed/prioritized (incl. waiting for a retry) → queued,
 * active → processing, completed → done with its result, failed (all tries used) → failed.
 * Null when no such job is kept (never accepted, or removed after ATTEMPT_RETENTION_S).
 */
export async function getAttemptStatus(queue: AttemptQueue, attemptId: string): Promise<AttemptStatus | null> {
  if (!isValidAttemptId(attemptId)) return null;
  const job = await queue.getJob(attemptId);
  if (!job) return null;
  const state = await job.getState();
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
    case 'completed':
      return { attemptId, status: 'done', ...resultFields(job.returnvalue) };
    default:
      return null; // 'unknown': removed between the two reads
  }
}

function resultFields(value: AttemptJobResult | null | undefined): Omit<AttemptStatus, 'attemptId' | 'status'> {
  if (!value || !isOutcome(value.outcome)) return {};
  const fields: Omit<AttemptStatus, 'attemptId' | 'status'> = { outcome: value.outcome };
  if (typeof value.code === 'string') fields.code = value.code;
  if (typeof value.tier === 'string') fields.tier = value.tier;
  if (typeof value.reward === 'string') fields.reward = value.reward;
  return fields;
}
