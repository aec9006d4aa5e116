import type { HttpResult } from './http-client';

/**
 * Asserts the API's one error shape: status, JSON content type, a body that is exactly
 * `{"error": {"code", "message"[, "details"]}}` with the expected stable code, and nothing that leaks internals
 * (stack frames, HTML pages, file paths).
 */
export function expectApiError(res: HttpResult, status: number, code: string): void {
  expect({ status: res.status, code: (res.json as { error?: { code?: unknown } } | undefined)?.error?.code }).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
  const body = res.json as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['error']);
  const error = body.error as Record<string, unknown>;
  expect(typeof error.message).toBe('string');
  for (const key of Object.keys(error)) expect(['code', 'message', 'details']).toContain(key);
  expect(res.text).not.toMatch(/<html|<!doctype|<pre>/i);
  expect(res.text).not.toMatch(/\bat [^\s]+ \(|\.(?:ts|js):\d+:\d+|node_modules|\/work\//);
}
