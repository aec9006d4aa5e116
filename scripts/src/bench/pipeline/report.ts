import { byLabel, histAdd, histDelta, histMean, histQuantile, sumOf } from '@dropgate/testkit';
import type { IntegrityReport } from '../db-checks';
import type { CpuSnapshot } from '../proc-stats';
import { type CommandStat, commandStatsDelta } from '../redis-info';
import { formatNumber, formatTable, round } from '../table';
import type { CpuSplit } from '../cpu-groups';
import { cpuRows, cpuTable } from './cpu-split';
import type { DrainResult } from './drain';
import { flags } from './flags';
import type { LoadResult } from './load';
import { type MetricsSnapshot, claimLatency, histRow, jobDuration, storeBatchSize } from './metrics-snapshot';
import { log, pct } from './output';
import { WaitSampler } from './pg-wait-sampler';
import { PER_CUSTOMER_LIMIT, type Setup } from './setups';
import type { SystemProcs } from './system-procs';

/** The figures of one run, from its measurements: the readable tables, then the summary (the JSON line's keys). */
export type Summary = Record<string, unknown> & {
  acceptedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  processedPerSec: number;
  doubleAssigned: number;
  lost: number;
};

/** What one run measured, for the report. */
export interface RunMeasurements {
  setup: Setup;
  cores: number;
  created: { id: string; ms: number };
  /** Machine busy share just before the load. */
  busyBefore: number;
  sp: SystemProcs;
  load: LoadResult;
  accepted: number;
  loadS: number;
  enqueuedDuringLoad: number;
  /** Outcomes the drain waited for (every attempt the intake enqueued). */
  target: number;
  outcomesBefore: number;
  outcomesAfterLoad: number;
  drained: DrainResult;
  metricsBefore: MetricsSnapshot;
  metricsAfterLoad: MetricsSnapshot;
  metricsAfterDrain: MetricsSnapshot;
  cpuBefore: CpuSnapshot;
  cpuAfterLoad: CpuSnapshot;
  cpuAfterDrain: CpuSnapshot;
  backendsAfterLoad: Map<number, string>;
  backendsAfterDrain: Map<number, string>;
  redisBefore: Map<string, CommandStat>;
  redisAfterLoad: Map<string, CommandStat>;
  redisAfterDrain: Map<string, CommandStat>;
  waitsLoad: WaitSampler;
  waitsDrain: WaitSampler;
  checks: IntegrityReport;
  allAccepted: string[];
  lost: { lost: number; sample: string[] };
}

export function reportRun(m: RunMeasurements): Summary {
  const { setup, cores, created, busyBefore, sp, load, accepted, loadS, enqueuedDuringLoad, target, outcomesBefore, outcomesAfterLoad, drained, metricsBefore, metricsAfterLoad, metricsAfterDrain, cpuBefore, cpuAfterLoad, cpuAfterDrain, backendsAfterLoad, backendsAfterDrain, redisBefore, redisAfterLoad, redisAfterDrain, waitsLoad, waitsDrain, checks, allAccepted, lost } = m;
  const firstAcceptAt = load.firstAcceptAt ?? load.loadStartAt;
  const processedSinceLoad = drained.outcomesAtEnd - outcomesBefore;
  const processedPerSec = processedSinceLoad / ((drained.drainedAt - firstAcceptAt) / 1000);
  const loadWindowS = (load.loadEndAt - load.loadStartAt) / 1000;
  const processedPerSecLoadWindow = (outcomesAfterLoad - outcomesBefore) / loadWindowS;
  const drainS = (drained.drainedAt - load.loadEndAt) / 1000;
  // Only meaningful with a real backlog to work through (a drain of a few hundred jobs says nothing).
  const processedPerSecAfterLoad = drainS >= 2 ? (drained.outcomesAtEnd - outcomesAfterLoad) / drainS : NaN;
  const statusRows = [...load.statusCounts].sort((a, b) => a[0] - b[0]);
  const non2xx = statusRows.filter(([s]) => s < 200 || s > 299).reduce((n, [, c]) => n + c, 0);
  const r = load.result;

  // Server-side figures (histogram deltas).
  const intakeLoad = histDelta(claimLatency(metricsBefore.intake), claimLatency(metricsAfterLoad.intake));
  const jobLoad = sp.workers.map((_, i) => histDelta(jobDuration(metricsBefore.workers[i]!), jobDuration(metricsAfterLoad.workers[i]!)));
  const jobDrain = sp.workers.map((_, i) => histDelta(jobDuration(metricsAfterLoad.workers[i]!), jobDuration(metricsAfterDrain.workers[i]!)));
  const jobAll = jobLoad.reduce((a, b) => histAdd(a, b));
  const jobAllDrain = jobDrain.reduce((a, b) => histAdd(a, b));
  const batchesLoad = sp.workers.map((_, i) => histDelta(storeBatchSize(metricsBefore.workers[i]!), storeBatchSize(metricsAfterLoad.workers[i]!))).reduce((a, b) => histAdd(a, b));
  const workerOutcomesLoad = sp.workers.reduce((n, _, i) => n + sumOf(metricsAfterLoad.workers[i]!, 'dropgate_worker_outcomes_total') - sumOf(metricsBefore.workers[i]!, 'dropgate_worker_outcomes_total'), 0);
  const workerOutcomeSplit = sp.workers.map((_, i) => byLabel(metricsAfterDrain.workers[i]!, 'dropgate_worker_outcomes_total', 'outcome'));
  const failures = metricsAfterDrain.workers.reduce((n, wm) => n + sumOf(wm, 'dropgate_worker_failures_total'), 0);
  const intakeLagP99 = sumOf(metricsAfterLoad.intake, 'nodejs_eventloop_lag_p99_seconds');
  const queueWaitingAtLoadEnd = sumOf(metricsAfterLoad.intake, 'dropgate_queue_waiting_jobs');

  const cpuLoad = cpuRows(cpuBefore, cpuAfterLoad, sp, backendsAfterLoad);
  const cpuDrain = cpuRows(cpuAfterLoad, cpuAfterDrain, sp, backendsAfterDrain);

  log('');
  log('=== HTTP intake (autocannon, closed loop) ===');
  log(
    formatTable(
      ['figure', 'value'],
      [
        ['connections', flags.connections],
        ['duration (s)', loadS],
        ['requests completed', r.requests.total],
        ['accepted (202)', accepted],
        ['accepted/s', round(accepted / loadS, 0)],
        ...statusRows.filter(([s]) => s !== 202).map(([s, c]) => [`HTTP ${s}`, c] as [string, number]),
        ['non-2xx', non2xx],
        ['socket errors / timeouts', `${r.errors} / ${r.timeouts}`],
        ['client latency p50 / p90 / p99 / max (ms)', `${r.latency.p50} / ${r.latency.p90} / ${r.latency.p99} / ${r.latency.max}`],
        ['client latency mean (ms)', round(r.latency.mean, 2)],
        ['intake handler time mean / p50 / p99 (ms, histogram)', `${round(histMean(intakeLoad) * 1000, 2)} / ${round(histQuantile(intakeLoad, 0.5) * 1000, 2)} / ${round(histQuantile(intakeLoad, 0.99) * 1000, 2)}`],
        ['intake event-loop lag p99 (ms, since start)', round(intakeLagP99 * 1000, 1)],
        ['queue waiting at load end (intake gauge)', queueWaitingAtLoadEnd],
      ],
    ),
  );
  log('');
  log('=== Workers ===');
  log(
    formatTable(
      ['figure', 'value'],
      [
        ['processed/s, first accept → drained', round(processedPerSec, 0)],
        ['processed/s during the load window', round(processedPerSecLoadWindow, 0)],
        ['processed/s after the load (workers alone)', round(processedPerSecAfterLoad, 0)],
        ['backlog at load end (enqueued − recorded)', target - outcomesAfterLoad],
        ['drain time after load end (s)', round(drainS, 1)],
        ['drained', String(drained.drained)],
        ['worker failures (retries, any)', failures],
        ['in flight by Little (processed/s × mean job s), load', round(processedPerSecLoadWindow * histMean(jobAll), 1)],
      ],
    ),
  );
  log('');
  log(
    formatTable(
      ['job duration (store call + pool wait)', 'jobs', 'mean ms', 'p50 ms', 'p99 ms'],
      [
        ...jobLoad.map((h, i) => histRow(`${sp.workers[i]!.label}, load window`, h)),
        ...jobDrain.map((h, i) => histRow(`${sp.workers[i]!.label}, after load`, h)),
        histRow('all workers, load window', jobAll),
        histRow('all workers, after load', jobAllDrain),
      ],
    ),
  );
  // Small batches cost the store (and the workers) more per attempt: a transaction and a function call each.
  log(
    `store batches, load window: ${formatNumber(batchesLoad.count)} calls of ${round(histMean(batchesLoad), 1)} attempts on average; ` +
      `${formatNumber(batchesLoad.sum)} of ${formatNumber(workerOutcomesLoad)} attempts went in batches (the rest alone)`,
  );
  log(`outcomes by worker: ${workerOutcomeSplit.map((o, i) => `${sp.workers[i]!.label} ${JSON.stringify(o)}`).join('; ')}`);
  log('');
  log('=== Where the CPU went ===');
  log(cpuTable('load window', cpuLoad, cores, enqueuedDuringLoad));
  log('');
  if (cpuDrain.wallS >= 2) {
    log(cpuTable('after the load, until drained', cpuDrain, cores));
    log('');
  }
  const redisRows = (before: Map<string, CommandStat>, after: Map<string, CommandStat>, wallS: number) =>
    commandStatsDelta(before, after)
      .slice(0, 8)
      .map((d) => [d.command, d.calls, round(d.usec / 1e6, 2), round(d.usec / Math.max(1, d.calls), 1), pct((d.usec / 1e6 / wallS) * 100)]);
  log('Redis command time (INFO commandstats; the whole server, other users included)');
  log(formatTable(['load window: command', 'calls', 'CPU s', 'µs/call', '% of 1 core'], redisRows(redisBefore, redisAfterLoad, cpuLoad.wallS)));
  log(formatTable(['after load: command', 'calls', 'CPU s', 'µs/call', '% of 1 core'], redisRows(redisAfterLoad, redisAfterDrain, cpuDrain.wallS)));
  log('');
  log(`PostgreSQL: what the workers' backends were doing (pg_stat_activity every 0.5 s; ${waitsLoad.samples} samples in the load window)`);
  log(waitsLoad.table());
  if (waitsDrain.samples > 0) {
    log(`after the load (${waitsDrain.samples} samples):`);
    log(waitsDrain.table());
  }
  log('');
  log('=== Database checks ===');
  log(
    formatTable(
      ['check', 'count'],
      [
        ['codes whose attempt id is on another code too', checks.codesSharingAnAttempt],
        [`customers holding more than ${PER_CUSTOMER_LIMIT} code`, checks.customersOverLimit],
        ['successful attempts whose code is held by another attempt', checks.attemptsWithCodeHeldElsewhere],
        ['=> doubleAssigned', checks.doubleAssigned],
        ['(extra) redeemed codes whose attempt row disagrees', checks.codesWithForeignAttempt],
        ['(extra) campaign success count − redeemed codes', checks.counterDrift],
        ['accepted 202 attempt ids (incl. warm-up)', allAccepted.length],
        ['=> lost (accepted, no recorded outcome)', lost.lost],
        ['attempt rows for the campaign', Object.values(checks.outcomes).reduce((n, v) => n + v, 0)],
        ['codes redeemed / still available', `${formatNumber(checks.redeemedCodes)} / ${formatNumber(checks.codesLeft)}`],
      ],
    ),
  );
  log(`outcomes: ${JSON.stringify(checks.outcomes)}`);
  if (lost.lost > 0) log(`lost sample: ${lost.sample.join(', ')}`);
  if ((checks.outcomes.sold_out ?? 0) > 0) log(`WARNING: the campaign sold out during the run (${checks.outcomes.sold_out} sold_out): raise --codes`);
  const notClaimed = Object.entries(checks.outcomes).filter(([o]) => o !== 'claimed');
  if (notClaimed.length > 0) log(`NOTE: outcomes other than "claimed": ${JSON.stringify(Object.fromEntries(notClaimed))}`);

  const cpuShare = (split: CpuSplit): Record<string, number> =>
    Object.fromEntries(split.rows.filter((x) => x.cpuS > 0.005).map((x) => [x.label, round((x.cpuS / split.wallS) * 100, 0)]));
  return {
    setup: setup.label,
    acceptedPerSec: round(accepted / loadS, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    processedPerSec: round(processedPerSec, 0),
    doubleAssigned: checks.doubleAssigned,
    lost: lost.lost,
    connections: flags.connections,
    intakeProcesses: Number(setup.env.INTAKE_PROCESSES ?? flags['intake-processes']),
    durationS: loadS,
    accepted,
    non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    processedPerSecLoadWindow: round(processedPerSecLoadWindow, 0),
    processedPerSecAfterLoad: round(processedPerSecAfterLoad, 0),
    drained: drained.drained,
    drainS: round(drainS, 1),
    workerJobMeanMs: round(histMean(jobAll) * 1000, 2),
    meanStoreBatchLoad: round(histMean(batchesLoad), 1),
    intakeHandlerMeanMs: round(histMean(intakeLoad) * 1000, 2),
    codes: flags.codes,
    campaignCreateS: round(created.ms / 1000, 1),
    cores,
    machineBusyBeforePct: round(busyBefore * 100, 0),
    noiseCpuPctOfOneCoreLoad: round(
      (cpuLoad.rows.filter((x) => x.label === 'everything else on the machine' || x.label.includes('OTHER clients')).reduce((n, x) => n + x.cpuS, 0) / cpuLoad.wallS) * 100,
      0,
    ),
    cpuPctOfOneCoreLoad: cpuShare(cpuLoad),
    cpuMsPerAttemptLoad: Object.fromEntries(
      cpuLoad.rows.filter((x) => x.cpuS > 0.005).map((x) => [x.label, round((x.cpuS * 1000) / Math.max(1, enqueuedDuringLoad), 3)]),
    ),
    runQueueWaitSLoad: Object.fromEntries(cpuLoad.rows.filter((x) => (x.waitS ?? 0) > 0.005).map((x) => [x.label, round(x.waitS!, 2)])),
    ...(cpuDrain.wallS >= 2 ? { cpuPctOfOneCoreDrain: cpuShare(cpuDrain) } : {}),
  };
}
