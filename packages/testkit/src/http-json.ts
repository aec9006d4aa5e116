import { http } from './http-client';

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed body when the response is JSON, else the raw text. */
  body: T;
}

/** A JSON request to a full URL with a deadline (default 30 s): `http()` for load and end-to-end scripts. */
export async function requestJson<T = unknown>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<JsonResponse<T>> {
  const res = await http(url, '', { ...init, timeoutMs: init.timeoutMs ?? 30_000 });
  return { status: res.status, headers: res.headers, body: (res.json === undefined ? res.text : res.json) as T };
}

/** Runs `tasks` with at most `concurrency` in flight; the results in the order of the tasks. */
export async function runPool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}
