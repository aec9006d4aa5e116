import type { WorkerConfig } from '@dropgate/config';
import { histAdd, histMean, histogramOf, histQuantile, sumOf, type Hist, type Sample } from '@dropgate/testkit';
import type { IntegrityReport } from '../db-checks';
import { type CommandStat, commandStatsDelta } from '../redis-info';
import { formatNumber, formatTable, round } from '../table';
import { cpuOf, type CpuSplit } from '../cpu-groups';
import { cpuTable } from '../pipeline/cpu-split';
import { log } from '../pipeline/output';
import type { DrainProgress } from './until-final';
import type { DrainCampaign } from './workload';

export interface DrainMeasurements {
  attempts: number;
  workerCount: number;
  workerConfig: WorkerConfig;
  progress: DrainProgress;
  drainMs: number;
  cores: number;
  /** The workers' CPU from spawn until each answered on its internal port (not in `cpu`). */
  startupCpuS: number;
  cpu: CpuSplit;
  checks: Array<{ campaign: DrainCampaign; report: IntegrityReport }>;
  lost: { lost: number; sample: string[] };
  redisBefore: Map<string, CommandStat>;
  redisAfter: Map<string, CommandStat>;
  workerMetrics: Sample[][];
}

export type DrainSummary = Record<string, unknown> & { attempts: number; processedPerSec: number; doubleAssigned: number; lost: number };

const EMPTY: Hist = { buckets: [], sum: 0, count: 0 };
const ms3 = (cpuS: number, n: number): number => round((cpuS * 1000) / Math.max(1, n), 3);

/** Prints the tables of one drain and returns the JSON line's object. */
export function reportDrain(m: DrainMeasurements): DrainSummary {
  const drainS = m.drainMs / 1000;
  const processedPerSec = Math.round(m.attempts / drainS);
  log('');
  log(`${formatNumber(m.attempts)} attempts drained by ${m.workerCount} workers in ${drainS.toFixed(2)} s = ${formatNumber(processedPerSec)} attempts/s (from the workers' spawn until every attempt was final)`);

  // Outcomes and integrity per campaign, as the database has them.
  const outcomeNames = [...new Set(m.checks.flatMap((c) => Object.keys(c.report.outcomes)))].sort();
  log('');
  log(
    formatTable(
      ['campaign', ...outcomeNames, 'doubleAssigned', 'counterDrift'],
      m.checks.map((c) => [c.campaign.label, ...outcomeNames.map((o) => c.report.outcomes[o] ?? 0), c.report.doubleAssigned, c.report.counterDrift]),
    ),
  );
  const doubleAssigned = m.checks.reduce((n, c) => n + c.report.doubleAssigned + c.report.codesWithForeignAttempt, 0);
  const counterDrift = m.checks.reduce((n, c) => n + Math.abs(c.report.counterDrift), 0);
  log(`lost (no recorded outcome): ${m.lost.lost}${m.lost.sample.length > 0 ? ` e.g. ${m.lost.sample.join(', ')}` : ''}; jobs failed for good: ${m.progress.failed}`);

  // Where the time goes.
  log('');
  log(cpuTable('CPU during the drain', m.cpu, m.cores, m.attempts));
  log(
    `(workers: from each one's start-up's end; their start-up, spawn until the internal port answers, took ${round(m.startupCpuS, 2)} CPU s in all, ` +
      `not in the table; PostgreSQL backends read every 500 ms, those gone before the end included)`,
  );
  const workersCpu = cpuOf(m.cpu, (l) => l.startsWith('worker-'));
  const pgCpu = cpuOf(m.cpu, (l) => l === 'postgres (backends of workers)');
  const pgServerCpu = cpuOf(m.cpu, (l) => l.startsWith('postgres (server'));
  const redisCpu = cpuOf(m.cpu, (l) => l === 'redis-server');
  const benchCpu = cpuOf(m.cpu, (l) => l.startsWith('bench') || l === 'postgres (backends of bench (enqueue done; polling))');

  const redis = commandStatsDelta(m.redisBefore, m.redisAfter);
  const redisCalls = redis.reduce((n, c) => n + c.calls, 0);
  const scripts = redis.filter((c) => c.command.startsWith('evalsha') || c.command.startsWith('eval') || c.command === 'fcall').reduce((n, c) => n + c.calls, 0);
  log('');
  // INFO commandstats counts every command a Lua script runs too: most of the calls per attempt are the ~26 commands
  // inside BullMQ's moveToFinished (which also fetches the next job), not round trips (see docs/benchmarks.md).
  log('Redis commands during the drain, those run inside scripts included (the server is shared: other users of this Redis are in these counts too)');
  log(formatTable(['command', 'calls', 'per attempt', 'µs per call', 'ms total'], redis.slice(0, 10).map((c) => [c.command, c.calls, round(c.calls / m.attempts, 2), round(c.usec / Math.max(1, c.calls), 1), round(c.usec / 1000, 0)])));

  const batches = m.workerMetrics.map((s) => histogramOf(s, 'dropgate_worker_store_batch_size', { fell_back: 'false' })).reduce(histAdd, EMPTY);
  const fellBack = m.workerMetrics.map((s) => histogramOf(s, 'dropgate_worker_store_batch_size', { fell_back: 'true' })).reduce(histAdd, EMPTY);
  const jobs = m.workerMetrics.map((s) => histogramOf(s, 'dropgate_worker_job_duration_seconds')).reduce(histAdd, EMPTY);
  const processed = m.workerMetrics.reduce((n, s) => n + sumOf(s, 'dropgate_worker_outcomes_total'), 0);
  log('');
  log(
    `store batches: ${formatNumber(batches.count)} calls of ${round(histMean(batches), 1)} attempts on average (p50 ${round(histQuantile(batches, 0.5), 0)}, max bucket ${round(histQuantile(batches, 1), 0)}), ` +
      `${formatNumber(batches.sum)} of ${formatNumber(processed)} attempts went in batches; ${fellBack.count} batches (${fellBack.sum} attempts) failed and ran one by one`,
  );
  log(`job time in the worker: mean ${round(histMean(jobs) * 1000, 1)} ms, p99 ${round(histQuantile(jobs, 0.99) * 1000, 1)} ms (queued in the store batcher included)`);

  return {
    attempts: m.attempts,
    processedPerSec,
    doubleAssigned,
    lost: m.lost.lost,
    failed: m.progress.failed,
    drained: m.progress.done,
    counterDrift,
    drainS: round(drainS, 2),
    workers: m.workerCount,
    concurrency: m.workerConfig.WORKER_CONCURRENCY,
    storeBatchMax: m.workerConfig.WORKER_STORE_BATCH_MAX,
    meanStoreBatch: round(histMean(batches), 1),
    batchesFellBack: fellBack.count,
    workerStartupCpuS: round(m.startupCpuS, 2),
    cpuMsPerAttempt: {
      workers: ms3(workersCpu, m.attempts),
      postgres: ms3(pgCpu, m.attempts),
      postgresServer: ms3(pgServerCpu, m.attempts),
      redis: ms3(redisCpu, m.attempts),
      bench: ms3(benchCpu, m.attempts),
    },
    machineBusyPct: round((m.cpu.machineBusyS / (m.cpu.wallS * m.cores)) * 100, 0),
    redisCallsPerAttempt: round(redisCalls / m.attempts, 2),
    redisScriptsPerAttempt: round(scripts / m.attempts, 2),
  };
}
