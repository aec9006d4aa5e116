import { createHash, randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadSupervisorConfig } from '@dropgate/config';
import { STOP_SIGNALS } from '@dropgate/observability';
import { EXIT_NOT_RESTARTABLE, EXIT_UNAVAILABLE, exitOnStartupFailure, ProcessGroup } from '@dropgate/supervision';
import { awaitRedis, checkChildConfigs, workerEnv } from './preflight';
import { announceWhenReady } from './ready-summary';

const log = (msg: string): void => void process.stdout.write(`[supervisor] ${msg}\n`);
const appScript = (app: string): string => path.resolve(__dirname, '..', '..', app, 'dist', 'main.js');
/** How an app is started: node, its built main, an IPC channel (a child notices through it that we are gone). */
const launchApp = (app: string, env: NodeJS.ProcessEnv) => () => spawn(process.execPath, [appScript(app)], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

/**
 * `npm start`: the whole system on one machine. Checks every process's configuration and that Redis answers, applies
 * pending migrations, then runs intake, admin and WORKERS worker processes, and says where they are once they
 * answer. Ctrl-C, SIGTERM or SIGHUP stops them all cleanly, and if this process is killed outright its children
 * notice (their IPC channel closes) and stop too. A child that cannot start (a port in use) stops everything.
 */
async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadSupervisorConfig(process.env);
  const env = { ...process.env };
  let madeUpToken: string | undefined;
  if (!env.ADMIN_TOKENS && !env.ADMIN_TOKEN) {
    // A development convenience: one token with every scope for this run, configured (as always) by its hash only.
    madeUpToken = randomBytes(24).toString('base64url');
    env.ADMIN_TOKENS = `admin:read+write+export:${createHash('sha256').update(madeUpToken).digest('hex')}`;
  }
  const intake = checkChildConfigs(env, config);
  await awaitRedis(config, log);
  const migrate = spawnSync(process.execPath, [path.join(__dirname, 'migrate.js')], { stdio: 'inherit', env: process.env });
  if (migrate.status !== 0) throw new MigrationFailedError(migrate.status);
  if (madeUpToken !== undefined) log(`ADMIN_TOKENS was not set; this run's admin token is: ${madeUpToken} (name "admin", every scope)`);

  let stopping = false;
  const stop = (reason: string, exitCode: number): void => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping all processes`);
    group.stop(config.SHUTDOWN_TIMEOUT_MS + 2_000).then(
      () => process.exit(exitCode),
      () => process.exit(1),
    );
  };
  const group = new ProcessGroup(log, (name) => stop(`${name} cannot run`, 1));
  group.start({ name: 'intake', launch: launchApp('intake', env) });
  group.start({ name: 'admin', launch: launchApp('admin', env) });
  for (let i = 0; i < config.WORKERS; i++) group.start({ name: `worker-${i + 1}`, launch: launchApp('worker', workerEnv(env, config, i)) });
  log(`starting intake (:${config.PORT}), admin (:${config.ADMIN_PORT}) and ${config.WORKERS} workers; Ctrl-C to stop`);

  // SIGTERM alone must be enough (npm, docker, systemd send it to this process only): every child is stopped here.
  for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal, 0));
  void announceWhenReady(config, intake, startedAt, () => stopping, log);
}

/** The migrate step failed; it logged why. Its exit code says what kind of failure it was (store away, refused, ...). */
class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError';
  readonly notRestartable: boolean;
  readonly unavailable: boolean;
  constructor(status: number | null) {
    super(`migrations failed (exit ${status ?? 'by signal'}, said above); not starting`);
    this.notRestartable = status === EXIT_NOT_RESTARTABLE;
    this.unavailable = status === EXIT_UNAVAILABLE;
  }
}

main().catch((err: unknown) => exitOnStartupFailure('supervisor', err));
