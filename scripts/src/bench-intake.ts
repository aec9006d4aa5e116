/**
 * `npm run bench:intake`: what each intake path costs, against a bare Express 5 + `express.json` route answering 202,
 * in ONE run, with the same load generator (autocannon, programmatic) and the same connections (default 64).
 *
 *   1. starts the reference (scripts/dist/bench/intake/bare-server.js, its own process) and the real intake (plus the
 *      admin, NO workers: accepted attempts stay queued) against the local Redis and PostgreSQL, rate limits on, the
 *      intake trusting the loopback proxy hop (addresses arrive in X-Forwarded-For, as behind a load balancer);
 *   2. creates a campaign through the admin API (default 20,000 codes) and reads its codes from the database;
 *   3. measures, after a warm-up each: bare Express, then every intake path (bad format, filter miss, blocked
 *      address, blocked subnet, claims disabled, accepted), then bare Express again (the reference is the mean of
 *      both: the machine is shared, drift shows as the gap between them);
 *   4. checks each path answered what it claims: a probe first (status AND error code; a path the build does not
 *      have yet is reported "not available", never measured as something else), then the status counts of the run
 *      (at least 98% of the answers must be the expected status, else the path is reported INVALID with its counts).
 *
 * The blocked paths are primed as a bot gets blocked: wrong codes from one address (or from addresses of one /24,
 * until a probe from a never-used address of it is refused), then measured with REAL codes and fresh customers.
 * Last line: `{"connections","bare":{"rps","p99Ms"},"paths":{"<name>":{"rps","p99Ms","ratio",...}}}`.
 * Per path it also reports the CPU time the serving process spent per answer (/proc, user + system: steadier than
 * req/s on a shared machine), and at the end checks that every 202 is a job in the queue (no worker runs; the queue
 * may hold a few more: requests in flight when a run stops are queued but not counted as answered).
 * Flags: --duration <s> (measured, per path), --warmup <s>, --connections <n>, --codes <n>; --paths a,b (only
 * those); --shed-ms <n>, --max-in-flight <n>, --target-ms <n>, --min-in-flight <n> (the intake's
 * SHED_EVENT_LOOP_DELAY_MS, SHED_MAX_IN_FLIGHT, SHED_TARGET_LATENCY_MS and SHED_MIN_IN_FLIGHT;
 * default: their configured defaults): with shedding on,
 * `503 overloaded` answers count as shed (valid) and the p99 of what was served is reported apart, so
 * `--connections 256 --paths accepted` measures overload; --profile 1 samples the intake's CPU (inspector profiler,
 * as bench:pipeline --profile) and prints, per path, where its time went during the measured window (profiling
 * costs throughput: compare ratios of runs without it); --help lists them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ENV_VARS } from '@dropgate/config';
import { generateCodes, errorWithStack } from '@dropgate/core';
import { closeRedis, createAttemptQueue, createRedis } from '@dropgate/queue';
import { startSystem, waitFor, type RunningSystem } from '@dropgate/testkit';
import { startBareExpress } from './bench/bare-express';
import { cannon, statusText, type CannonRun } from './bench/cannon';
import { parseFlags } from './bench/cli-flags';
import { profilesIn, summarizeProfile } from './bench/cpu-profile';
import { discoverProcesses, intakeProcessesUp } from './bench/pipeline/system-procs';
import { childProcs, procInfo } from './bench/proc-stats';
import { type IntakePath, intakePaths, type PathContext } from './bench/intake/paths';
import { type Answer, primeAddress, primeSubnet, send } from './bench/intake/prime';
import { requireServices } from './bench/preflight';
import { createCampaignByAdmin, storedCodes } from './bench/seed';
import { formatTable, round } from './bench/table';

const flags = parseFlags(process.argv.slice(2), {
  usage:
    'npm run bench:intake -- [flags]: each intake path against bare Express, in one run\n' +
    'overload: e.g. --connections 256 --paths accepted: 503 overloaded answers count as shed, not as failures, and the\n' +
    'p99 of what was served is reported apart from the p99 of what was shed',
  numeric: { duration: 8, warmup: 2, connections: 64, codes: 20_000, profile: 0, 'intake-processes': 1, 'semi-space-mb': 0 },
  text: { paths: '', 'shed-ms': '', 'max-in-flight': '', 'target-ms': '', 'min-in-flight': '' },
  about: {
    duration: 'seconds of load per path',
    warmup: 'seconds of unmeasured load before each path',
    connections: 'concurrent connections of the load',
    codes: "codes in the bench's campaign",
    profile: '1: the intake runs under --cpu-prof and where its CPU went is printed per path',
    'intake-processes': "the intake's INTAKE_PROCESSES and as many bare Express processes (a deployment runs one per core); CPU per answer sums every process",
    'semi-space-mb': "Node's --max-semi-space-size for the intake processes; 0 = Node's default",
    paths: 'only these paths, comma-separated: bad-format, filter-miss, blocked-address, blocked-subnet, claims-disabled, accepted (all when not set)',
    'shed-ms': "the intake's SHED_EVENT_LOOP_DELAY_MS (its configured default when not set; 0 = no shedding)",
    'max-in-flight': "the intake's SHED_MAX_IN_FLIGHT (its configured default when not set; 0 = no cap)",
    'target-ms': "the intake's SHED_TARGET_LATENCY_MS (its configured default when not set; 0 = the cap is fixed)",
    'min-in-flight': "the intake's SHED_MIN_IN_FLIGHT (its configured default when not set)",
  },
});
/** The intake's load shedding as deployed (the configured default) unless --shed-ms says otherwise. */
const shedMs = flags['shed-ms'] === '' ? ENV_VARS.SHED_EVENT_LOOP_DELAY_MS.parse(undefined) : Number(flags['shed-ms']);
if (!Number.isInteger(shedMs) || shedMs < 0) throw new Error(`--shed-ms needs a whole number of ms, got "${flags['shed-ms']}"`);
const maxInFlight = flags['max-in-flight'] === '' ? ENV_VARS.SHED_MAX_IN_FLIGHT.parse(undefined) : Number(flags['max-in-flight']);
if (!Number.isInteger(maxInFlight) || maxInFlight < 0) throw new Error(`--max-in-flight needs a whole number, got "${flags['max-in-flight']}"`);
const targetMs = flags['target-ms'] === '' ? ENV_VARS.SHED_TARGET_LATENCY_MS.parse(undefined) : Number(flags['target-ms']);
if (!Number.isInteger(targetMs) || targetMs < 0) throw new Error(`--target-ms needs a whole number of ms, got "${flags['target-ms']}"`);
const minInFlight = flags['min-in-flight'] === '' ? ENV_VARS.SHED_MIN_IN_FLIGHT.parse(undefined) : Number(flags['min-in-flight']);
if (!Number.isInteger(minInFlight) || minInFlight < 1) throw new Error(`--min-in-flight needs a whole number >= 1, got "${flags['min-in-flight']}"`);
/** Whether the intake sheds at all: then a 503 overloaded is an answer of the path, not a failure. */
const sheds = shedMs > 0 || maxInFlight > 0;
const onlyPaths = flags.paths === '' ? undefined : new Set(flags.paths.split(',').map((p) => p.trim()));

/** Measured windows (CLOCK_MONOTONIC µs, the profile's clock) per path, for --profile. */
const windows = new Map<string, { fromUs: number; toUs: number }>();
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Share of a path's answers that must carry its expected status for the figure to count. */
const VALID_SHARE = 0.98;
const log = (line = ''): void => void process.stdout.write(line + '\n');

interface PathResult {
  name: string;
  expected: string;
  available: boolean;
  valid: boolean;
  note: string;
  run?: Measured;
}

interface Measured extends CannonRun {
  /** CPU time (user + system) the serving process spent per answer during the measured window, in µs. */
  cpuUsPerAnswer: number;
  /** Share of the window the serving process's main thread waited, runnable, for a CPU (the machine is shared). */
  cpuWaitShare: number;
  /** 202s answered during warm-up and the measured window (each one is a queued attempt on the intake). */
  accepted: number;
}

/** 202s the intake answered (each must be a job in its queue at the end: workers are stopped). */
let intakeAccepted = 0;

async function measure(label: string, url: string, pids: readonly number[], request: (n: number) => ReturnType<IntakePath['request']>): Promise<Measured> {
  let n = 0;
  let accepted = 0;
  if (flags.warmup > 0) {
    const warm = await cannon({ url, connections: flags.connections, durationS: flags.warmup, request: () => request(n++), progressEveryS: 0 });
    accepted += warm.statuses['202'] ?? 0;
  }
  log(`${label}: ${flags.connections} connections for ${flags.duration} s...`);
  const fromUs = nowUs();
  const before = processesInfo(pids);
  const cpuBefore = before?.cpuS;
  const run = await cannon({ url, connections: flags.connections, durationS: flags.duration, request: () => request(n++), progressLabel: label, progressEveryS: 2 });
  const after = processesInfo(pids);
  const cpuAfter = after?.cpuS;
  const cpuWaitShare = before && after && run.durationS > 0 ? round((after.runQueueWaitS - before.runQueueWaitS) / pids.length / run.durationS, 2) : 0;
  windows.set(label, { fromUs, toUs: nowUs() });
  accepted += run.statuses['202'] ?? 0;
  const cpuUsPerAnswer = cpuBefore !== undefined && cpuAfter !== undefined && run.responses > 0 ? Math.round(((cpuAfter - cpuBefore) * 1e6) / run.responses) : 0;
  const shed = run.statuses['503'] ?? 0;
  log(
    `${label}: ${run.rps} req/s, p99 ${run.p99Ms} ms; ${statusText(run.statuses)}${run.errors ? `; ${run.errors} errors` : ''}${run.timeouts ? `; ${run.timeouts} timeouts` : ''}` +
      `; ${cpuUsPerAnswer} µs CPU per answer, waited for a CPU ${Math.round(cpuWaitShare * 100)}% of the time${shed ? `; served p99 ${run.servedP99Ms} ms, shed (503) p99 ${run.shedP99Ms} ms` : ''}`,
  );
  return { ...run, cpuUsPerAnswer, cpuWaitShare, accepted };
}

/** CPU and run-queue wait summed over the serving processes (undefined once one is gone). */
function processesInfo(pids: readonly number[]): { cpuS: number; runQueueWaitS: number } | undefined {
  const infos = pids.map((pid) => procInfo(pid));
  if (pids.length === 0 || infos.some((i) => i === undefined)) return undefined;
  return { cpuS: infos.reduce((sum, i) => sum + i!.cpuS, 0), runQueueWaitS: infos.reduce((sum, i) => sum + i!.runQueueWaitS, 0) };
}

async function runPath(sys: RunningSystem, intakePids: readonly number[], p: IntakePath, ctx: PathContext): Promise<PathResult> {
  const expected = `${p.status}${p.errorCode ? ` ${p.errorCode}` : ''}`;
  const base = { name: p.name, expected };
  const probe = async (n: number): Promise<Answer> => countAccepted(await send(sys.intakeUrl, p.request(n)));
  let note = '';
  if (p.prime === 'address') {
    const primed = await primeAddress(sys.intakeUrl, ctx);
    intakeAccepted += primed.accepted;
    note = primed.blockedAfter ? `blocked after ${primed.blockedAfter} wrong codes` : `not blocked after ${primed.requests} wrong codes`;
  } else if (p.prime === 'subnet') {
    const primed = await primeSubnet(sys.intakeUrl, ctx, (host) => probe(host));
    intakeAccepted += primed.accepted;
    note = primed.blockedAfter ? `subnet blocked after ${primed.blockedAfter} wrong codes from 200 addresses` : `subnet not blocked after ${primed.requests} wrong codes from 200 addresses`;
  }
  // The probe is the path's own request: its status AND error code must be what the path claims.
  const answer = await probe(1_000_000);
  if (answer.status !== p.status || (p.errorCode !== undefined && answer.errorCode !== p.errorCode)) {
    const got = `${answer.status}${answer.errorCode ? ` ${answer.errorCode}` : ''}`;
    log(`${p.name}: NOT AVAILABLE in this build (a probe got ${got}, expected ${expected})${note ? `; ${note}` : ''}`);
    return { ...base, available: false, valid: false, note: `probe got ${got}${note ? `; ${note}` : ''}` };
  }
  const run = await measure(p.name, sys.intakeUrl, intakePids, (n) => p.request(n));
  intakeAccepted += run.accepted;
  // With shedding on, a 503 overloaded is the answer the overload aim asks for: it counts as shed, not as a failure.
  const answered = (run.statuses[String(p.status)] ?? 0) + (sheds && p.status !== 503 ? (run.statuses['503'] ?? 0) : 0);
  const share = run.responses > 0 ? answered / run.responses : 0;
  const valid = share >= VALID_SHARE && run.errors + run.timeouts <= run.responses * (1 - VALID_SHARE);
  if (!valid) log(`${p.name}: INVALID: only ${(share * 100).toFixed(1)}% of the answers were ${p.status}${sheds ? ' or 503' : ''} (${statusText(run.statuses)}); its figures are not the path's`);
  return { ...base, available: true, valid, note, run };
}

async function main(): Promise<void> {
  await requireServices();
  const runId = randomBytes(3).toString('hex');
  log(
    `bench:intake: ${flags.connections} connections, ${flags.warmup} s warm-up + ${flags.duration} s per path, ${flags.codes.toLocaleString('en-US')} codes, ` +
      `intake INTAKE_PROCESSES=${flags['intake-processes']} SHED_EVENT_LOOP_DELAY_MS=${shedMs} SHED_MAX_IN_FLIGHT=${maxInFlight} SHED_TARGET_LATENCY_MS=${targetMs} SHED_MIN_IN_FLIGHT=${minInFlight}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  const bare = await startBareExpress(flags['intake-processes']);
  let sys: RunningSystem | undefined;
  let db: Client | undefined;
  let intakePid: number | undefined;
  let intakePids: number[];
  const profileDir = flags.profile ? mkdtempSync(path.join(os.tmpdir(), 'dropgate-bench-intake-prof-')) : undefined;
  const cleanup = async (): Promise<void> => {
    await db?.end().catch(() => undefined);
    await Promise.allSettled([sys?.stop(), bare.stop()]);
  };
  const onSignal = (): void => {
    log('\ninterrupted: stopping...');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Rate limits on (the defaults of the build), no workers, addresses from the trusted loopback proxy hop.
    sys = await startSystem({
      workers: 0,
      ...(flags['semi-space-mb'] > 0 ? { nodeFlags: [`--max-semi-space-size=${flags['semi-space-mb']}`] } : {}),
      env: {
        TRUST_PROXY: 'loopback',
        LOG_LEVEL: 'warn',
        MAX_QUEUE_DEPTH: '100000000',
        SHED_EVENT_LOOP_DELAY_MS: String(shedMs),
        SHED_MAX_IN_FLIGHT: String(maxInFlight),
        SHED_TARGET_LATENCY_MS: String(targetMs),
        SHED_MIN_IN_FLIGHT: String(minInFlight),
        INTAKE_PROCESSES: String(flags['intake-processes']),
        ...(profileDir ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'bench', 'cpu-prof-preload.js')}`, DROPGATE_CPU_PROF_DIR: profileDir } : {}),
      },
    });
    await intakeProcessesUp(sys, flags['intake-processes']);
    const intake = discoverProcesses(sys).intake;
    intakePid = intake.pid;
    intakePids = intake.pids ?? [intake.pid];
    log(`intake ${sys.intakeUrl} (schema ${sys.schema}), bare express ${bare.url}`);
    const campaign = await createCampaignByAdmin(sys, {
      name: 'bench intake',
      tiers: [{ name: 'standard', reward: 'bench', quantity: flags.codes }],
      perCustomerLimit: 1,
      code: { length: 12, prefix: 'BI-' },
      status: 'active',
    });
    db = new Client({ connectionString: sys.env.DATABASE_URL, application_name: 'dropgate-bench-intake', options: `-c search_path=${sys.schema}` });
    await db.connect();
    const codes = (await storedCodes(db, campaign.id)).map((c) => c.code);
    const real = new Set(codes);
    const wrongCodes = generateCodes(campaign.codeSpec, 20_000).filter((c) => !real.has(c));
    const ctx: PathContext = { campaignId: campaign.id, codes, wrongCodes, badFormatCode: `BI-${'0O'.repeat(6)}`, run: runId };
    const allPaths = intakePaths(ctx);
    const unknown = [...(onlyPaths ?? [])].filter((name) => !allPaths.some((p) => p.name === name));
    if (unknown.length > 0) throw new Error(`--paths: no path named ${unknown.join(', ')}`);
    const paths = allPaths.filter((p) => !onlyPaths || onlyPaths.has(p.name));
    // The intake learns of the campaign within its catalog refresh (and its filter within a second of a change).
    const accepted = allPaths.find((p) => p.name === 'accepted')!;
    let w = 0;
    await waitFor('the intake to accept attempts for the new campaign', async () => (countAccepted(await send(sys!.intakeUrl, accepted.request(2_000_000 + w++))).status === 202 ? true : undefined), 30_000, 200);
    log(`campaign ${campaign.id}: ${codes.length.toLocaleString('en-US')} codes, accepted by the intake after ${w} probe(s)`);

    const bareRequest = (n: number): ReturnType<IntakePath['request']> => accepted.request(n);
    // The bare server's processes: its primary and, run as a cluster, the primary's children.
    const barePids = bare.pid === undefined ? [] : [bare.pid, ...childProcs(bare.pid).map((p) => p.pid)];
    const bareBefore = await measure('bare express (before)', bare.url, barePids, bareRequest);
    const results: PathResult[] = [];
    for (const p of paths) results.push(await runPath(sys, intakePids, p, ctx));
    const bareAfter = await measure('bare express (after)', bare.url, barePids, bareRequest);
    // Workers are stopped: every 202 the intake answered must be a job waiting in its queue.
    const queued = await queuedJobs(sys);
    const lost = Math.max(0, intakeAccepted - queued);
    const bareRps = Math.round((bareBefore.rps + bareAfter.rps) / 2);
    const bareP99 = round((bareBefore.p99Ms + bareAfter.p99Ms) / 2, 1);

    log('');
    log(`=== intake paths against bare Express 5 + express.json (202), ${flags.connections} connections, same run ===`);
    log(`bare express: ${bareBefore.rps} req/s before, ${bareAfter.rps} after (reference ${bareRps}, p99 ${bareP99} ms); the machine is shared: compare within the run`);
    log(
      formatTable(
        ['path', 'expected', 'req/s', 'x bare', 'p99 ms', 'p99 x bare', 'served p99', 'CPU µs/answer', 'CPU wait', 'answers', 'verdict'],
        [
          [
            'bare express',
            '202',
            bareRps,
            1,
            bareP99,
            1,
            bareP99,
            Math.round((bareBefore.cpuUsPerAnswer + bareAfter.cpuUsPerAnswer) / 2),
            `${Math.round(((bareBefore.cpuWaitShare + bareAfter.cpuWaitShare) / 2) * 100)}%`,
            `${statusText(bareBefore.statuses)} / ${statusText(bareAfter.statuses)}`,
            'reference',
          ],
          ...results.map((r) =>
            r.run
              ? [
                  r.name,
                  r.expected,
                  r.run.rps,
                  round(r.run.rps / bareRps, 2),
                  r.run.p99Ms,
                  round(r.run.p99Ms / Math.max(bareP99, 1), 2),
                  r.run.servedP99Ms,
                  r.run.cpuUsPerAnswer,
                  `${Math.round(r.run.cpuWaitShare * 100)}%`,
                  statusText(r.run.statuses),
                  r.valid ? 'ok' : 'INVALID',
                ]
              : [r.name, r.expected, '-', '-', '-', '-', '-', '-', '-', r.note, 'not available'],
          ),
        ],
      ),
    );
    for (const r of results) if (r.note && r.run) log(`  ${r.name}: ${r.note}`);
    log('  aim (issue 7): every rejection path >= 0.9x bare req/s and p99 <= 1.2x bare; (issue 10) accepted >= 0.5x, p99 < 50 ms');
    log('  served p99: latency of the answers other than 503 (with shedding on, what was shed is answered apart)');
    log('  CPU µs/answer: user + system CPU of the serving process per answer; CPU wait: share of the window its main thread waited for a core');
    log(`  accepted (202) by the intake in this run: ${intakeAccepted}; jobs in its queue (workers stopped): ${queued}; lost: ${lost}`);
    log('');
    const pathsJson = Object.fromEntries(
      results.map((r) => [
        r.name,
        r.run
          ? {
              rps: r.run.rps,
              p99Ms: r.run.p99Ms,
              ratio: round(r.run.rps / bareRps, 2),
              p99Ratio: round(r.run.p99Ms / Math.max(bareP99, 1), 2),
              servedP99Ms: r.run.servedP99Ms,
              shed: r.run.statuses['503'] ?? 0,
              shedP99Ms: r.run.shedP99Ms,
              cpuUsPerAnswer: r.run.cpuUsPerAnswer,
              cpuWaitShare: r.run.cpuWaitShare,
              valid: r.valid,
              statuses: r.run.statuses,
              errors: r.run.errors,
              timeouts: r.run.timeouts,
            }
          : { available: false, reason: r.note },
      ]),
    );
    const summary = JSON.stringify({
      connections: flags.connections,
      intakeProcesses: flags['intake-processes'],
      shedEventLoopDelayMs: shedMs,
      shedMaxInFlight: maxInFlight,
      shedTargetLatencyMs: targetMs,
      shedMinInFlight: minInFlight,
      loadAverage: round(os.loadavg()[0]!, 2),
      bare: { rps: bareRps, p99Ms: bareP99, before: bareBefore.rps, after: bareAfter.rps, cpuUsPerAnswer: Math.round((bareBefore.cpuUsPerAnswer + bareAfter.cpuUsPerAnswer) / 2) },
      paths: pathsJson,
      accepted: { answered202: intakeAccepted, queued, lost },
    });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
    // The intake writes its profile when it exits: report it, then the JSON line, last.
    if (profileDir && intakePid !== undefined) reportIntakeProfile(profileDir, intakePid, results.filter((r) => r.run).map((r) => r.name));
    log(summary);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

function countAccepted(answer: Answer): Answer {
  if (answer.status === 202) intakeAccepted++;
  return answer;
}

/** Jobs in the intake's attempt queue, in any state (no worker runs: they all wait). */
async function queuedJobs(sys: RunningSystem): Promise<number> {
  const redis = createRedis(sys.env.REDIS_URL!, 'client', 'bench-intake');
  const queue = createAttemptQueue(redis, sys.queuePrefix);
  try {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    return Object.values(counts).reduce((n, c) => n + c, 0);
  } finally {
    await queue.close();
    await closeRedis(redis);
  }
}

function reportIntakeProfile(dir: string, pid: number, names: string[]): void {
  const file = profilesIn(dir).get(pid);
  if (!file) return void log(`no intake profile in ${dir}`);
  log(`=== where the intake's time went, per path (inspector sampling profiler, measured window only; ${file}) ===`);
  for (const name of names) {
    const s = summarizeProfile(file, windows.get(name));
    const busy = Math.max(1e-9, s.totalMs - s.idleMs);
    log('');
    log(`${name}: busy ${round(busy / 1000, 2)} s of ${round(s.totalMs / 1000, 1)} s`);
    log(formatTable(['code (self time)', '% of busy'], s.byPackage.slice(0, 8).map((x) => [x.name, `${round((x.ms / busy) * 100, 0)}%`])));
    log(formatTable(['hottest functions (self time)', '% of busy'], s.byFunction.slice(0, 10).map((x) => [x.name.slice(0, 90), `${round((x.ms / busy) * 100, 0)}%`])));
  }
  log('');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:intake failed: ${errorWithStack(err)}\n`);
  process.exitCode = 1;
});
