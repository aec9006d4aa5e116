import { type RunningSystem, type Sample, scrape, sumOf } from '@dropgate/testkit';
import { formatNumber } from '../table';
import { log, seconds } from './output';
import type { SystemProcs } from './system-procs';

export interface DrainResult {
  drained: boolean;
  target: number;
  drainedAt: number;
  outcomesAtEnd: number;
}

/**
 * Waits until the recorded outcomes reach `target` (every attempt the intake enqueued): the workers' counters
 * are polled often (cheap), and the admin stats (what the store says) confirm before we call it drained.
 */
export async function drain(sys: RunningSystem, campaignId: string, sp: SystemProcs, target: number, loadEndAt: number, timeoutMs: number): Promise<DrainResult> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  let lastLog = started;
  let lastLogged = NaN;
  let reachedAt: number | undefined;
  const adminOutcomes = async (): Promise<number> => {
    const res = await fetch(`${sys.adminUrl}/admin/v1/campaigns/${campaignId}/stats`, {
      headers: { authorization: `Bearer ${sys.adminToken}` },
      signal: AbortSignal.timeout(30_000),
    });
    const stats = (await res.json()) as { outcomes: Record<string, number> };
    return Object.values(stats.outcomes).reduce((n, v) => n + v, 0);
  };
  for (;;) {
    const now = performance.now();
    const ws = await Promise.all(sp.workers.map((w) => (w.metricsUrl ? scrape(w.metricsUrl).catch(() => [] as Sample[]) : Promise.resolve([] as Sample[]))));
    const processed = ws.reduce((n, w) => n + sumOf(w, 'dropgate_worker_outcomes_total'), 0);
    if (Number.isNaN(lastLogged)) lastLogged = processed;
    if (processed >= target) {
      reachedAt ??= now;
      const confirmed = await adminOutcomes();
      if (confirmed >= target) return { drained: true, target, drainedAt: reachedAt, outcomesAtEnd: confirmed };
    }
    if (now - lastLog >= 5_000) {
      const rate = (processed - lastLogged) / ((now - lastLog) / 1000);
      log(
        `  drain: ${formatNumber(processed)} / ${formatNumber(target)} processed, ${formatNumber(Math.round(rate))}/s, ` +
          `${seconds(now - loadEndAt)} after the load` +
          (rate > 0 ? `, ETA ${seconds(((target - processed) / rate) * 1000)}` : ''),
      );
      lastLog = now;
      lastLogged = processed;
    }
    if (now > deadline) {
      const confirmed = await adminOutcomes().catch(() => processed);
      log(`  drain: TIMED OUT after ${seconds(now - started)} with ${formatNumber(confirmed)} / ${formatNumber(target)} outcomes recorded`);
      return { drained: false, target, drainedAt: now, outcomesAtEnd: confirmed };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
