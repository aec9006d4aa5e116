import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const script = (app: string, file = 'main.js'): string => path.join(ROOT, 'apps', app, 'dist', file);

export interface SystemOptions {
  workers: number;
  /** Extra environment for every process (e.g. rate limits, concurrency). */
  env?: Record<string, string>;
  /** Where process output goes; default: discarded unless DROPGATE_E2E_VERBOSE is set. */
  verbose?: boolean;
  /**
   * Node command-line flags for the intake and worker processes only (benchmarks try e.g. `--max-semi-space-size`);
   * default none, as `npm start` runs them.
   */
  nodeFlags?: readonly string[];
}

export interface RunningSystem {
  intakeUrl: string;
  adminUrl: string;
  adminToken: string;
  schema: string;
  queuePrefix: string;
  env: Record<string, string>;
  workers: ChildProcess[];
  /** Starts one more worker process (e.g. after killing one). */
  addWorker(): Promise<ChildProcess>;
  stop(): Promise<void>;
}

/**
 * Starts the real processes (built `dist/` of intake, admin and workers) against the local Redis and
 * PostgreSQL, isolated by a random schema and queue prefix, exactly as `npm start` would run them.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const id = randomBytes(4).toString('hex');
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    STORE: 'postgres',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    DATABASE_SCHEMA: `dg_e2e_${id}`,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `dge2e${id}`,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    ADMIN_TOKEN: randomBytes(18).toString('base64url'),
    ...options.env,
  };
  const migrate = spawnSync(process.execPath, [script('supervisor', 'migrate.js')], { env, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.stderr}`);

  const children: ChildProcess[] = [];
  const verbose = options.verbose ?? Boolean(process.env.DROPGATE_E2E_VERBOSE);
  let metricsPort = 0;
  const nodeFlags = options.nodeFlags ?? [];
  const launch = async (app: string, extra: Record<string, string> = {}): Promise<ChildProcess> => {
    const flags = app === 'intake' || app === 'worker' ? nodeFlags : [];
    const child = spawn(process.execPath, [...flags, script(app)], { env: { ...env, ...extra }, stdio: ['ignore', verbose ? 'inherit' : 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  const addWorker = async (): Promise<ChildProcess> => {
    metricsPort = await freePort();
    const child = await launch('worker', { WORKER_METRICS_PORT: String(metricsPort) });
    const port = metricsPort;
    await waitFor(`worker metrics on :${port}`, async () => ((await fetch(`http://127.0.0.1:${port}/metrics`)).ok ? true : undefined));
    return child;
  };

  await launch('intake');
  await launch('admin');
  const workers: ChildProcess[] = [];
  for (let i = 0; i < options.workers; i++) workers.push(await addWorker());
  const intakeUrl = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitFor('intake ready', async () => ((await fetch(`${intakeUrl}/readyz`)).ok ? true : undefined));
  await waitFor('admin ready', async () => ((await fetch(`${adminUrl}/readyz`)).ok ? true : undefined));

  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    spawnSync('psql', [env.DATABASE_URL!, '-qc', `DROP SCHEMA IF EXISTS ${env.DATABASE_SCHEMA} CASCADE`], { encoding: 'utf8' });
    spawnSync('sh', ['-c', `redis-cli -u "${env.REDIS_URL}" --scan --pattern '${env.QUEUE_PREFIX}*' | xargs -r -n 500 redis-cli -u "${env.REDIS_URL}" del`]);
  };

  return {
    intakeUrl,
    adminUrl,
    adminToken: env.ADMIN_TOKEN!,
    schema: env.DATABASE_SCHEMA!,
    queuePrefix: env.QUEUE_PREFIX!,
    env,
    workers,
    addWorker,
    stop,
  };
}
