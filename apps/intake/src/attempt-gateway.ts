import { isSuccessOutcome, type AttemptKind, type AttemptResult, type Outcome } from '@dropgate/core';

/** What a client sees of an attempt. */
export interface AttemptView {
  attemptId: string;
  status: 'queued' | 'processing' | 'done' | 'failed';
  outcome?: Outcome;
  code?: string;
  tier?: string;
  reward?: string;
}

export interface AttemptPayload {
  kind: AttemptKind;
  campaignId: string;
  customerId: string;
  code?: string | undefined;
  tier?: string | undefined;
  /** When the intake accepted it (ISO-8601): the attempt is judged as of this time, however late it is processed. */
  acceptedAt: string;
}

/** What an Idempotency-Key stands for: the attempt it was first used for, and that request's body fingerprint. */
export interface KeyedAttempt {
  attemptId: string;
  bodyHash: string;
}

/** The intake's only way to the queue (and, for expired jobs, to the recorded outcome). */
export interface AttemptGateway {
  enqueue(attemptId: string, payload: AttemptPayload): Promise<void>;
  /**
   * Remembers `proposal` under (scope, key) unless the key is already known, atomically; returns what the key
   * stands for (the proposal when it is new).
   */
  rememberKey(scope: string, key: string, proposal: KeyedAttempt): Promise<KeyedAttempt>;
  view(attemptId: string): Promise<AttemptView | null>;
  /** Resolves with the finished view, or null if it did not finish within `ms`. */
  waitFinished(attemptId: string, ms: number): Promise<AttemptView | null>;
  /** Jobs waiting to be processed, from a cached value (refreshed a few times a second). */
  depth(): number;
}

/**
 * What a finished job's `returnvalue` holds: the worker stores only these fields (the attempt id is the job id);
 * older jobs (and test workers) hold the whole AttemptResult, which has them too.
 */
export interface JobResultLike {
  outcome: Outcome;
  code?: string | null | undefined;
  tier?: string | null | undefined;
  reward?: string | null | undefined;
}

export function viewFromResult(result: AttemptResult): AttemptView {
  return viewFromJobResult(result.attemptId, result);
}

export function viewFromJobResult(attemptId: string, result: JobResultLike): AttemptView {
  const success = isSuccessOutcome(result.outcome);
  return {
    attemptId,
    status: 'done',
    outcome: result.outcome,
    ...(success && result.code ? { code: result.code } : {}),
    ...(result.tier ? { tier: result.tier } : {}),
    ...(success && result.reward ? { reward: result.reward } : {}),
  };
}
