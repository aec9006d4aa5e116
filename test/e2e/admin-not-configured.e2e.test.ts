import { spawn } from 'node:child_process';
import { appEntry, appEnv, expectApiError, freePort, http, stopChild, waitFor } from '@dropgate/testkit';

/**
 * The built admin started without ADMIN_TOKENS (docker-compose passes `${ADMIN_TOKENS:-}`: empty unless the operator
 * sets it): it does not exit (compose's restart policies would restart it in a loop, whatever the exit code), it
 * answers every request 503 `admin_not_configured` saying what to set, /readyz included (compose's healthcheck shows
 * it unhealthy), and it stops cleanly on SIGTERM. It needs neither the store nor Redis meanwhile.
 */

describe('the admin without ADMIN_TOKENS', () => {
  it('stays up answering 503 admin_not_configured on every route, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const closed = await freePort();
    // Neither store nor Redis can be reached: the unconfigured admin must not need them.
    const env = appEnv({ ADMIN_PORT: String(port), ADMIN_TOKENS: '', DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/test`, REDIS_URL: `redis://127.0.0.1:${closed}`, LOG_LEVEL: 'info' });
    const child = spawn(process.execPath, [appEntry('admin')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let exit: number | null | undefined;
    child.on('exit', (code) => (exit = code));
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor('the admin to listen', async () => ((await http(url, '/healthz').catch(() => undefined))?.status === 200 ? true : undefined), 30_000, 100);
      for (const [method, path] of [
        ['GET', '/admin/v1/campaigns'],
        ['POST', '/admin/v1/campaigns'],
        ['GET', '/readyz'],
        ['GET', '/'],
        ['POST', '/session'],
      ]) {
        const res = await http(url, path!, { method: method!, ...(method === 'POST' ? { body: {} } : {}) });
        expectApiError(res, 503, 'admin_not_configured');
        expect((res.json as { error: { message: string } }).error.message).toMatch(/^ADMIN_TOKENS is not set, so the admin accepts no token: set ADMIN_TOKENS=name:scope1\+scope2:sha256hex/);
      }
      // Said once in its log, with what to set.
      expect(output.match(/ADMIN_TOKENS is not set/g)).toHaveLength(1);
      expect(exit).toBeUndefined();
    } finally {
      await stopChild(child);
    }
    expect(exit).toBe(0);
  });
});
