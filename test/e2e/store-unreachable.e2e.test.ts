import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appEntry, appEnv, freePort, logLines, TEST_DATABASE_URL } from '@dropgate/testkit';

/**
 * Every process that needs the store waits for it at start, retrying with backoff for STORE_CONNECT_TIMEOUT_MS and
 * logging each failed try, then exits with a clear error: the real built processes, PostgreSQL on a closed port. A
 * store that answers but refuses the configuration is not retried: the process exits at once, saying why. Either way
 * in one JSON line on stderr (level fatal, no stack) and a stable exit code: 69 unreachable, 78 refused.
 * (The same wait covers MongoDB, whose connection mongoose alone would never try again: packages/store-runtime.)
 */

interface Exit {
  code: number | null;
  stderr: string;
  stdout: string;
  ms: number;
}

function run(app: string, file: string, env: Record<string, string>): Promise<Exit> {
  const started = Date.now();
  const child = spawn(process.execPath, [appEntry(app, file)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Far beyond what the tests allow (exit code 1 means the process ended by itself): start-up alone took 15-19 s at
  // a load average of 15 on two cores.
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, stdout, ms: Date.now() - started });
    }),
  );
}

async function processEnv(databaseUrl: string, timeoutMs: number): Promise<Record<string, string>> {
  return appEnv({
    DATABASE_URL: databaseUrl,
    STORE_CONNECT_TIMEOUT_MS: String(timeoutMs),
    LOG_LEVEL: 'warn',
    PORT: String(await freePort()),
    METRICS_PORT: String(await freePort()),
    WORKER_METRICS_PORT: String(await freePort()),
    ADMIN_PORT: String(await freePort()),
    ADMIN_METRICS_PORT: String(await freePort()),
    ADMIN_TOKENS: `ops:read:${createHash('sha256').update('unused-token').digest('hex')}`,
  });
}

/** The one start-up failure line a process wrote on stderr (and nothing like a stack trace anywhere). */
function failureLine(exit: Exit): { msg: string; exitCode: number; failure: string } {
  const fatal = logLines(exit.stderr).filter((line) => line.level === 'fatal');
  expect(fatal).toHaveLength(1);
  expect(exit.stdout + exit.stderr).not.toMatch(/\n\s+at /);
  return fatal[0] as unknown as { msg: string; exitCode: number; failure: string };
}

/** Every process that waits for the store at start. */
const runAll = (env: Record<string, string>): Promise<Exit[]> =>
  Promise.all([run('supervisor', 'migrate.js', env), run('worker', 'main.js', env), run('intake', 'main.js', env), run('admin', 'main.js', env)]);

describe('a store unreachable at start', () => {
  it('migrate, worker, intake and admin each retry it with backoff, log every try, and give up with a clear error in bounded time', async () => {
    const closed = await freePort();
    const env = await processEnv(`postgres://postgres@127.0.0.1:${closed}/test`, 1500);
    const exits = await runAll(env);
    for (const exit of exits) {
      expect(exit.code).toBe(69);
      const failure = failureLine(exit);
      expect(failure).toMatchObject({ exitCode: 69, failure: 'unavailable' });
      const gaveUp = /^\w+ failed to start: the postgres store is unreachable: gave up after \d+ tries in (\d+\.\d) s \(STORE_CONNECT_TIMEOUT_MS=1500\); last error: .*ECONNREFUSED/.exec(failure.msg);
      expect(gaveUp).not.toBeNull();
      // Every failed try before giving up was logged (pino JSON lines on stdout, the migrate tool's too).
      const tries = (exit.stdout + exit.stderr).match(/postgres store unreachable; trying again/g) ?? [];
      expect(tries.length).toBeGreaterThanOrEqual(2);
      // Bounded: the wait itself (as the process measured it, its own start-up excluded: seconds on a busy machine)
      // lasted its budget, plus at most the slack of a late timer.
      const waitedS = Number(gaveUp![1]);
      expect(waitedS).toBeGreaterThanOrEqual(1.5);
      expect(waitedS).toBeLessThan(5);
    }
  });

  it('a store that answers but refuses the configuration (a database that does not exist): each process stops at once, naming the cause', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/dg_missing_${randomBytes(4).toString('hex')}`;
    // A budget no test waits out: only stopping at once passes.
    const exits = await runAll(await processEnv(url.toString(), 120_000));
    for (const exit of exits) {
      expect(exit.code).toBe(78);
      const failure = failureLine(exit);
      expect(failure).toMatchObject({ exitCode: 78, failure: 'not_restartable' });
      expect(failure.msg).toMatch(
        /^\w+ failed to start: the postgres store refuses this configuration \(not retried\): database "dg_missing_[0-9a-f]+" does not exist \(SQLSTATE 3D000\): the database named in DATABASE_URL does not exist/,
      );
      // Never tried again, and exited by itself (code 78, not the SIGKILL at 45 s) long before its 120 s budget. No
      // tighter bound on the time: the process's own start-up takes seconds on a busy machine.
      expect(exit.stdout + exit.stderr).not.toMatch(/trying again/);
    }
  });
});
