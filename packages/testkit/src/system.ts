import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appEntry, appEnv, migrateApp } from './app-process';
import { abortOnExit, stopChild } from './child-process';
import { freePort } from './free-port';
import { deleteKeysByPrefix } from './redis-keys';
import { dropSchema } from './temp-schema';
import { waitFor } from './wait-for';

/** How long a process may take to answer its first request. */
const START_TIMEOUT_MS = 30_000;

export interface SystemOptions {
  workers: number;
  /** Extra environment for every process (e.g. rate limits, concurrency, another REDIS_URL). */
  env?: Record<string, string>;
  /** Extra environment for the workers only, over `env` (e.g. a bench whose intake sees one address for everyone). */
  workerEnv?: Record<string, string>;
  /** Where process output goes; default: discarded unless DROPGATE_E2E_VERBOSE is set. */
  verbose?: boolean;
  /** Keep every process's stdout (its log lines) for `output()`; default false. */
  capture?: boolean;
  /**
   * Node command-line flags for the intake and worker processes only (benchmarks try e.g. `--max-semi-space-size`);
   * default none, as `npm start` runs them.
   */
  nodeFlags?: readonly string[];
}

export interface RunningSystem {
  intakeUrl: string;
  /** The intake's internal port (METRICS_PORT, loopback): /metrics and /readyz. */
  intakeInternalUrl: string;
  adminUrl: string;
  adminToken: string;
  schema: string;
  queuePrefix: string;
  env: Record<string, string>;
  workers: ChildProcess[];
  /** The internal port (WORKER_METRICS_PORT: /metrics, /healthz, /readyz) of every worker started, `addWorker`'s too, in order. */
  workerInternalUrls: string[];
  /** The intake process (with INTAKE_PROCESSES > 1, the cluster primary). */
  intake: ChildProcess;
  /** Starts one more worker process (e.g. after killing one). */
  addWorker(): Promise<ChildProcess>;
  /** With `capture`: what each process of `app` wrote to stdout so far (pino JSON lines), one string per process. */
  output(app: 'intake' | 'admin' | 'worker'): string[];
  /** Stops every process (SIGTERM, SIGKILL after 15 s), then drops the schema and the queue's keys (best effort). */
  stop(): Promise<void>;
}

interface Launched {
  app: string;
  name: string;
  child: ChildProcess;
  stdout: string;
}

/** Polls `url` until it answers 2xx; fails at once if one of `watched` exits first. */
async function serving(what: string, url: string, watched: readonly Launched[]): Promise<void> {
  const died = new AbortController();
  const unwatch = watched.map(({ child, name }) => abortOnExit(child, name, died));
  try {
    await waitFor(what, async () => ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined), START_TIMEOUT_MS, 50, died.signal);
  } finally {
    for (const off of unwatch) off();
  }
}

/**
 * Starts the real processes (built `dist/` of intake, admin and workers) against the test Redis and PostgreSQL,
 * isolated by a random schema and queue prefix, exactly as `npm start` would run them. When start-up fails half-way
 * (migration, a process that exits or never gets ready), what was started is stopped and cleaned up before the error
 * is rethrown.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const id = randomBytes(4).toString('hex');
  const [port, adminPort, adminMetricsPort, intakeMetricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const adminToken = randomBytes(18).toString('base64url');
  const env = appEnv({
    DATABASE_SCHEMA: `dg_e2e_${id}`,
    QUEUE_PREFIX: `dge2e${id}`,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    METRICS_PORT: String(intakeMetricsPort),
    ADMIN_METRICS_PORT: String(adminMetricsPort),
    // One token with every scope, configured by its hash (as ADMIN_TOKENS always is); tests use the plain one.
    ADMIN_TOKENS: `admin:read+write+export:${createHash('sha256').update(adminToken).digest('hex')}`,
    ...options.env,
  });
  const launched: Launched[] = [];
  const verbose = options.verbose ?? Boolean(process.env.DROPGATE_E2E_VERBOSE);
  const nodeFlags = options.nodeFlags ?? [];
  const launch = (app: string, extra: Record<string, string> = {}): Launched => {
    const flags = app === 'intake' || app === 'worker' ? nodeFlags : [];
    const stdout = options.capture ? 'pipe' : verbose ? 'inherit' : 'ignore';
    const child = spawn(process.execPath, [...flags, appEntry(app)], { env: { ...env, ...extra }, stdio: ['ignore', stdout, 'inherit'] });
    child.on('error', () => undefined); // reported by abortOnExit while starting; an unhandled 'error' would end the test process
    const entry: Launched = { app, name: `${app} (pid ${child.pid ?? '-'})`, child, stdout: '' };
    child.stdout?.on('data', (data: Buffer) => {
      entry.stdout += data.toString();
      if (verbose) process.stdout.write(data);
    });
    launched.push(entry);
    return entry;
  };
  const workerInternalUrls: string[] = [];
  /** A worker, once its /readyz says so (Redis and the store answer); fails at once if it (or one of `alsoWatch`) exits first. */
  const startWorker = async (alsoWatch: readonly Launched[]): Promise<ChildProcess> => {
    const metricsPort = await freePort();
    const worker = launch('worker', { ...options.workerEnv, WORKER_METRICS_PORT: String(metricsPort) });
    const internalUrl = `http://127.0.0.1:${metricsPort}`;
    await serving(`worker ready on :${metricsPort}`, `${internalUrl}/readyz`, [...alsoWatch, worker]);
    workerInternalUrls.push(internalUrl);
    return worker.child;
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all(launched.map(({ child }) => stopChild(child)));
      // Best effort (the test may have left its Redis down): a failed clean-up is reported, not thrown.
      const cleanups = await Promise.allSettled([dropSchema(env.DATABASE_SCHEMA!, env.DATABASE_URL), deleteKeysByPrefix(env.QUEUE_PREFIX!, env.REDIS_URL)]);
      for (const c of cleanups) if (c.status === 'rejected') process.stderr.write(`startSystem: clean-up failed: ${String(c.reason)}\n`);
    })());

  const intakeUrl = `http://127.0.0.1:${port}`;
  const intakeInternalUrl = `http://127.0.0.1:${env.METRICS_PORT!}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const workers: ChildProcess[] = [];
  let intake: Launched | undefined;
  try {
    migrateApp(env);
    intake = launch('intake');
    const admin = launch('admin');
    for (let i = 0; i < options.workers; i++) workers.push(await startWorker([intake, admin]));
    await serving('intake ready', `${intakeInternalUrl}/readyz`, [intake, admin]);
    await serving('admin ready', `${adminUrl}/readyz`, [intake, admin]);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    intakeUrl,
    intakeInternalUrl,
    adminUrl,
    adminToken,
    schema: env.DATABASE_SCHEMA!,
    queuePrefix: env.QUEUE_PREFIX!,
    env,
    workers,
    workerInternalUrls,
    intake: intake.child,
    addWorker: () => startWorker([]),
    output: (app) => launched.filter((l) => l.app === app).map((l) => l.stdout),
    stop,
  };
}
