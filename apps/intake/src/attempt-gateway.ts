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
  /** Fingerprint of the request body, to tell a reused Idempotency-Key with another body apart. */
  bodyHash: string;
}

export interface EnqueueResult {
  /** For Idempotency-Key attempts: the body fingerprint stored with the job (the first request's). */
  storedBodyHash: string | null;
}

/** The intake's only way to the queue (and, for expired jobs, to the recorded outcome). */
export interface AttemptGateway {
  enqueue(attemptId: string, payload: AttemptPayload): Promise<EnqueueResult>;
  view(attemptId: string): Promise<AttemptView | null>;
  /** Resolves with the finished view, or null if it did not finish within `ms`. */
  waitFinished(attemptId: string, ms: number): Promise<AttemptView | null>;
  /** Jobs waiting to be processed, from a cached value (refreshed a few times a second). */
  depth(): number;
}

export function viewFromResult(result: AttemptResult): AttemptView {
  const success = isSuccessOutcome(result.outcome);
  return {
    attemptId: result.attemptId,
    status: 'done',
    outcome: result.outcome,
    ...(success && result.code ? { code: result.code } : {}),
    ...(result.tier ? { tier: result.tier } : {}),
    ...(success && result.reward ? { reward: result.reward } : {}),
  };
}
