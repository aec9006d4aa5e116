import type { Redis } from 'ioredis';

/**
 * Resolves when `redis` is connected and answers PING; rejects otherwise. For readiness probes (`/readyz`): a
 * connection of the 'worker' or 'client' kind queues commands through an outage, so a PING alone would wait for
 * Redis to come back instead of saying no; a connection that is not `ready` is refused at once.
 */
export async function redisAnswers(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') throw new Error(`redis connection is ${redis.status}`);
  await redis.ping();
}
