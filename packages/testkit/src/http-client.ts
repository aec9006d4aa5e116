/** What a test sees of one HTTP exchange. */
export interface HttpResult {
  status: number;
  headers: Headers;
  /** The raw body. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  elapsedMs: number;
}

export interface HttpInit {
  method?: string;
  /** Sent as JSON (with `content-type: application/json` unless `headers` say otherwise). */
  body?: unknown;
  /** Sent exactly as given: for malformed or non-JSON bodies. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** One request with a deadline (a hung server fails the test instead of hanging it). */
export async function http(baseUrl: string, path: string, init: HttpInit = {}): Promise<HttpResult> {
  const hasJson = init.body !== undefined;
  const method = init.method ?? (hasJson || init.raw !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { ...(hasJson ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const started = performance.now();
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: hasJson ? JSON.stringify(init.body) : init.raw,
    signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  const elapsedMs = performance.now() - started;
  let json: unknown;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, headers: res.headers, text, json, elapsedMs };
}
