import { createHash, randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadSupervisorConfig } from '@dropgate/config';
import { STOP_SIGNALS } from '@dropgate/observability';
import { ProcessGroup } from '@dropgate/supervision';

const log = (msg: string): void => void process.stdout.write(`[supervisor] ${msg}\n`);
const appScript = (app: string): string => path.resolve(__dirname, '..', '..', app, 'dist', 'main.js');
/** How an app is started: node, its built main, an IPC channel (a child notices through it that we are gone). */
const launchApp = (app: string, env: NodeJS.ProcessEnv) => () => spawn(process.execPath, [appScript(app)], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

/**
 * `npm start`: the whole system on one machine. Applies pending migrations, then runs intake, admin and
 * WORKERS worker processes; Ctrl-C, SIGTERM or SIGHUP stops them all cleanly, and
 * if this process is killed outright its children notice (their IPC channel closes) and stop too. Each process reads its own configuration.
 */
function main(): void {
  const config = loadSupervisorConfig(process.env);
  const migrate = spawnSync(process.execPath, [path.join(__dirname, 'migrate.js')], { stdio: 'inherit', env: process.env });
  if (migrate.status !== 0) throw new Error('migrations failed; not starting');

  const env = { ...process.env };
  if (!env.ADMIN_TOKENS && !env.ADMIN_TOKEN) {
    // A development convenience: one token with every scope for this run, configured (as always) by its hash only.
    const token = randomBytes(24).toString('base64url');
    env.ADMIN_TOKENS = `admin:read+write+export:${createHash('sha256').update(token).digest('hex')}`;
    log(`ADMIN_TOKENS was not set; this run's admin token is: ${token} (name "admin", every scope)`);
  }
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
  const group = new ProcessGroup(log, (name) => stop(`${name} keeps failing`, 1));
  group.start({ name: 'intake', launch: launchApp('intake', env) });
  group.start({ name: 'admin', launch: launchApp('admin', env) });
  for (let i = 0; i < config.WORKERS; i++) {
    group.start({ name: `worker-${i + 1}`, launch: launchApp('worker', { ...env, WORKER_METRICS_PORT: String(config.WORKER_METRICS_PORT + i) }) });
  }
  log(`intake on :${config.PORT}, admin on :${config.ADMIN_PORT}, ${config.WORKERS} workers (metrics from :${config.WORKER_METRICS_PORT}) — Ctrl-C to stop`);

  // SIGTERM alone must be enough (npm, docker, systemd send it to this process only): every child is stopped here.
  for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal, 0));
}

try {
  main();
} catch (err) {
  log(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
