/**
 * Sentry's `beforeSend`: takes out of an event what must never leave the process — promo codes, customer ids and
 * tokens (bearer headers, JWTs, the admin token, the customer-JWT secret) — wherever they hide: messages, exception
 * values, breadcrumbs, extra data, contexts, tags, request data. The SDK is already told not to collect headers,
 * bodies or locals (sentry.ts); this is the second net for what code puts into error messages and extras itself.
 *
 * Two rules: a value under a sensitive key (code, customerId, token, authorization, ...) is replaced whole; any
 * string is searched for bearer credentials, JWTs, `key=value` / `"key":"value"` pairs with a sensitive key, the
 * configured secrets, and things shaped like promo codes (upper-case letters and digits, at least 8 or in dashed
 * groups). Over-scrubbing an error message is cheap; leaking a code is not.
 */

export const REDACTED = '[redacted]';

const SENSITIVE_KEY = /^(?:codes?|customer_?ids?|customers?|sub|token|tokens|access_?token|id_?token|authorization|cookie|set-cookie|secret|password|api_?key|admin_?token|idempotency[-_]?key|jwt)$/i;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const PAIR =
  /(["']?\b(?:codes?|customer_?id|customerId|sub|token|access_?token|authorization|secret|password|admin_?token|idempotency[-_]?key)\b["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&)}\]]+)/gi;
/**
 * Promo-code shapes: dashed groups of upper-case letters/digits with a letter (SYN-7KQ2-M4XP; not an ISO date), or 8+
 * upper-case letters and digits with both.
 */
const CODE_LIKE = /(?<![\w-])(?!\d{4}-\d\d-\d\d)(?=[A-Z0-9-]*[A-Z])(?:[A-Z0-9]{2,}-){1,}[A-Z0-9]{2,}\b|\b(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{8,}\b/g;

export interface ScrubOptions {
  /** Literal values to remove wherever they appear (ADMIN_TOKEN, CUSTOMER_JWT_SECRET, ...). */
  secrets?: readonly (string | undefined)[];
}

export function scrubString(value: string, secrets: readonly string[] = []): string {
  let out = value;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(PAIR, (_m, key: string) => `${key}${REDACTED}`)
    .replace(CODE_LIKE, REDACTED);
}

function scrubValue(value: unknown, secrets: readonly string[], depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubString(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12 || seen.has(value)) return REDACTED;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SENSITIVE_KEY.test(key) && inner !== null && inner !== undefined ? REDACTED : scrubValue(inner, secrets, depth + 1, seen);
  }
  return out;
}

/** Fields of an event that carry no user data and must keep their shape (Sentry reads them). */
const KEEP = new Set(['event_id', 'timestamp', 'start_timestamp', 'level', 'platform', 'environment', 'release', 'dist', 'sdk', 'type', 'modules']);

/**
 * A `beforeSend` that returns a scrubbed copy of the event (never drops it: the error is still worth knowing
 * about). Typed loosely so it fits every event type of the SDK.
 */
export function createScrubber(options: ScrubOptions = {}): <E extends object>(event: E) => E {
  // Short "secrets" would redact everything containing them: only real secrets (8+ characters) count.
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 8);
  return <E extends object>(event: E): E => {
    const seen = new WeakSet<object>();
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(event as Record<string, unknown>)) {
      out[key] = KEEP.has(key) ? value : scrubValue(value, secrets, 0, seen);
    }
    return out as E;
  };
}
