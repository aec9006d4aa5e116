import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { scrape, startSystem, waitFor } from '@dropgate/testkit';
import { type IntegrityReport, integrity, lostAttempts, recordedOutcomes } from '../db-checks';
import { CpuSampler } from '../cpu-sampler';
import { commandStats } from '../redis-info';
import { formatNumber } from '../table';
import { createCampaign } from './campaign';
import { waitQuiet } from './cpu-split';
import { drain } from './drain';
import { flags } from './flags';
import { postClaim, runLoad } from './load';
import { intakeEnqueued, metricsSnapshot } from './metrics-snapshot';
import { log, pct, seconds } from './output';
import { WaitSampler } from './pg-wait-sampler';
import { reportProfiles } from './profiles-report';
import { type Summary, reportRun } from './report';
import { PER_CUSTOMER_LIMIT, type Setup, WORKERS } from './setups';
import { type Proc, discoverProcesses, intakeProcessesUp } from './system-procs';

export async function runBench(setup: Setup): Promise<Summary> {
  const cores = os.cpus().length;
  const run = randomBytes(3).toString('hex');
  log(`pipeline bench [${setup.label}]: ${flags.connections} connections for ${flags.duration} s, ${setup.env.INTAKE_PROCESSES ?? flags['intake-processes']} intake processes, ${WORKERS} workers, ${formatNumber(flags.codes)} codes, ${cores} cores`);
  log(`  settings: ${Object.entries(setup.env).map(([k, v]) => `${k}=${v}`).join(' ')}; node flags: ${setup.nodeFlags.join(' ') || '(none)'}`);
  const t0 = performance.now();
  const profileDir = flags.profile ? mkdtempSync(path.join(os.tmpdir(), 'dropgate-bench-prof-')) : undefined;
  const sys = await startSystem({
    workers: WORKERS,
    nodeFlags: setup.nodeFlags,
    env: {
      RATE_LIMITS_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      MAX_QUEUE_DEPTH: '10000000',
      INTAKE_PROCESSES: String(flags['intake-processes']),
      ...setup.env,
      // Node refuses --cpu-prof in NODE_OPTIONS; a preloaded module runs the inspector's profiler instead.
      ...(profileDir ? { NODE_OPTIONS: `--require ${path.join(__dirname, '..', 'cpu-prof-preload.js')}`, DROPGATE_CPU_PROF_DIR: profileDir } : {}),
    },
    // Every request comes from this machine's one address, so the intake's limits are off; the workers still look
    // at each attempt's source as deployed (one MGET of its counters), so their cost per attempt stays measured.
    workerEnv: { RATE_LIMITS_ENABLED: 'true' },
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= sys.stop());
  const onSignal = (): void => {
    log('\ninterrupted: stopping the system...');
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const forget = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };

  let summary: Summary | undefined;
  let profileWindow: { fromUs: number; toUs: number } | undefined;
  let profiled: Proc[];
  const db = new Client({ connectionString: sys.env.DATABASE_URL, application_name: 'dropgate-bench-pipeline', options: `-c search_path=${sys.schema}` });
  try {
    log(`system up in ${seconds(performance.now() - t0)}: intake ${sys.intakeUrl}, admin ${sys.adminUrl}, schema ${sys.schema}, queue prefix ${sys.queuePrefix}`);
    await db.connect();
    await intakeProcessesUp(sys, Number(setup.env.INTAKE_PROCESSES ?? flags['intake-processes']));
    const sp = discoverProcesses(sys);
    const pgPort = Number(new URL(sys.env.DATABASE_URL!).port || 5432);
    log(
      `processes: intake ${sp.intake.pids!.length > 1 ? `${sp.intake.pid} (primary of ${sp.intake.pids!.slice(1).join(', ')})` : sp.intake.pid}, admin ${sp.admin.pid}, ${sp.workers.map((w) => `${w.label} ${w.pid}`).join(', ')}, ` +
        `redis-server ${sp.redis.join(',') || '?'}, ${sp.postgres.length} postgres processes, bench ${process.pid}`,
    );

    const created = await createCampaign(sys, db, flags.codes);
    const campaignId = created.id;

    // The intake's catalog learns about the campaign within its cache TTL: wait for the first 202.
    const warmupIds: string[] = [];
    let w = 0;
    await waitFor(
      'the intake to accept claims for the new campaign',
      async () => {
        const r = await postClaim(sys, campaignId, `warmup-${run}-${w++}`);
        if (r.status === 202 && r.attemptId) {
          warmupIds.push(r.attemptId);
          return true;
        }
        if (r.status !== 404 && r.status !== 409 && r.status !== 422) throw new Error(`warm-up claim: HTTP ${r.status}`);
        return undefined;
      },
      30_000,
      200,
    );
    log(`intake accepts claims for ${campaignId} (${w} warm-up request${w === 1 ? '' : 's'})`);

    // --- load -----------------------------------------------------------------------------------------------
    const busyBefore = await waitQuiet(flags['quiet-wait'], cores);
    log(`machine ${pct(busyBefore * 100)} busy just before the load (other work on the machine is noise in every figure below)`);
    const redisUrl = sys.env.REDIS_URL!;
    const metricsBefore = await metricsSnapshot(sp);
    const outcomesBefore = await recordedOutcomes(db, campaignId);
    const redisBefore = commandStats(redisUrl);
    const waitsLoad = new WaitSampler(db, sp.workers, pgPort);
    waitsLoad.start();
    // Read throughout both windows, so PostgreSQL backends that exit meanwhile (idle timeout, errors) still count.
    const sampler = new CpuSampler(db, () => [sp.intake, sp.admin, ...sp.workers], pgPort).run();
    const cpuBefore = sampler.start;
    log(`load: POST /v1/claims, ${flags.connections} connections, ${flags.duration} s...`);
    const loadFromUs = Number(process.hrtime.bigint() / 1000n);
    const load = await runLoad(sys, campaignId, sp, run);
    profileWindow = { fromUs: loadFromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    profiled = [...sp.intake.pids!.map((pid, i) => ({ label: i === 0 ? 'intake' : `intake-${i}`, pid })), ...sp.workers];
    const { after: cpuAfterLoad, backends: backendsAfterLoad } = await sampler.cut();
    waitsLoad.stop();
    const outcomesAfterLoad = await recordedOutcomes(db, campaignId);
    const redisAfterLoad = commandStats(redisUrl);
    const metricsAfterLoad = await metricsSnapshot(sp);

    // autocannon aborts the requests still in flight when the time is up; the intake may have enqueued some of
    // them. Its enqueued counter (stable once those requests finish) is what the workers must get through.
    const enqueuedTotal = await waitFor(
      'the intake enqueued counter to settle',
      (() => {
        let previous = -1;
        return async () => {
          const n = intakeEnqueued(await scrape(sp.intake.metricsUrl!));
          if (n === previous) return n;
          previous = n;
          return undefined;
        };
      })(),
      30_000,
      300,
    );
    const enqueuedDuringLoad = enqueuedTotal - intakeEnqueued(metricsBefore.intake);
    const accepted = load.acceptedIds.length;
    const loadS = load.result.duration;
    log(
      `load done: ${formatNumber(accepted)} accepted (202) in ${loadS} s = ${formatNumber(Math.round(accepted / loadS))}/s; ` +
        `the intake enqueued ${formatNumber(enqueuedDuringLoad)} (${formatNumber(enqueuedDuringLoad - accepted)} answered after autocannon stopped)`,
    );

    // --- drain ----------------------------------------------------------------------------------------------
    // Every attempt this system ever enqueued (warm-up included) is for this campaign.
    const target = enqueuedTotal;
    const waitsDrain = new WaitSampler(db, sp.workers, pgPort);
    waitsDrain.start();
    const drained = await drain(sys, campaignId, sp, target, load.loadEndAt, flags['drain-timeout'] * 1000);
    waitsDrain.stop();
    const { after: cpuAfterDrain, backends: backendsAfterDrain } = await sampler.cut();
    sampler.stop();
    const redisAfterDrain = commandStats(redisUrl);
    const metricsAfterDrain = await metricsSnapshot(sp);
    log(`drained: ${drained.drained} — ${formatNumber(drained.outcomesAtEnd)} outcomes recorded, ${seconds(drained.drainedAt - load.loadEndAt)} after the load ended`);

    // --- database checks ------------------------------------------------------------------------------------
    log('checking the database...');
    const checks: IntegrityReport = await integrity(db, campaignId, PER_CUSTOMER_LIMIT);
    const allAccepted = [...warmupIds, ...load.acceptedIds];
    const lost = await lostAttempts(db, allAccepted);

    summary = reportRun({ setup, cores, created, busyBefore, sp, load, accepted, loadS, enqueuedDuringLoad, target, outcomesBefore, outcomesAfterLoad, drained, metricsBefore, metricsAfterLoad, metricsAfterDrain, cpuBefore, cpuAfterLoad, cpuAfterDrain, backendsAfterLoad, backendsAfterDrain, redisBefore, redisAfterLoad, redisAfterDrain, waitsLoad, waitsDrain, checks, allAccepted, lost });
  } finally {
    await db.end().catch(() => undefined);
    log('stopping the system...');
    await stop();
    forget();
  }
  // The profiles are written when the processes exit.
  if (profileDir) reportProfiles(profileDir, profiled, profileWindow);
  if (!summary) throw new Error('the run produced no summary');
  return summary;
}
