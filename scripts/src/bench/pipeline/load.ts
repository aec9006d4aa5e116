import autocannon from 'autocannon';
import { type RunningSystem, scrape, sumOf } from '@dropgate/testkit';
import { formatNumber } from '../table';
import { flags } from './flags';
import { log } from './output';
import { TIER } from './setups';
import type { SystemProcs } from './system-procs';

/** Posts one claim; returns the status and the attempt id of a 202. */
export async function postClaim(sys: RunningSystem, campaignId: string, customerId: string): Promise<{ status: number; attemptId?: string }> {
  const res = await fetch(`${sys.intakeUrl}/v1/claims`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ campaignId, customerId, tier: TIER }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { attemptId?: string };
  return { status: res.status, ...(body.attemptId ? { attemptId: body.attemptId } : {}) };
}

export interface LoadResult {
  result: autocannon.Result;
  acceptedIds: string[];
  firstAcceptAt: number | undefined;
  loadStartAt: number;
  loadEndAt: number;
  statusCounts: Map<number, number>;
}

export const ATTEMPT_ID_IN_BODY = /"attemptId"\s*:\s*"([^"]+)"/;

export async function runLoad(sys: RunningSystem, campaignId: string, sp: SystemProcs, run: string): Promise<LoadResult> {
  let seq = 0;
  const acceptedIds: string[] = [];
  const statusCounts = new Map<number, number>();
  let firstAcceptAt: number | undefined;
  let responses = 0;
  const prefix = `{"campaignId":${JSON.stringify(campaignId)},"tier":"${TIER}","customerId":"b${run}-`;

  const loadStartAt = performance.now();
  const instance = autocannon({
    url: sys.intakeUrl,
    connections: flags.connections,
    duration: flags.duration,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/claims',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: `${prefix}${seq++}"}` }),
        onResponse: (status, body) => {
          responses++;
          statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
          if (status !== 202) return;
          const id = ATTEMPT_ID_IN_BODY.exec(body)?.[1];
          if (id) {
            acceptedIds.push(id);
            firstAcceptAt ??= performance.now();
          }
        },
      },
    ],
  });

  // Progress every 2 s: our own counters + the workers' outcome counters (cheap /metrics reads).
  let lastResponses = 0;
  let lastAt = loadStartAt;
  let lastOutcomes: number | undefined;
  const progress = setInterval(() => {
    const now = performance.now();
    const dt = (now - lastAt) / 1000;
    const rps = (responses - lastResponses) / dt;
    lastResponses = responses;
    lastAt = now;
    void Promise.all(sp.workers.map((w) => (w.metricsUrl ? scrape(w.metricsUrl, 1_000) : Promise.resolve([]))))
      .then((ws) => ws.reduce((n, w) => n + sumOf(w, 'dropgate_worker_outcomes_total'), 0))
      .catch(() => NaN)
      .then((outcomes) => {
        const processedPerSec = lastOutcomes === undefined || Number.isNaN(outcomes) ? NaN : (outcomes - lastOutcomes) / dt;
        lastOutcomes = outcomes;
        const non2xx = [...statusCounts].filter(([s]) => s < 200 || s > 299).reduce((n, [, c]) => n + c, 0);
        log(
          `  t=${((now - loadStartAt) / 1000).toFixed(0).padStart(3)} s  ${formatNumber(Math.round(rps)).padStart(6)} resp/s  ` +
            `accepted ${formatNumber(acceptedIds.length).padStart(8)}  non-2xx ${formatNumber(non2xx).padStart(6)}  ` +
            `processed ${formatNumber(outcomes).padStart(8)}` +
            (Number.isNaN(processedPerSec) ? '' : ` (${formatNumber(Math.round(processedPerSec))}/s)`) +
            `  backlog ~${formatNumber(Math.max(0, acceptedIds.length - outcomes))}`,
        );
      });
  }, 2_000);

  try {
    const result = await instance;
    return { result, acceptedIds, firstAcceptAt, loadStartAt, loadEndAt: performance.now(), statusCounts };
  } finally {
    clearInterval(progress);
  }
}
