import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { appEntry, appEnv, deleteKeysByPrefix, dropSchema, freePort, isRunning, requestJson, waitFor } from '@dropgate/testkit';

/**
 * The supervisor never leaves a child behind: SIGTERM to `npm start` alone (npm forwards it to its script, not to
 * the supervisor's children), SIGHUP to the supervisor, and even the supervisor SIGKILLed (its children see their
 * IPC channel close) all end with every process gone. One worker each, to keep these runs small.
 */
const ROOT = path.resolve(__dirname, '..', '..');

interface Started {
  child: ChildProcess;
  output: () => string;
  /** The supervisor's children by name, from its "<name> started (pid N)" lines. */
  childPids: Record<string, number>;
}

describe('stopping the supervisor stops every process', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  async function start(command: 'npm start' | 'supervisor', untilReady = true): Promise<Started> {
    const id = randomBytes(4).toString('hex');
    const [port, adminPort, adminMetricsPort, intakeMetricsPort, workerMetricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const env = appEnv({
      HOME: process.env.HOME ?? ROOT,
      DATABASE_SCHEMA: `dg_sig_${id}`,
      QUEUE_PREFIX: `dgsig${id}`,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      ADMIN_METRICS_PORT: String(adminMetricsPort),
      METRICS_PORT: String(intakeMetricsPort),
      WORKER_METRICS_PORT: String(workerMetricsPort),
      WORKERS: '1',
      LOG_LEVEL: 'info',
    });
    const [file, args] = command === 'npm start' ? ['npm', ['start']] : [process.execPath, [appEntry('supervisor')]];
    // Its own process group: the test's signals reach only the process named, and a failed run can be SIGKILLed whole.
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const childPids: Record<string, number> = {};
    cleanups.push(async () => {
      for (const pid of [child.pid, ...Object.values(childPids)]) {
        if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
      }
      await dropSchema(env.DATABASE_SCHEMA!);
      await deleteKeysByPrefix(env.QUEUE_PREFIX!);
    });

    await waitFor('three children started', () => {
      for (const [, name, pid] of output.matchAll(/\] (\S+) started \(pid (\d+)\)/g)) childPids[name!] = Number(pid);
      return Object.keys(childPids).length === 3 ? true : undefined;
    }, 60_000, 25);
    if (!untilReady) return { child, output: () => output, childPids };
    // Ready: each has installed its signal handlers by the time it answers.
    await waitFor('intake ready', async () => ((await requestJson(`http://127.0.0.1:${intakeMetricsPort}/readyz`)).status === 200 ? true : undefined), 30_000);
    await waitFor('admin ready', async () => ((await requestJson(`http://127.0.0.1:${adminPort}/readyz`)).status === 200 ? true : undefined), 30_000);
    await waitFor('worker metrics', async () => ((await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).ok ? true : undefined), 30_000);
    expect(Object.keys(childPids).sort()).toEqual(['admin', 'intake', 'worker-1']);
    return { child, output: () => output, childPids };
  }

  /** Waits until `pattern` occurs `times` times in the output (children may still be writing when a parent exits). */
  const logged = (output: () => string, pattern: RegExp, times: number): Promise<true> =>
    waitFor(`${times} x ${pattern}`, () => (output().match(pattern)?.length === times ? true : undefined), 10_000, 50);
  const allGone = (pids: Record<string, number>, timeoutMs = 20_000): Promise<true> =>
    waitFor('every child to exit', () => (Object.values(pids).every((pid) => !isRunning(pid)) ? true : undefined), timeoutMs, 50);

  it('SIGTERM to `npm start` alone: npm, the supervisor and every child exit', async () => {
    const { child, output, childPids } = await start('npm start');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    await exited;
    expect(output()).toMatch(/SIGTERM: stopping all processes/);
    await allGone(childPids);
    // They drained: each logged a finished shutdown, none was SIGKILLed at the deadline.
    await logged(output, /"msg":"shutdown finished"/g, 3);
  }, 120_000);

  it('SIGHUP to the supervisor: exits 0 after every child stopped cleanly', async () => {
    const { child, output, childPids } = await start('supervisor');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGHUP');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/SIGHUP: stopping all processes/);
    for (const pid of Object.values(childPids)) expect(isRunning(pid)).toBe(false);
    await logged(output, /"msg":"shutdown finished"/g, 3);
  }, 120_000);

  it('the supervisor SIGKILLed: its children notice and shut down by themselves', async () => {
    const { child, output, childPids } = await start('supervisor');
    child.kill('SIGKILL');
    await allGone(childPids);
    await logged(output, /"msg":"parent process gone"/g, 3);
    await logged(output, /"msg":"shutdown finished"/g, 3);
  }, 120_000);

  it('the supervisor SIGKILLed while its children are still starting: they stop once started, none is left running', async () => {
    // Their channel closes before they listen for it; they used to run on as orphans (npm start | head, a crash).
    const { child, output, childPids } = await start('supervisor', false);
    child.kill('SIGKILL');
    await allGone(childPids, 60_000);
    await logged(output, /"msg":"parent process gone"/g, 3);
  }, 120_000);
});
