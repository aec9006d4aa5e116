import { createHash } from 'node:crypto';

/**
 * `Idempotency-Key` support. A key is remembered in Redis (for ATTEMPT_RETENTION_S) as "attempt id + body
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

export function bodyFingerprint(body: unknown): string {
  return createHash('sha256').update(stableJson(body)).digest('base64url').slice(0, 22);
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
