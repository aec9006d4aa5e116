import type { z } from 'zod';
import { ApiError } from './api-error';

const KEYS_NAMED = 5;
const KEY_CHARS = 40;

/**
 * What one issue says about the input. Unknown keys are named only a few and shortened: a body of thousands of
 * made-up keys must not buy an answer (and its building) as large as itself.
 */
function describe(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const named = issue.keys.slice(0, KEYS_NAMED).map((k) => JSON.stringify(k.length > KEY_CHARS ? `${k.slice(0, KEY_CHARS)}…` : k));
  const more = issue.keys.length - named.length;
  return `Unrecognized key${issue.keys.length === 1 ? '' : 's'}: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * Parses untrusted input with a schema; failure is a 400 `invalid_request` naming the fields (never echoing
 * the values, which may be huge or hostile).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.') || '(root)', problem: i.code, message: describe(i) }));
  throw new ApiError('invalid_request', `invalid ${what}: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, { details: fields });
}
