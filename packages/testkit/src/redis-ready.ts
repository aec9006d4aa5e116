import type { Redis } from 'ioredis';

/** Waits for the connection's 'ready' event (at once when it is ready already); rejects after `timeoutMs`. */
export async function redisReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  let onReady: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    onReady = resolve;
    timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms (status ${redis.status})`)), timeoutMs);
    redis.once('ready', onReady);
  }).finally(() => {
    clearTimeout(timer);
    redis.off('ready', onReady);
  });
}
