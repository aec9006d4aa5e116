import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { freePort, TEST_DATABASE_URL } from '@dropgate/testkit';
import { StoreClosedError, StoreSetupError, type Store } from '@dropgate/store';
import { Client } from 'pg';
import { openStore } from './index';
import { waitForStore } from './wait-for-store';

/** A PostgreSQL URL like the test one, but on `port` of 127.0.0.1. */
function pgUrlOn(port: number): string {
  const url = new URL(TEST_DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

const pgOn = (port: number): Store => openStore({ kind: 'postgres', url: pgUrlOn(port), schema: 'dropgate', poolSize: 1, applicationName: 'dropgate-test-wait' });

/** Waits with a short budget, collecting every failed try. */
async function waitCollecting(store: Store, timeoutMs: number): Promise<{ error: Error | null; failures: unknown[]; elapsedMs: number }> {
  const failures: unknown[] = [];
  const started = Date.now();
  const error = await waitForStore(store, { timeoutMs, firstDelayMs: 50, maxDelayMs: 200, onRetry: (err) => failures.push(err) }).then(
    () => null,
    (err: unknown) => err as Error,
  );
  return { error, failures, elapsedMs: Date.now() - started };
}

/** A PostgreSQL URL like the test one, with another database or user. */
function pgUrlWith(change: { database?: string; user?: string }): string {
  const url = new URL(TEST_DATABASE_URL);
  if (change.database !== undefined) url.pathname = `/${change.database}`;
  if (change.user !== undefined) url.username = change.user;
  return url.toString();
}

const pgAt = (url: string): Store => openStore({ kind: 'postgres', url, schema: 'dropgate', poolSize: 1, applicationName: 'dropgate-test-wait' });

describe('waitForStore: a store unreachable at start is retried for a bounded time', () => {
  it('PostgreSQL on a closed port: retries with backoff, then fails with a clear error within its budget', async () => {
    const store = pgOn(await freePort());
    try {
      const { error, failures, elapsedMs } = await waitCollecting(store, 1500);
      expect(error?.message).toMatch(/^the postgres store is unreachable: gave up after \d+ tries in 1\.\d s \(STORE_CONNECT_TIMEOUT_MS=1500\); last error: .*ECONNREFUSED/);
      expect(failures.length).toBeGreaterThanOrEqual(4);
      for (const f of failures) expect((f as Error).message).toMatch(/ECONNREFUSED/);
      expect(elapsedMs).toBeGreaterThanOrEqual(1500);
      expect(elapsedMs).toBeLessThan(3000);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL that comes up after the process: connects once it answers', async () => {
    const port = await freePort();
    const target = new URL(TEST_DATABASE_URL);
    // The real server, reachable on `port` only after a while (as a database container started after us).
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    const store = pgOn(port);
    const late = setTimeout(() => proxy.listen(port, '127.0.0.1'), 700);
    try {
      const { error, failures } = await waitCollecting(store, 10_000);
      expect(error).toBeNull();
      expect(failures.length).toBeGreaterThanOrEqual(2);
      await store.ping();
    } finally {
      clearTimeout(late);
      await store.close();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('a reachable store answers at once, without a retry', async () => {
    const store = openStore({ kind: 'postgres', url: TEST_DATABASE_URL, schema: 'dropgate', poolSize: 1, applicationName: 'dropgate-test-wait' });
    try {
      expect(await waitCollecting(store, 5000)).toMatchObject({ error: null, failures: [] });
    } finally {
      await store.close();
    }
  });

  it('MongoDB on a closed port: every try is a new connection attempt (mongoose alone never retries), then a clear error', async () => {
    // No MongoDB server here, and none needed: the server selection of each try fails after 1 s. (At 200 ms, on a
    // loaded machine, a selection sometimes timed out before the driver's connection attempt had even been refused.)
    const store = openStore({ kind: 'mongo', url: `mongodb://127.0.0.1:${await freePort()}/?serverSelectionTimeoutMS=1000`, dbName: 'dropgate_wait_test' });
    // How long each try took: a new attempt waits out its server selection; the first failure handed out again
    // (mongoose's own behaviour) would take no time.
    const tryMs: number[] = [];
    const timed: Store = {
      ...store,
      ping: async () => {
        const started = Date.now();
        try {
          await store.ping();
        } finally {
          tryMs.push(Date.now() - started);
        }
      },
    };
    try {
      const { error, failures, elapsedMs } = await waitCollecting(timed, 5000);
      expect(error?.message).toMatch(/^the mongo store is unreachable: gave up after \d+ tries in 5\.\d s \(STORE_CONNECT_TIMEOUT_MS=5000\); last error: .*ECONNREFUSED/);
      expect(failures.length).toBeGreaterThanOrEqual(3);
      for (const f of failures) expect((f as Error).message).toMatch(/ECONNREFUSED/);
      // The first try joins the attempt the store began when it was created (partly over); every later one is new.
      for (const ms of tryMs.slice(1, failures.length)) expect(ms).toBeGreaterThanOrEqual(900);
      expect(elapsedMs).toBeLessThan(6500);
    } finally {
      await store.close();
    }
  });

  it('a closed store is not waited for: StoreClosedError at once', async () => {
    const store = openStore({ kind: 'postgres', url: TEST_DATABASE_URL, schema: 'dropgate', poolSize: 1, applicationName: 'dropgate-test-wait' });
    await store.close();
    const { error, failures } = await waitCollecting(store, 30_000);
    expect(failures).toEqual([]);
    expect(error).toBeInstanceOf(StoreClosedError);
    expect(error?.message).toMatch(/^the postgres store is closed/);
  });

  describe('a store that answers but refuses the configuration stops the wait at once, naming the cause', () => {
    const superuser = new Client({ connectionString: TEST_DATABASE_URL });
    const nologin = `dg_test_nologin_${randomBytes(4).toString('hex')}`;
    beforeAll(async () => {
      await superuser.connect();
      await superuser.query(`CREATE ROLE ${nologin} NOLOGIN`);
    });
    afterAll(async () => {
      await superuser.query(`DROP ROLE IF EXISTS ${nologin}`);
      await superuser.end();
    });

    const cases: Array<[string, () => string, RegExp]> = [
      ['a database that does not exist', () => pgUrlWith({ database: `dg_missing_${randomBytes(4).toString('hex')}` }), /database "dg_missing_[0-9a-f]+" does not exist \(SQLSTATE 3D000\): the database named in DATABASE_URL does not exist/],
      ['a role that does not exist', () => pgUrlWith({ user: `dg_nobody_${randomBytes(4).toString('hex')}` }), /role "dg_nobody_[0-9a-f]+" does not exist \(SQLSTATE 28000\): the server refuses this user/],
      ['a role that may not log in', () => pgUrlWith({ user: nologin }), /role "dg_test_nologin_[0-9a-f]+" is not permitted to log in \(SQLSTATE 28000\)/],
    ];
    it.each(cases)('PostgreSQL, %s: no retry, a StoreSetupError with the server\'s reason', async (_, url, reason) => {
      const store = pgAt(url());
      try {
        // A budget far longer than the test may take: only stopping at once passes.
        const { error, failures, elapsedMs } = await waitCollecting(store, 30_000);
        expect(failures).toEqual([]);
        expect(error).toBeInstanceOf(StoreSetupError);
        expect(error?.message).toMatch(/^the postgres store refuses this configuration \(not retried\): /);
        expect(error?.message).toMatch(reason);
        expect(elapsedMs).toBeLessThan(10_000);
      } finally {
        await store.close();
      }
    });
  });
});
