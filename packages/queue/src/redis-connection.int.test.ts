import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { closeRedis, createRedis, type CloseRegistry } from './index';

const REDIS_URL = 'redis://127.0.0.1:6379';

/** A port nothing listens on: bind to a free one, then release it. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits for the connection's 'ready' event, for at most `timeoutMs`. */
async function ready(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', () => resolve());
  }).finally(() => clearTimeout(timer));
}

describe('createRedis', () => {
  it('names the connection and sets options by kind', async () => {
    const producer = createRedis(REDIS_URL, 'producer', 'test-intake');
    const worker = createRedis(REDIS_URL, 'worker', 'test-worker');
    const client = createRedis(REDIS_URL, 'client', 'test-admin');
    try {
      expect(producer.options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      expect(worker.options).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      expect(client.options).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: 3 });
      // A producer has no offline queue, so it must be ready before its first command.
      await ready(producer);
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
    const producer = createRedis(`redis://127.0.0.1:${await unusedPort()}`, 'producer', 'test-down', { onError: (e) => errors.push(e) });
    try {
      const started = Date.now();
      await expect(producer.set('k', 'v')).rejects.toThrow(/enableOfflineQueue|Stream isn't writeable|Connection/);
      expect(Date.now() - started).toBeLessThan(200);
    } finally {
      await closeRedis(producer);
    }
  });

  it('registers its close with a shutdown registry', async () => {
    const hooks: { name: string; close: () => unknown }[] = [];
    const registry: CloseRegistry = { register: (name, close) => hooks.push({ name, close }) };
    const redis = createRedis(REDIS_URL, 'client', 'test-registered', { shutdown: registry });
    expect(await redis.ping()).toBe('PONG');
    expect(hooks.map((h) => h.name)).toEqual(['redis dropgate:test-registered:client']);
    await hooks[0]?.close();
    expect(redis.status).toBe('end');
  });
});
