import { Redis } from 'ioredis';

export interface WaitForRedisOptions {
  /** Gives up this long after the first try. */
  timeoutMs: number;
  /** Each failed try, with the wait before the next one. */
  onRetry: (err: Error, tries: number, nextInMs: number) => void;
  firstDelayMs?: number | undefined;
  maxDelayMs?: number | undefined;
}

/** Where Redis is, without the credentials a URL may carry (for messages). */
export const redisAddress = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
};

/**
 * `npm start` before it starts anything: PING Redis until it answers, with backoff (250 ms doubling to 5 s), for at
 * most `timeoutMs`; then an Error saying where it looked, for how long and what Redis (or the network) said last.
 * Without this, a Redis that is not there shows as every process logging connection errors, several a second,
 * while seeming to run. Each try is a connection of its own that does not retry by itself.
 */
export async function waitForRedis(url: string, options: WaitForRedisOptions): Promise<void> {
  const started = Date.now();
  let delay = options.firstDelayMs ?? 250;
  for (let tries = 1; ; tries++) {
    const left = started + options.timeoutMs - Date.now();
    const failure = await pingOnce(url, Math.max(250, Math.min(2000, left)));
    if (failure === undefined) return;
    if (Date.now() - started >= options.timeoutMs) {
      throw new RedisUnreachableError(
        `Redis at ${redisAddress(url)} (REDIS_URL) is unreachable: gave up after ${tries} ${tries === 1 ? 'try' : 'tries'} in ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s (REDIS_CONNECT_TIMEOUT_MS=${options.timeoutMs}); last error: ${failure.message}`,
        { cause: failure },
      );
    }
    const wait = Math.min(delay, Math.max(0, started + options.timeoutMs - Date.now()));
    options.onRetry(failure, tries, wait);
    await new Promise((resolve) => setTimeout(resolve, wait));
    delay = Math.min(delay * 2, options.maxDelayMs ?? 5_000);
  }
}

/** Redis did not answer within REDIS_CONNECT_TIMEOUT_MS: a restart later may find it (`unavailable`, EXIT_UNAVAILABLE). */
export class RedisUnreachableError extends Error {
  readonly unavailable = true;
  override readonly name = 'RedisUnreachableError';
}

/** One connection and one PING: undefined when Redis answered, else why not. */
async function pingOnce(url: string, timeoutMs: number): Promise<Error | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: 'dropgate:supervisor:probe',
  });
  // What the socket said (ECONNREFUSED, ENOTFOUND, ...): connect() itself only rejects with "Connection is closed.".
  let said: Error | undefined;
  redis.on('error', (err: Error) => (said ??= err));
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (err) {
    return said ?? (err instanceof Error ? err : new Error(String(err)));
  } finally {
    redis.disconnect();
  }
}
