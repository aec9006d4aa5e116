import { Worker } from 'bullmq';
import { freePort, redisReady, startOwnRedis, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { closeRedis, createRedis, type CloseRegistry, type ConnectionHealth } from './index';

describe('createRedis', () => {
  it('names the connection and sets options by kind', async () => {
    const producer = createRedis(TEST_REDIS_URL, 'producer', 'test-intake');
    const worker = createRedis(TEST_REDIS_URL, 'worker', 'test-worker');
    const client = createRedis(TEST_REDIS_URL, 'client', 'test-admin');
    try {
      expect(producer.options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      expect(worker.options).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      expect(client.options).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: 3 });
      // A producer has no offline queue, so it must be ready before its first command.
      await redisReady(producer);
      expect(await producer.client('GETNAME')).toBe('dropgate:test-intake:producer');
      expect(await worker.client('GETNAME')).toBe('dropgate:test-worker:worker');
      expect(await client.client('GETNAME')).toBe('dropgate:test-admin:client');
    } finally {
      await Promise.all([closeRedis(producer), closeRedis(worker), closeRedis(client)]);
    }
    expect([producer.status, worker.status, client.status]).toEqual(['end', 'end', 'end']);
  });

  it('makes a producer fail fast while Redis is unreachable', async () => {
    const errors: Error[] = [];
    const producer = createRedis(`redis://127.0.0.1:${await freePort()}`, 'producer', 'test-down', { onError: (e) => errors.push(e) });
    try {
      const started = Date.now();
      await expect(producer.set('k', 'v')).rejects.toThrow(/enableOfflineQueue|Stream isn't writeable|Connection/);
      // At once, not after the producer's 2 s connect/command timeouts (with room for a loaded machine).
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await closeRedis(producer);
    }
  });

  it('writes a producer\'s commands as they are made, not through an auto-pipeline (cheaper for the intake)', async () => {
    const producer = createRedis(TEST_REDIS_URL, 'producer', 'test-direct');
    try {
      await redisReady(producer);
      const replies = Promise.all([producer.ping(), producer.echo('a'), producer.echo('b')]);
      // Auto-pipelining would hold all three in a pipeline until the next tick.
      const heldBack = producer.autoPipelineQueueSize;
      await expect(replies).resolves.toEqual(['PONG', 'a', 'b']);
      expect(heldBack).toBe(0);
    } finally {
      await closeRedis(producer);
    }
  });

  it('registers its close with a shutdown registry', async () => {
    const hooks: { name: string; close: () => unknown }[] = [];
    const registry: CloseRegistry = { register: (name, close) => hooks.push({ name, close }) };
    const redis = createRedis(TEST_REDIS_URL, 'client', 'test-registered', { shutdown: registry });
    expect(await redis.ping()).toBe('PONG');
    expect(hooks.map((h) => h.name)).toEqual(['redis dropgate:test-registered:client']);
    await hooks[0]?.close();
    expect(redis.status).toBe('end');
  });

  it('tells its health when Redis goes away (down), when it is back (up), and nothing when we close it ourselves', async () => {
    const redis = await startOwnRedis();
    const events: string[] = [];
    const health: ConnectionHealth = {
      down: (part, err) => void events.push(`down ${part === conn ? 'conn' : '?'} ${err === undefined ? '-' : 'err'}`),
      up: (part) => void events.push(`up ${part === conn ? 'conn' : '?'}`),
    };
    const conn = createRedis(redis.url, 'worker', 'test-health', { health });
    try {
      await redisReady(conn);
      expect(events).toEqual(['up conn']);
      await redis.stop();
      await waitFor('a failed reconnect', () => (events.includes('down conn err') ? true : undefined));
      // The clean close first (no error yet), then the refused reconnects.
      expect(events[1]).toBe('down conn -');
      await redis.start();
      await waitFor('the connection ready again', () => (events.at(-1) === 'up conn' ? true : undefined), 15_000);
      events.length = 0;
      await closeRedis(conn);
      expect(events).toEqual([]);
    } finally {
      await closeRedis(conn);
      await redis.destroy();
    }
  }, 30_000);

  it("tells the health of the connections BullMQ duplicates from it (a Worker's), so none reports an outage first", async () => {
    const redis = await startOwnRedis();
    const down = new Set<unknown>();
    const up = new Set<unknown>();
    const health: ConnectionHealth = { down: (part) => void down.add(part), up: (part) => void up.add(part) };
    const conn = createRedis(redis.url, 'worker', 'test-duplicates', { health });
    const worker = new Worker('health-duplicates', () => Promise.resolve(), { connection: conn, prefix: `dgdup${Date.now()}` });
    worker.on('error', () => undefined); // told to the health; the test is about those
    try {
      await worker.waitUntilReady();
      // The given connection, and the Worker's copy of it for its blocking reads.
      await waitFor('the copy ready', () => (up.size >= 2 ? true : undefined));
      const parts = new Set(up);
      expect(parts.has(conn)).toBe(true);
      await redis.stop();
      await waitFor('every connection down', () => ([...parts].every((p) => down.has(p)) ? true : undefined), 15_000);
      up.clear();
      await redis.start();
      await waitFor('every connection back', () => ([...parts].every((p) => up.has(p)) ? true : undefined), 20_000);
    } finally {
      await worker.close();
      await closeRedis(conn);
      await redis.destroy();
    }
  }, 60_000);
});
