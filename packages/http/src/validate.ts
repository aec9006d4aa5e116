import type { z } from 'zod';
import { ApiError } from './api-error';

/**
 * Parses untrusted input with a schema; failure is a 400 `invalid_request` naming the fields (never echoing
 * the values, which may be huge or hostile).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.') || '(root)', problem: i.code, message: i.message }));
  throw new ApiError('invalid_request', `invalid ${what}: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, { details: fields });
}
