import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appEntry, appEnv, freePort } from '@dropgate/testkit';

/**
 * Every process that needs the store waits for it at start, retrying with backoff for STORE_CONNECT_TIMEOUT_MS and
 * logging each failed try, then exits with a clear error: the real built processes, PostgreSQL on a closed port.
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
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, stdout, ms: Date.now() - started });
    }),
  );
}

describe('a store unreachable at start', () => {
  it('migrate, worker, intake and admin each retry it with backoff, log every try, and give up with a clear error in bounded time', async () => {
    const closed = await freePort();
    const env = appEnv({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/test`,
      STORE_CONNECT_TIMEOUT_MS: '1500',
      LOG_LEVEL: 'warn',
      PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
      WORKER_METRICS_PORT: String(await freePort()),
      ADMIN_PORT: String(await freePort()),
      ADMIN_METRICS_PORT: String(await freePort()),
      ADMIN_TOKENS: `ops:read:${createHash('sha256').update('unused-token').digest('hex')}`,
    });
    const exits = await Promise.all([
      run('supervisor', 'migrate.js', env),
      run('worker', 'main.js', env),
      run('intake', 'main.js', env),
      run('admin', 'main.js', env),
    ]);
    for (const exit of exits) {
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/the postgres store is unreachable: gave up after \d+ tries in \d+\.\d s \(STORE_CONNECT_TIMEOUT_MS=1500\); last error: .*ECONNREFUSED/);
      // Every failed try before giving up was logged (pino JSON lines on stdout; the migrate tool writes stderr).
      const tries = (exit.stdout + exit.stderr).match(/postgres store unreachable; trying again/g) ?? [];
      expect(tries.length).toBeGreaterThanOrEqual(2);
      // Bounded: the budget, plus the process's own start-up on a busy machine.
      expect(exit.ms).toBeLessThan(15_000);
    }
  });
});
