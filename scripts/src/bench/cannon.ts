import autocannon from 'autocannon';
import { formatNumber } from './table';

export interface CannonRun {
  /** Requests answered per second over the measured window. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
  responses: number;
  errors: number;
  timeouts: number;
  durationS: number;
  /** p99 latency of the answers other than `503` (what was served), and of the `503`s (what was shed), in ms. */
  servedP99Ms: number;
  shedP99Ms: number;
}

export interface CannonOptions {
  url: string;
  connections: number;
  durationS: number;
  /** The request to send, built per send (rotating addresses, customers, codes). */
  request: () => { method: string; path: string; headers: Record<string, string>; body?: string };
  /** Called with every response (status, body) when the caller needs the bodies (attempt ids, error codes). */
  onResponse?: (status: number, body: string) => void;
  /** Live progress every `progressEveryS` seconds (0: none). */
  progressLabel?: string;
  progressEveryS?: number;
  log?: (line: string) => void;
  /** Aborted (Ctrl-C): the run stops within a second and resolves with what came back so far. */
  signal?: AbortSignal;
}

/**
 * One closed-loop autocannon run driven from TypeScript (the one load generator of the benches): every send builds
 * its own request, the statuses are counted from what came back, and progress lines show the rate as it goes.
 */
export async function cannon(options: CannonOptions): Promise<CannonRun> {
  const log = options.log ?? ((line: string) => void process.stdout.write(line + '\n'));
  let responses = 0;
  const startedAt = performance.now();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationS,
    timeout: 10,
    requests: [
      {
        setupRequest: (req) => ({ ...req, ...options.request() }),
        ...(options.onResponse ? { onResponse: (status: number, body: string) => options.onResponse!(status, body) } : {}),
      },
    ],
  });
  options.signal?.addEventListener('abort', () => instance.stop(), { once: true });
  // Latency by answer kind: a shedding server's overall p99 mixes fast 503s with what it served.
  const served: number[] = [];
  const shed: number[] = [];
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    responses++;
    (status === 503 ? shed : served).push(ms);
  });
  const every = options.progressEveryS ?? 2;
  let last = 0;
  let lastAt = startedAt;
  const progress =
    every > 0
      ? setInterval(() => {
          const now = performance.now();
          const rate = (responses - last) / ((now - lastAt) / 1000);
          last = responses;
          lastAt = now;
          log(`  ${options.progressLabel ?? 'load'}: t=${((now - startedAt) / 1000).toFixed(0).padStart(3)} s  ${formatNumber(Math.round(rate)).padStart(7)} resp/s  ${formatNumber(responses).padStart(9)} responses`);
        }, every * 1000)
      : undefined;
  try {
    const r = await instance;
    const statuses: Record<string, number> = {};
    for (const [status, { count }] of Object.entries(r.statusCodeStats ?? {})) statuses[status] = Number(count);
    const answered = Object.values(statuses).reduce((n, c) => n + c, 0);
    return {
      rps: r.duration > 0 ? Math.round(answered / r.duration) : 0,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      statuses,
      responses: answered,
      errors: r.errors,
      timeouts: r.timeouts,
      durationS: r.duration,
      servedP99Ms: p99(served),
      shedP99Ms: p99(shed),
    };
  } finally {
    if (progress) clearInterval(progress);
  }
}

/** The 99th percentile of `ms` (0 when empty). */
function p99(ms: number[]): number {
  if (ms.length === 0) return 0;
  ms.sort((a, b) => a - b);
  return Math.round(ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.99) - 1)]!);
}

/** `{"404": 10, "429": 2}` → "404 x10, 429 x2" */
export const statusText = (statuses: Record<string, number>): string =>
  Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s} x${formatNumber(n)}`)
    .join(', ') || '(none)';
