import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { appEntry, appEnv, deleteKeysByPrefix, dropSchema, freePort, isRunning, logLines } from '@dropgate/testkit';

/**
 * `npm start` (the supervisor) when it cannot work: each case must end quickly, with a stable exit code (78 a bad
 * variable, 69 Redis away, 1 a child that cannot start), one structured line naming what to fix, and no process left
 * behind — not half a minute of restarts, nor a system that seems to run.
 */
interface Run {
  code: number | null;
  output: string;
  ms: number;
}

function runSupervisor(extra: Record<string, string>, timeoutMs: number): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, [appEntry('supervisor')], { env: appEnv({ LOG_LEVEL: 'warn', ...extra }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // Still running: that is the failure; take its whole process group down and report what it said.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

/** The supervisor's start-up failure: its one fatal JSON line. */
const supervisorFailure = (output: string) => logLines(output).filter((line) => line.level === 'fatal' && line.app === 'supervisor');

const startedPids = (output: string): number[] => [...output.matchAll(/started \(pid (\d+)\)/g)].map((m) => Number(m[1]));

async function ports(): Promise<{ PORT: string } & Record<string, string>> {
  const [port, adminPort, adminMetricsPort, metricsPort, workerMetricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  return {
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    ADMIN_METRICS_PORT: String(adminMetricsPort),
    METRICS_PORT: String(metricsPort),
    WORKER_METRICS_PORT: String(workerMetricsPort),
    WORKERS: '1',
  };
}

describe('npm start refuses clearly and leaves nothing running', () => {
  it('a bad value of a variable only a child reads: refused before anything starts, naming the variable', async () => {
    const run = await runSupervisor({ ...(await ports()), RATE_IP_POINTS: 'lots' }, 20_000);
    expect(run.code).toBe(78);
    const [failure, ...more] = supervisorFailure(run.output);
    expect(more).toEqual([]);
    expect(failure).toMatchObject({ exitCode: 78, failure: 'not_restartable' });
    expect(failure!.msg).toMatch(/^supervisor failed to start: Invalid configuration: RATE_IP_POINTS must be an integer/);
    expect(run.output).not.toMatch(/\n\s+at /);
    expect(startedPids(run.output)).toEqual([]);
  });

  it('Redis unreachable: says where it looked and gives up after REDIS_CONNECT_TIMEOUT_MS, starting nothing', async () => {
    const closed = await freePort();
    const run = await runSupervisor({ ...(await ports()), REDIS_URL: `redis://127.0.0.1:${closed}`, REDIS_CONNECT_TIMEOUT_MS: '1500' }, 20_000);
    expect(run.code).toBe(69);
    expect(run.output).toContain(`Redis at redis://127.0.0.1:${closed} (REDIS_URL) does not answer (connect ECONNREFUSED`);
    const [failure] = supervisorFailure(run.output);
    expect(failure).toMatchObject({ exitCode: 69, failure: 'unavailable' });
    expect(failure!.msg).toMatch(/^supervisor failed to start: Redis at .* \(REDIS_URL\) is unreachable: gave up after \d+ tries .*REDIS_CONNECT_TIMEOUT_MS=1500.*ECONNREFUSED/);
    expect(startedPids(run.output)).toEqual([]);
    expect(run.ms).toBeLessThan(10_000);
  });

  it('PORT already in use: the intake says so naming PORT, is not restarted, and everything stops with exit 1', async () => {
    const id = randomBytes(4).toString('hex');
    const env = { ...(await ports()), DATABASE_SCHEMA: `dg_busy_${id}`, QUEUE_PREFIX: `dgbusy${id}`, INTAKE_PROCESSES: '2' };
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(Number(env.PORT), resolve));
    try {
      const run = await runSupervisor(env, 60_000);
      expect(run.code).toBe(1);
      expect(run.output).toContain(`intake failed to start: PORT ${env.PORT} is already in use (EADDRINUSE): stop what listens there, or set PORT to a free port`);
      expect(run.output).toMatch(/\[supervisor\] intake cannot start \(exit 78/);
      expect(run.output).not.toMatch(/restarting in/);
      expect(run.output).not.toMatch(/\n\s+at /); // a message, not a stack trace
      const pids = startedPids(run.output);
      expect(pids.length).toBeGreaterThanOrEqual(3); // intake (and its cluster workers), admin, worker-1
      for (const pid of pids) expect(isRunning(pid)).toBe(false);
    } finally {
      squatter.close();
      await dropSchema(env.DATABASE_SCHEMA);
      await deleteKeysByPrefix(env.QUEUE_PREFIX);
    }
  }, 90_000);
});
