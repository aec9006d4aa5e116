/**
 * `npm run bench:drain`: how fast the workers drain a backlog.
 *
 *   1. a schema and a queue prefix of the bench's own; three campaigns (claims on two tiers, one selling out;
 *      redeems with a target; a paused one) and a deterministic mix of attempts whose outcomes vary (see workload);
 *   2. the whole backlog (default 50,000 attempts) is enqueued FIRST, as the intake would (job id = attempt id, the
 *      queue package's job options), with progress;
 *   3. the worker processes start — by default as `npm start` runs them: WORKERS processes with the configuration's
 *      defaults (the flags can set WORKERS and the worker settings) — and the clock runs from their spawn until every attempt is final (an outcome recorded in the
 *      store, or its job failed for good): processedPerSec;
 *   4. checks IN THE DATABASE: doubleAssigned (a code held by two attempts or customers, customers over their limit,
 *      successes whose code is held elsewhere) and lost (attempts with no recorded outcome);
 *   5. where the time goes: CPU of every process (/proc) over the drain, per attempt — workers (from the end of
 *      their start-up, which is reported apart), PostgreSQL backends serving them (sampled throughout: a backend that
 *      exits during the drain still counts), Redis — the Redis commands per attempt, and the workers' store batch sizes.
 *
 * Flags (`--help`): --attempts, --workers / --concurrency / --store-batch-max / --store-batch-wait-ms / --pool (default:
 * what `npm start` runs with),
 * --drain-timeout <s>, --seed, --profile 1 (where each worker's CPU went), --semi-space-mb <n> (the workers' Node
 * --max-semi-space-size). Last line: one JSON object {attempts, processedPerSec, doubleAssigned, lost, ...}.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadWorkerConfig } from '@dropgate/config';
import { createAttemptQueue, createRedis, closeRedis } from '@dropgate/queue';
import { createPostgresStore } from '@dropgate/store-postgres';
import { appEnv, deleteKeysByPrefix, dropSchema, scrape, stopChild, TEST_DATABASE_URL, TEST_REDIS_URL } from '@dropgate/testkit';
import { integrity, lostAttempts } from './bench/db-checks';
import { allProcs, cpuDelta, type CpuSnapshot, type ProcInfo } from './bench/proc-stats';
import { CpuSampler } from './bench/cpu-sampler';
import { commandStats } from './bench/redis-info';
import { redisServers } from './bench/pipeline/system-procs';
import { log, seconds } from './bench/pipeline/output';
import { reportProfiles } from './bench/pipeline/profiles-report';
import { formatNumber, round } from './bench/table';
import { enqueueBacklog } from './bench/drain/backlog';
import { splitCpu } from './bench/cpu-groups';
import { flags } from './bench/drain/flags';
import { reportDrain } from './bench/drain/report';
import { untilFinal } from './bench/drain/until-final';
import { createCampaigns, planAttempts } from './bench/drain/workload';
import { startupCpu, startWorkers, type WorkerProc } from './bench/drain/worker-procs';
import { errorWithStack } from '@dropgate/core';

async function main(): Promise<void> {
  const id = randomBytes(4).toString('hex');
  const schema = `dg_drain_${id}`;
  const prefix = `dgdrain${id}`;
  // The workers' environment: what `npm start` gives them, plus the bench's schema and prefix and any flag set.
  const env = appEnv({
    DATABASE_SCHEMA: schema,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: String(flags.concurrency),
    WORKER_STORE_BATCH_MAX: String(flags['store-batch-max']),
    WORKER_STORE_BATCH_WAIT_MS: String(flags['store-batch-wait-ms']),
    DATABASE_POOL_SIZE: String(flags.pool),
    ATTEMPT_HOLD_MS: String(flags['hold-ms']),
  });
  // Node refuses --cpu-prof in NODE_OPTIONS: a preloaded module runs the inspector's profiler instead.
  const profileDir = flags.profile ? mkdtempSync(path.join(os.tmpdir(), 'dropgate-drain-prof-')) : undefined;
  const nodeOptions = [
    ...(profileDir ? [`--require ${path.join(__dirname, 'bench', 'cpu-prof-preload.js')}`] : []),
    ...(flags['semi-space-mb'] > 0 ? [`--max-semi-space-size=${flags['semi-space-mb']}`] : []),
  ].join(' ');
  const workerEnv = { ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...(profileDir ? { DROPGATE_CPU_PROF_DIR: profileDir } : {}) };
  const workerConfig = loadWorkerConfig(env);
  const workerCount = flags.workers;
  const cores = os.cpus().length;
  log(
    `drain bench: ${formatNumber(flags.attempts)} attempts, ${workerCount} workers (WORKER_CONCURRENCY ${workerConfig.WORKER_CONCURRENCY}, ` +
      `WORKER_STORE_BATCH_MAX ${workerConfig.WORKER_STORE_BATCH_MAX}, ATTEMPT_HOLD_MS ${workerConfig.ATTEMPT_HOLD_MS}, WORKER_STORE_BATCH_WAIT_MS ${workerConfig.WORKER_STORE_BATCH_WAIT_MS}, DATABASE_POOL_SIZE ${workerConfig.DATABASE_POOL_SIZE}), ${cores} cores; schema ${schema}, queue prefix ${prefix}`,
  );

  const store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 2, applicationName: 'dropgate-bench-drain' });
  const redis = createRedis(TEST_REDIS_URL, 'client', 'bench-drain');
  const queue = createAttemptQueue(redis, prefix);
  const db = new Client({ connectionString: TEST_DATABASE_URL, application_name: 'dropgate-bench-drain-checks', options: `-c search_path=${schema}` });
  let workers: WorkerProc[] = [];
  let sampler: CpuSampler | undefined;
  const stopWorkers = (): Promise<unknown> => Promise.all(workers.map((w) => stopChild(w.child)));
  const onSignal = (): void => {
    log('\ninterrupted: stopping the workers...');
    void stopWorkers().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  try {
    await store.migrate();
    await db.connect();
    const campaigns = await createCampaigns(store, flags.attempts);
    const planned = planAttempts(campaigns, flags.attempts, flags.seed);
    log(`enqueueing the backlog (${formatNumber(planned.filter((p) => p.kind === 'claim').length)} claims, ${formatNumber(planned.filter((p) => p.kind === 'redeem').length)} redeems)...`);
    const ids = await enqueueBacklog(queue, planned, {
      attempts: workerConfig.JOB_ATTEMPTS,
      backoffMs: workerConfig.JOB_BACKOFF_MS,
      retentionS: workerConfig.ATTEMPT_RETENTION_S,
      holdMs: workerConfig.ATTEMPT_HOLD_MS,
    });

    const redisPids = redisServers(allProcs(), Number(new URL(TEST_REDIS_URL).port || 6379));
    const redisBefore = commandStats(TEST_REDIS_URL);
    const pgPort = Number(new URL(TEST_DATABASE_URL).port || 5432);
    const bench = { label: 'bench (enqueue done; polling)', pid: process.pid };
    // Backends come and go during the drain (pool idle timeout, errors): sampled throughout, so the gone ones count.
    sampler = new CpuSampler(db, () => [...workers, bench], pgPort).run();
    const startedAt = performance.now();
    workers = await startWorkers(workerCount, workerEnv);
    const ready = startupCpu(workers);
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    log(`workers started: ${workers.map((w) => `${w.label} ${w.pid}`).join(', ')}; draining...`);
    const progress = await untilFinal(db, queue, ids.length, workers, startedAt, flags['drain-timeout'] * 1000);
    const window = await sampler.cut();
    sampler.stop();
    const redisAfter = commandStats(TEST_REDIS_URL);
    const startup = await ready;
    const workerMetrics = await Promise.all(workers.map((w) => scrape(w.metricsUrl).catch(() => [])));
    const drainMs = progress.finishedAt - startedAt;
    log(`drained: ${progress.done ? 'yes' : 'NO'}, ${formatNumber(progress.recorded)} recorded + ${formatNumber(progress.failed)} failed in ${seconds(drainMs)}`);
    const toUs = Number(process.hrtime.bigint() / 1000n);
    await stopWorkers();
    // The profiles are written when the workers exit.
    if (profileDir) reportProfiles(profileDir, workers, { fromUs, toUs });

    log('checking the database...');
    const checks = await Promise.all([campaigns.claims, campaigns.redeems, campaigns.paused].map(async (c) => ({ campaign: c, report: await integrity(db, c.id, c.perCustomerLimit) })));
    const lost = await lostAttempts(db, ids);
    // The workers' CPU counts from their start-up's end (reported apart): per attempt is then per attempt.
    const cpu = splitCpu(fromStartup(window.before, startup), window.after, [...workers, bench].map((p) => ({ label: p.label, pids: [p.pid] })), redisPids, window.backends);
    const startupCpuS = [...startup.values()].reduce((n, p) => n + p.cpuS, 0);
    const workerBackends = [...window.backends].filter(([, owner]) => owner.startsWith('worker-')).map(([pid]) => pid);
    const goneBackends = workerBackends.filter((pid) => window.gone.has(pid));
    const goneCpuS = goneBackends.reduce((n, pid) => n + cpuDelta(window.before, window.after, pid), 0);
    // Gone ones: closed by the pool's idle timeout (10 s; its idle list is a stack, so a connection not needed while load is steady times out) or after an error.
    log(`the workers' PostgreSQL backends: ${workerBackends.length} seen during the drain, ${goneBackends.length} of them gone before its end (${round(goneCpuS, 2)} CPU s, counted)`);
    const summary = reportDrain({ attempts: ids.length, workerCount, workerConfig, progress, drainMs, cores, cpu, startupCpuS, checks, lost, redisBefore, redisAfter, workerMetrics });
    log(JSON.stringify(summary));
    if (summary.doubleAssigned > 0 || summary.lost > 0 || !progress.done) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    sampler?.stop();
    await stopWorkers();
    await queue.close().catch(() => undefined);
    await closeRedis(redis);
    await db.end().catch(() => undefined);
    await store.close().catch(() => undefined);
    const cleanups = await Promise.allSettled([dropSchema(schema, TEST_DATABASE_URL), deleteKeysByPrefix(prefix, TEST_REDIS_URL)]);
    for (const c of cleanups) if (c.status === 'rejected') log(`clean-up failed: ${String(c.reason)}`);
  }
}

/** `before` with each started worker at its reading when it was ready, so its start-up is not drain CPU. */
function fromStartup(before: CpuSnapshot, startup: ReadonlyMap<number, ProcInfo>): CpuSnapshot {
  return { ...before, procs: new Map([...before.procs, ...startup]) };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-drain failed: ${errorWithStack(err)}\n`);
  process.exitCode = 1;
});
