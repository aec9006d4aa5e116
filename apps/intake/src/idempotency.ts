import { createHash } from 'node:crypto';

/**
 * `Idempotency-Key` support. The attempt id is derived from the key, so two requests with the same key map
 * to the same queue job (BullMQ ignores an add whose job id exists) and, once the job has expired from
 * Redis, to the same recorded attempt in the store: a retry can never claim twice. The body's hash travels
 * in the job so a reused key with a different body is told apart.
 */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,128}$/;

// Distinct from random attempt ids ('att_…'), so the two can never collide.
const KEYED_PREFIX = 'idem_';

/**
 * Keys are scoped per attempt kind and per customer (two customers who pick the same key get two attempts), and
 * never per URL spelling: `/v1/claims/` and `/V1/Claims` reach the same handler and must give the same attempt.
 */
export function attemptIdForKey(kind: string, customerId: string, key: string): string {
  return KEYED_PREFIX + createHash('sha256').update(`${kind}\n${customerId}\n${key}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 30);
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

/** Was this attempt id derived from an Idempotency-Key (vs. freshly random)? */
export function isKeyedAttempt(attemptId: string): boolean {
  return attemptId.startsWith(KEYED_PREFIX);
}
