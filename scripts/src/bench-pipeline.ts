/**
 * `npm run bench:pipeline`: the whole pipeline under a closed-loop HTTP load, measured end to end.
 *
 *   1. starts the real processes (intake, admin, 2 workers) against the local Redis and PostgreSQL;
 *   2. creates one campaign big enough never to sell out during the run (default 400,000 codes, 1 per customer);
 *   3. autocannon: 256 connections for 20 s of POST /v1/claims, a distinct customer per request;
 *   4. waits until every accepted attempt has a recorded outcome (processed/s);
 *   5. checks IN THE DATABASE that no code went out twice and that no accepted attempt was lost;
 *   6. says where the time went: CPU of every process (intake, admin, workers, Redis, PostgreSQL backends,
 *      this benchmark), server-side latency, worker job time, Redis command time, PostgreSQL wait events.
 *
 * Flags: --duration <s> --connections <n> --codes <n> --drain-timeout <s>, and --quiet-wait <s> to wait (at most that
 * long) for other work on the machine to stop before the load: the CPU tables show what else ran, as noise.
 * --profile 1 runs every Node process of the system with --cpu-prof and prints, per process, where its CPU went
 * during the load window (by package and by function); profiling itself costs some throughput.
 * Settings of the system under test (the "optimised" setup): --batch-max (ENQUEUE_BATCH_MAX, default 64),
 * --batch-wait-ms (ENQUEUE_BATCH_WAIT_MS, 0), --concurrency (WORKER_CONCURRENCY, 64), --pool (DATABASE_POOL_SIZE per
 * worker, 20), --semi-space-mb (Node's --max-semi-space-size for intake and workers, 0 = Node's default).
 * --store-batch-max (WORKER_STORE_BATCH_MAX, 32), --store-batch-wait-ms (WORKER_STORE_BATCH_WAIT_MS, 0).
 * --compare batch|store-batch|all runs the same load twice in ONE run, on fresh processes each time: first a baseline
 * (batch: the same settings with enqueue batching off; store-batch: the same with one store call per attempt; all: every setting as before, i.e. batching off, 64/20, no Node
 * flags), then the optimised setup, and prints both and their ratios (the machine is noisy: compare within a run).
 * The last line of output is one JSON object (acceptedPerSec, p50Ms, p99Ms, processedPerSec, doubleAssigned, lost, ...)
 * of the optimised setup; with --compare it also holds `ratios` (optimised / baseline) and the `baseline` object.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import { startSystem, waitFor, type RunningSystem } from '@dropgate/testkit';
import { benchFlags } from './bench/cli-args';
import { profilesIn, summarizeProfile, type ProfileSummary } from './bench/cpu-profile';
import { integrity, lostAttempts, recordedOutcomes, type IntegrityReport } from './bench/db-checks';
import { byLabel, histDelta, histMean, histogramOf, histQuantile, histAdd, scrape, sumOf, type Hist, type Sample } from '@dropgate/testkit';
import { allProcs, clientPortsTo, cmdline, cpuDelta, cpuSnapshot, environ, runQueueWaitDelta, sysDelta, type CpuSnapshot } from './bench/proc-stats';
import { commandStats, commandStatsDelta, type CommandStat } from './bench/redis-info';
import { formatNumber, formatTable, round } from './bench/table';

const flags = benchFlags(
  process.argv.slice(2),
  {
    duration: 20,
    connections: 256,
    codes: 400_000,
    'drain-timeout': 900,
    'quiet-wait': 0,
    profile: 0,
    // The optimised configuration (what a single run uses; what --compare sets against the baseline).
    'batch-max': 64,
    'batch-wait-ms': 0,
    concurrency: 64,
    pool: 20,
    // Attempts per store call in the workers (WORKER_STORE_BATCH_MAX, 1 = off) and how long a batch waits for more.
    'store-batch-max': 32,
    'store-batch-wait-ms': 0,
    // Node's --max-semi-space-size for intake and workers in the optimised setup; 0 = Node's default (not shown
    // to help clearly yet, so off by default).
    'semi-space-mb': 0,
  },
  { compare: ['none', 'batch', 'store-batch', 'all'] as const },
);
const WORKERS = 2;

/** One configuration of the system under test. */
interface Setup {
  label: string;
  env: Record<string, string>;
  nodeFlags: readonly string[];
}

/** The configuration a plain run measures (and the "optimised" side of --compare). */
const OPTIMISED: Setup = {
  label: 'optimised',
  env: {
    ENQUEUE_BATCH_MAX: String(flags['batch-max']),
    ENQUEUE_BATCH_WAIT_MS: String(flags['batch-wait-ms']),
    WORKER_CONCURRENCY: String(flags.concurrency),
    DATABASE_POOL_SIZE: String(flags.pool),
    WORKER_STORE_BATCH_MAX: String(flags['store-batch-max']),
    WORKER_STORE_BATCH_WAIT_MS: String(flags['store-batch-wait-ms']),
  },
  nodeFlags: flags['semi-space-mb'] > 0 ? [`--max-semi-space-size=${flags['semi-space-mb']}`] : [],
};

/**
 * --compare batch: the same, enqueue batching off. --compare store-batch: the same, the workers' store batching off
 * (one store call per attempt). --compare all: every setting as before this work (one add per request, one store
 * call per attempt, 64 jobs at a time and 20 connections per worker, Node's default flags).
 */
function baselineFor(mode: 'batch' | 'store-batch' | 'all'): Setup {
  if (mode === 'batch') return { label: 'baseline (batch off)', env: { ...OPTIMISED.env, ENQUEUE_BATCH_MAX: '1' }, nodeFlags: OPTIMISED.nodeFlags };
  if (mode === 'store-batch') return { label: 'baseline (store batch off)', env: { ...OPTIMISED.env, WORKER_STORE_BATCH_MAX: '1' }, nodeFlags: OPTIMISED.nodeFlags };
  return { label: 'baseline (all off)', env: { ENQUEUE_BATCH_MAX: '1', WORKER_STORE_BATCH_MAX: '1', WORKER_CONCURRENCY: '64', DATABASE_POOL_SIZE: '20' }, nodeFlags: [] };
}
const PER_CUSTOMER_LIMIT = 1;
const TIER = 'standard';

const log = (line = ''): void => void process.stdout.write(line + '\n');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const pct = (n: number): string => `${n.toFixed(0)}%`;

// ---------------------------------------------------------------------------------------------------------------
// The processes of the system under test

interface Proc {
  label: string;
  pid: number;
  metricsUrl?: string;
}

interface SystemProcs {
  intake: Proc;
  admin: Proc;
  workers: Proc[];
  redis: number[];
  postgres: number[];
}

/** Finds our children by script (the harness only exposes the workers) and the Redis/PostgreSQL servers. */
function discoverProcesses(sys: RunningSystem): SystemProcs {
  const procs = allProcs();
  const children = procs.filter((p) => p.ppid === process.pid);
  const byApp = (app: string): Proc => {
    const p = children.find((c) => cmdline(c.pid).includes(`apps/${app}/dist/main.js`));
    if (!p) throw new Error(`cannot find the ${app} process among the children of ${process.pid}`);
    return { label: app, pid: p.pid };
  };
  const workers = sys.workers.map((w, i) => {
    const port = environ(w.pid!).WORKER_METRICS_PORT;
    return { label: `worker-${i + 1}`, pid: w.pid!, ...(port ? { metricsUrl: `http://127.0.0.1:${port}/metrics` } : {}) };
  });
  return {
    intake: { ...byApp('intake'), metricsUrl: `${sys.intakeUrl}/metrics` },
    admin: { ...byApp('admin'), metricsUrl: `${sys.adminUrl}/metrics` },
    workers,
    redis: redisServers(procs, Number(new URL(sys.env.REDIS_URL!).port || 6379)),
    postgres: procs.filter((p) => p.comm === 'postgres' || p.comm.startsWith('postgres')).map((p) => p.pid),
  };
}

/** The redis-server serving our port (other redis-servers on the machine, e.g. private test ones, are noise). */
function redisServers(procs: ReturnType<typeof allProcs>, port: number): number[] {
  const all = procs.filter((p) => p.comm === 'redis-server');
  const onPort = all.filter((p) => cmdline(p.pid).includes(`:${port}`));
  return (onPort.length > 0 ? onPort : all).map((p) => p.pid);
}

/** PostgreSQL backend pid → which of our processes it serves (by the client's TCP port). */
async function backendOwners(db: Client, owners: Proc[], pgPort: number): Promise<Map<number, string>> {
  const portOwner = new Map<number, string>();
  for (const o of owners) for (const port of clientPortsTo(o.pid, pgPort)) portOwner.set(port, o.label);
  const { rows } = await db.query<{ pid: number; client_port: number }>(
    'SELECT pid, client_port FROM pg_stat_activity WHERE client_port = ANY($1::int[])',
    [[...portOwner.keys()]],
  );
  return new Map(rows.map((r) => [r.pid, portOwner.get(r.client_port)!]));
}

// ---------------------------------------------------------------------------------------------------------------
// CPU split

interface CpuRow {
  label: string;
  cpuS: number;
  /** Main-thread run-queue wait (starved of CPU), summed over the processes of the row. */
  waitS?: number;
  /** Kernel share of cpuS (system calls). */
  sysS?: number;
}

interface CpuSplit {
  rows: CpuRow[];
  /** The biggest processes that are not part of the system under test (other users of the machine). */
  others: CpuRow[];
  wallS: number;
  machineBusyS: number;
}

const isPostgres = (comm: string): boolean => comm === 'postgres' || comm.startsWith('postgres');
/** A PostgreSQL client backend ("postgres: 15/main: user db 127.0.0.1(port) idle"), not a server helper. */
const isClientBackend = (pid: number): boolean => /\(\d+\)|\[local\]/.test(cmdline(pid));

function cpuRows(before: CpuSnapshot, after: CpuSnapshot, sp: SystemProcs, backends: Map<number, string>): CpuSplit {
  const wallS = (after.at - before.at) / 1000;
  const rows: CpuRow[] = [];
  const d = (pid: number): number => cpuDelta(before, after, pid);
  const w = (pid: number): number => runQueueWaitDelta(before, after, pid);
  const k = (pid: number): number => sysDelta(before, after, pid);
  const ours = new Set<number>([sp.intake.pid, sp.admin.pid, ...sp.workers.map((x) => x.pid), process.pid, ...sp.redis]);
  for (const p of [sp.intake, sp.admin, ...sp.workers]) rows.push({ label: p.label, cpuS: d(p.pid), waitS: w(p.pid), sysS: k(p.pid) });
  rows.push({ label: 'bench (autocannon + polling)', cpuS: d(process.pid), waitS: w(process.pid), sysS: k(process.pid) });
  const sum = (f: (pid: number) => number, pids: number[]): number => pids.reduce((n, pid) => n + f(pid), 0);
  rows.push({ label: 'redis-server', cpuS: sum(d, sp.redis), waitS: sum(w, sp.redis), sysS: sum(k, sp.redis) });
  // Every postgres process now (backends come and go), split by whom the backend serves.
  const pgByOwner = new Map<string, number>();
  const pgWait = new Map<string, number>();
  const pgSys = new Map<string, number>();
  for (const p of after.procs.values()) {
    if (!isPostgres(p.comm)) continue;
    ours.add(p.pid);
    const owner = backends.get(p.pid);
    const key = owner
      ? `postgres (backends of ${owner.startsWith('worker') ? 'workers' : owner})`
      : isClientBackend(p.pid)
        ? 'postgres (backends of OTHER clients)'
        : 'postgres (server: WAL writer, checkpointer, ...)';
    pgByOwner.set(key, (pgByOwner.get(key) ?? 0) + d(p.pid));
    pgWait.set(key, (pgWait.get(key) ?? 0) + w(p.pid));
    pgSys.set(key, (pgSys.get(key) ?? 0) + k(p.pid));
  }
  for (const [label, cpuS] of [...pgByOwner].sort()) rows.push({ label, cpuS, waitS: pgWait.get(label) ?? 0, sysS: pgSys.get(label) ?? 0 });
  const machineBusyS = after.machine.busyS - before.machine.busyS;
  const known = rows.reduce((n, r) => n + r.cpuS, 0);
  rows.push({ label: 'everything else on the machine', cpuS: Math.max(0, machineBusyS - known) });
  const others = [...after.procs.values()]
    .filter((p) => !ours.has(p.pid))
    .map((p) => ({ label: `${p.pid} ${cmdline(p.pid).slice(0, 70) || p.comm}`, cpuS: d(p.pid) }))
    .filter((r) => r.cpuS >= 0.1)
    .sort((a, b) => b.cpuS - a.cpuS)
    .slice(0, 5);
  return { rows, others, wallS, machineBusyS };
}

/** `perAttempts`: attempts handled in the window, for a CPU-ms-per-attempt column. */
function cpuTable(title: string, split: CpuSplit, cores: number, perAttempts?: number): string {
  const cap = split.wallS * cores;
  const perAttempt = (cpuS: number): string => (perAttempts ? round((cpuS * 1000) / perAttempts, 3).toFixed(3) : '');
  const row = (r: CpuRow): Array<string | number> => [
    r.label,
    round(r.cpuS, 2),
    pct((r.cpuS / split.wallS) * 100),
    pct((r.cpuS / cap) * 100),
    ...(perAttempts ? [perAttempt(r.cpuS)] : []),
    r.sysS === undefined || r.cpuS < 0.05 ? '' : pct((r.sysS / r.cpuS) * 100),
    r.waitS === undefined ? '' : round(r.waitS, 2),
  ];
  const lines = split.rows
    .filter((r) => r.cpuS > 0.005)
    .sort((a, b) => b.cpuS - a.cpuS)
    .map(row);
  const ourCpu = split.rows.filter((r) => r.label !== 'everything else on the machine' && !r.label.includes('OTHER clients')).reduce((n, r) => n + r.cpuS, 0);
  lines.push(['= system under test + bench', round(ourCpu, 2), pct((ourCpu / split.wallS) * 100), pct((ourCpu / cap) * 100), ...(perAttempts ? [perAttempt(ourCpu)] : []), '', '']);
  lines.push(['TOTAL busy (machine, /proc/stat)', round(split.machineBusyS, 2), pct((split.machineBusyS / split.wallS) * 100), pct((split.machineBusyS / cap) * 100), ...(perAttempts ? [''] : []), '', '']);
  const header = ['process', 'CPU s', '% of 1 core', `% of ${cores} cores`, ...(perAttempts ? ['CPU ms/attempt'] : []), 'in kernel', 'run-queue wait s'];
  let out = `${title} (${split.wallS.toFixed(1)} s wall, ${cores} cores = ${cap.toFixed(1)} CPU-s available)\n` + formatTable(header, lines);
  out += '\n(in kernel: share of the CPU spent in system calls — socket I/O on loopback; run-queue wait: seconds the main thread was runnable';
  out += '\n but got no CPU — for Node, the event loop starved by the other processes; summed over processes)';
  if (split.others.length > 0)
    out += '\n' + formatTable(['biggest processes NOT under test (noise; processes that exited meanwhile are only in the residual above)', 'CPU s', '% of 1 core', `% of ${cores} cores`], split.others.map((r) => row(r).slice(0, 4)));
  return out;
}

/** Waits (up to `maxS`) for the machine to be mostly idle for 5 s in a row; returns the busy share seen last. */
async function waitQuiet(maxS: number, cores: number): Promise<number> {
  const deadline = performance.now() + maxS * 1000;
  let quietFor = 0;
  let lastBusy: number;
  let reported = 0;
  for (;;) {
    const a = cpuSnapshot().machine;
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuSnapshot().machine;
    lastBusy = (b.busyS - a.busyS) / Math.max(1e-9, b.totalS - a.totalS);
    quietFor = lastBusy < 0.15 ? quietFor + 1 : 0;
    if (quietFor >= 5 || performance.now() > deadline) return lastBusy;
    if (performance.now() - reported > 15_000) {
      reported = performance.now();
      log(`  machine ${pct(lastBusy * 100)} busy (${cores} cores): waiting for it to quieten (up to ${maxS} s, --quiet-wait)...`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL wait events of the workers' backends

class WaitSampler {
  readonly tally = new Map<string, number>();
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly db: Client,
    private readonly workers: Proc[],
    private readonly pgPort: number,
  ) {}

  start(everyMs = 500): void {
    this.timer = setInterval(() => void this.sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const ports = this.workers.flatMap((w) => clientPortsTo(w.pid, this.pgPort));
      const { rows } = await this.db.query<{ state: string | null; wait_event_type: string | null; wait_event: string | null }>(
        'SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE client_port = ANY($1::int[])',
        [ports],
      );
      this.samples++;
      for (const r of rows) {
        const key =
          r.state === 'active' ? `active, ${r.wait_event_type ? `waiting on ${r.wait_event_type}:${r.wait_event}` : 'running (no wait event)'}` : (r.state ?? 'unknown');
        this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
      }
    } catch {
      // a sample lost is fine
    } finally {
      this.busy = false;
    }
  }

  table(): string {
    if (this.samples === 0) return '(no samples)';
    const rows = [...this.tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, round(n / this.samples, 1)]);
    return formatTable(['workers\' PostgreSQL backends', 'avg count'], rows);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics snapshots

interface MetricsSnapshot {
  intake: Sample[];
  workers: Sample[][];
}

async function metricsSnapshot(sp: SystemProcs): Promise<MetricsSnapshot> {
  const [intake, ...workers] = await Promise.all([scrape(sp.intake.metricsUrl!), ...sp.workers.map((w) => (w.metricsUrl ? scrape(w.metricsUrl) : Promise.resolve([])))]);
  return { intake, workers };
}

const intakeEnqueued = (intake: Sample[]): number => sumOf(intake, 'dropgate_intake_enqueued_total');
const claimLatency = (intake: Sample[]): Hist => histogramOf(intake, 'dropgate_intake_request_duration_seconds', { route: '/v1/claims' });
const jobDuration = (worker: Sample[]): Hist => histogramOf(worker, 'dropgate_worker_job_duration_seconds');

function histRow(label: string, h: Hist): Array<string | number> {
  return [label, h.count, round(histMean(h) * 1000, 2), round(histQuantile(h, 0.5) * 1000, 2), round(histQuantile(h, 0.99) * 1000, 2)];
}

// ---------------------------------------------------------------------------------------------------------------
// CPU profiles (--profile 1)

function reportProfiles(dir: string, procs: Proc[], window: { fromUs: number; toUs: number } | undefined): void {
  const files = profilesIn(dir);
  log('');
  log(`=== CPU profiles (inspector sampling profiler, ${dir}) — load window only ===`);
  for (const p of procs) {
    const file = files.get(p.pid);
    if (!file) {
      log(`${p.label}: no profile written (did it exit cleanly?)`);
      continue;
    }
    let s: ProfileSummary;
    try {
      s = summarizeProfile(file, window);
    } catch (err) {
      log(`${p.label}: unreadable profile ${file}: ${String(err)}`);
      continue;
    }
    const busy = s.totalMs - s.idleMs;
    log('');
    log(
      `${p.label} (pid ${p.pid}): not idle in ${round(busy / 1000, 2)} s of ${round(s.totalMs / 1000, 1)} s sampled` +
        (s.windowed ? '' : ' (WHOLE process life: the window did not match)') +
        ' (wall-clock samples: time starved of CPU lands on the frame that was running, often a system call)',
    );
    const share = (ms: number): string => pct((ms / Math.max(1e-9, busy)) * 100);
    log(formatTable(['code (self time)', 'ms', '% of not idle'], s.byPackage.slice(0, 10).map((x) => [x.name, round(x.ms, 0), share(x.ms)])));
    log(formatTable(['hottest functions (self time)', 'ms', '% of not idle'], s.byFunction.slice(0, 15).map((x) => [x.name.slice(0, 100), round(x.ms, 0), share(x.ms)])));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Steps

const longAgent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

async function createCampaign(sys: RunningSystem, db: Client, codes: number): Promise<{ id: string; ms: number }> {
  const id = `bench-${randomBytes(4).toString('hex')}`;
  log(`creating campaign ${id} with ${formatNumber(codes)} codes (one admin request; progress from the database)...`);
  const started = performance.now();
  let lastCount = 0;
  const progress = setInterval(() => {
    db.query<{ n: string }>('SELECT count(*) AS n FROM codes WHERE campaign_id = $1', [id]).then(
      ({ rows }) => {
        const n = Number(rows[0]?.n ?? 0);
        if (n === lastCount) return;
        lastCount = n;
        const s = (performance.now() - started) / 1000;
        log(`  ${formatNumber(n)} / ${formatNumber(codes)} codes inserted after ${s.toFixed(1)} s (${formatNumber(Math.round(n / s))} codes/s)`);
      },
      () => undefined,
    );
  }, 3_000);
  try {
    const res = await request(`${sys.adminUrl}/admin/v1/campaigns`, {
      method: 'POST',
      dispatcher: longAgent,
      headers: { authorization: `Bearer ${sys.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id,
        name: 'pipeline bench',
        tiers: [{ name: TIER, reward: 'bench reward', quantity: codes }],
        perCustomerLimit: PER_CUSTOMER_LIMIT,
        code: { length: 12, prefix: 'BP-' },
        status: 'active',
      }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`create campaign: HTTP ${res.statusCode} ${text}`);
    const created = JSON.parse(text) as { id: string };
    const ms = performance.now() - started;
    log(`campaign ${created.id} created with ${formatNumber(codes)} codes in ${seconds(ms)} (${formatNumber(Math.round(codes / (ms / 1000)))} codes/s)`);
    return { id: created.id, ms };
  } finally {
    clearInterval(progress);
  }
}

/** Posts one claim; returns the status and the attempt id of a 202. */
async function postClaim(sys: RunningSystem, campaignId: string, customerId: string): Promise<{ status: number; attemptId?: string }> {
  const res = await fetch(`${sys.intakeUrl}/v1/claims`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ campaignId, customerId, tier: TIER }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { attemptId?: string };
  return { status: res.status, ...(body.attemptId ? { attemptId: body.attemptId } : {}) };
}

interface LoadResult {
  result: autocannon.Result;
  acceptedIds: string[];
  firstAcceptAt: number | undefined;
  loadStartAt: number;
  loadEndAt: number;
  statusCounts: Map<number, number>;
}

const ATTEMPT_ID_IN_BODY = /"attemptId"\s*:\s*"([^"]+)"/;

async function runLoad(sys: RunningSystem, campaignId: string, sp: SystemProcs, run: string): Promise<LoadResult> {
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

interface DrainResult {
  drained: boolean;
  target: number;
  drainedAt: number;
  outcomesAtEnd: number;
}

/**
 * Waits until the recorded outcomes reach `target` (every attempt the intake enqueued): the workers' counters
 * are polled often (cheap), and the admin stats (what the store says) confirm before we call it drained.
 */
async function drain(sys: RunningSystem, campaignId: string, sp: SystemProcs, target: number, loadEndAt: number, timeoutMs: number): Promise<DrainResult> {
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

// ---------------------------------------------------------------------------------------------------------------

type Summary = Record<string, unknown> & {
  acceptedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  processedPerSec: number;
  doubleAssigned: number;
  lost: number;
};

async function runBench(setup: Setup): Promise<Summary> {
  const cores = os.cpus().length;
  const run = randomBytes(3).toString('hex');
  log(`pipeline bench [${setup.label}]: ${flags.connections} connections for ${flags.duration} s, ${WORKERS} workers, ${formatNumber(flags.codes)} codes, ${cores} cores`);
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
      ...setup.env,
      // Node refuses --cpu-prof in NODE_OPTIONS; a preloaded module runs the inspector's profiler instead.
      ...(profileDir ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'bench', 'cpu-prof-preload.js')}`, DROPGATE_CPU_PROF_DIR: profileDir } : {}),
    },
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
    const sp = discoverProcesses(sys);
    const pgPort = Number(new URL(sys.env.DATABASE_URL!).port || 5432);
    log(
      `processes: intake ${sp.intake.pid}, admin ${sp.admin.pid}, ${sp.workers.map((w) => `${w.label} ${w.pid}`).join(', ')}, ` +
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
    const cpuBefore = cpuSnapshot();
    log(`load: POST /v1/claims, ${flags.connections} connections, ${flags.duration} s...`);
    const loadFromUs = Number(process.hrtime.bigint() / 1000n);
    const load = await runLoad(sys, campaignId, sp, run);
    profileWindow = { fromUs: loadFromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    profiled = [sp.intake, ...sp.workers];
    const cpuAfterLoad = cpuSnapshot();
    waitsLoad.stop();
    const outcomesAfterLoad = await recordedOutcomes(db, campaignId);
    const redisAfterLoad = commandStats(redisUrl);
    const backendsAfterLoad = await backendOwners(db, [sp.intake, sp.admin, ...sp.workers], pgPort);
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
    const cpuAfterDrain = cpuSnapshot();
    const redisAfterDrain = commandStats(redisUrl);
    const backendsAfterDrain = await backendOwners(db, [sp.intake, sp.admin, ...sp.workers], pgPort);
    const metricsAfterDrain = await metricsSnapshot(sp);
    log(`drained: ${drained.drained} — ${formatNumber(drained.outcomesAtEnd)} outcomes recorded, ${seconds(drained.drainedAt - load.loadEndAt)} after the load ended`);

    // --- database checks ------------------------------------------------------------------------------------
    log('checking the database...');
    const checks: IntegrityReport = await integrity(db, campaignId, PER_CUSTOMER_LIMIT);
    const allAccepted = [...warmupIds, ...load.acceptedIds];
    const lost = await lostAttempts(db, allAccepted);

    // --- figures --------------------------------------------------------------------------------------------
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
    summary = {
      setup: setup.label,
      acceptedPerSec: round(accepted / loadS, 0),
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      processedPerSec: round(processedPerSec, 0),
      doubleAssigned: checks.doubleAssigned,
      lost: lost.lost,
      connections: flags.connections,
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

const COMPARED = ['acceptedPerSec', 'p50Ms', 'p99Ms', 'processedPerSec', 'processedPerSecLoadWindow', 'intakeHandlerMeanMs', 'workerJobMeanMs'] as const;

function cpuPerAttempt(s: Summary, label: string): number {
  return (s.cpuMsPerAttemptLoad as Record<string, number> | undefined)?.[label] ?? NaN;
}

async function main(): Promise<void> {
  try {
    await compareOrRun();
  } finally {
    await longAgent.close().catch(() => undefined);
  }
}

async function compareOrRun(): Promise<void> {
  if (flags.compare === 'none') {
    const summary = await runBench(OPTIMISED);
    // Last, after every child has exited: nothing can print after it.
    log('');
    log(JSON.stringify(summary));
    return;
  }
  // The same load twice in one run, on fresh processes each time: the ratio is the figure (the machine is noisy).
  const baselineSetup = baselineFor(flags.compare);
  const baseline = await runBench(baselineSetup);
  log('');
  const optimised = await runBench(OPTIMISED);
  const ratio = (a: number, b: number): number => round(b / a, 2);
  const cpuLabels = ['intake', 'worker-1', 'worker-2', 'redis-server', 'postgres (backends of workers)', 'bench (autocannon + polling)'];
  log('');
  log(`=== side by side (--compare ${flags.compare}; same load, one run) ===`);
  log(
    formatTable(
      ['figure', baselineSetup.label, OPTIMISED.label, 'optimised / baseline'],
      [
        ...COMPARED.map((k) => [k, Number(baseline[k]), Number(optimised[k]), ratio(Number(baseline[k]), Number(optimised[k]))]),
        ...cpuLabels.map((l) => [`CPU ms/attempt: ${l}`, cpuPerAttempt(baseline, l), cpuPerAttempt(optimised, l), ratio(cpuPerAttempt(baseline, l), cpuPerAttempt(optimised, l))]),
        ['doubleAssigned', baseline.doubleAssigned, optimised.doubleAssigned, ''],
        ['lost', baseline.lost, optimised.lost, ''],
      ],
    ),
  );
  const ratios = Object.fromEntries(COMPARED.map((k) => [k, ratio(Number(baseline[k]), Number(optimised[k]))]));
  log('');
  log(
    JSON.stringify({
      ...optimised,
      compare: flags.compare,
      ratios,
      baseline,
    }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-pipeline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
