import { createHash } from 'node:crypto';

/**
 * `Idempotency-Key` support. A key is remembered in Redis (for ATTEMPT_RETENTION_S) as "attempt id + request
 * fingerprint", scoped per attempt kind and per customer: a retry with the same key gets the same attempt id (BullMQ
 * ignores an add whose job id exists; the store's attempt record answers after the job expired), so a retry can
 * never claim twice. The attempt id itself stays random, so knowing a customer and their key reveals nothing.
 */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,128}$/;

/** Whose keys a key is told apart among: one attempt kind's, one customer's (a key means nothing across them). */
export function idempotencyScope(kind: string, customerId: string): string {
  return `${kind}:${customerId}`;
}

/** The Redis key a client's idempotency key is remembered under (hashed: customer ids never appear in keys). */
export function idempotencyRedisKey(prefix: string, scope: string, key: string): string {
  return `${prefix}:idem:${createHash('sha256').update(`${scope}\n${key}`).digest('base64url')}`;
}

/** What an attempt asks for, normalised as it is queued and recorded (the kind and the customer are the key's scope). */
export interface AttemptRequestFacts {
  campaignId: string;
  /** A redemption's code, laid out by the campaign's spec (normalizeCode). */
  code?: string | undefined;
  /** A claim's tier, if it names one. */
  tier?: string | undefined;
}

/**
 * The fingerprint a retry must repeat: the request as it will be recorded, not its spelling. "Alice " and "alice",
 * `syn7kq2m4xp` and `SYN-7KQ2-M4XP`, any key order, a customerId the token already names: one request. Another
 * campaign, code or tier is another request (422 idempotency_key_reused).
 */
export function requestFingerprint(facts: AttemptRequestFacts): string {
  const canonical = JSON.stringify([facts.campaignId, facts.code ?? null, facts.tier ?? null]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}
