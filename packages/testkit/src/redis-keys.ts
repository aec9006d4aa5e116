import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './test-env';

/**
 * Deletes every key under `prefix` (queue keys, rate-limit keys, ...) and returns the keys left afterwards, so a
 * test can assert it left nothing behind. Its own short-lived connection, which fails at once when Redis is down.
 * (A plain ioredis client, not @dropgate/queue's factory: the queue's own tests use this kit.)
 */
export async function deleteKeysByPrefix(prefix: string, url = TEST_REDIS_URL): Promise<string[]> {
  if (prefix === '') throw new RangeError('deleteKeysByPrefix: an empty prefix would match every key');
  const redis = new Redis(url, { lazyConnect: true, connectionName: 'dropgate:testkit:cleanup', retryStrategy: () => null, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // surfaces through connect() and the commands
  const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const scan = async (): Promise<string[]> => {
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match, count: 500 }) as AsyncIterable<string[]>) keys.push(...batch);
    return keys;
  };
  try {
    await redis.connect();
    const keys = await scan();
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    return await scan();
  } finally {
    redis.disconnect();
  }
}
