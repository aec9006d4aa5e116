import type { AttemptJobRequest, AttemptStatus } from '@dropgate/queue';

/** What an Idempotency-Key stands for: the attempt it was first used for, and that request's fingerprint (idempotency.ts requestFingerprint). */
export interface KeyedAttempt {
  attemptId: string;
  fingerprint: string;
}

/** The intake's only way to the queue (and, for expired jobs, to the recorded outcome). */
export interface AttemptGateway {
  enqueue(attemptId: string, job: AttemptJobRequest): Promise<void>;
  /**
   * Remembers `proposal` under (scope, key) unless the key is already known, atomically; returns what the key
   * stands for (the proposal when it is new).
   */
  rememberKey(scope: string, key: string, proposal: KeyedAttempt): Promise<KeyedAttempt>;
  /** What (scope, key) stands for, if it is remembered; remembers nothing. */
  recallKey(scope: string, key: string): Promise<KeyedAttempt | null>;
  view(attemptId: string): Promise<AttemptStatus | null>;
  /** Resolves with the finished view, or null if it did not finish within `ms`. */
  waitFinished(attemptId: string, ms: number): Promise<AttemptStatus | null>;
  /** Jobs waiting to be processed, from a cached value (refreshed a few times a second). */
  depth(): number;
}
