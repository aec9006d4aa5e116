import { Redis, type RedisOptions } from 'ioredis';

/**
 * - producer: intake's queue and rate limiter. No offline queue and one retry, so while Redis is down a request
 *   fails in milliseconds (→ 503, or the rate limiter's in-memory insurance) instead of hanging.
 * - worker: BullMQ Worker (and QueueEvents) connections: anything running blocking commands.
 *   `maxRetriesPerRequest: null` as BullMQ requires; commands wait for a reconnect.
 * - client: everything else (admin, status reads). Queues commands while reconnecting, a few retries.
 */
export type RedisKind = 'producer' | 'worker' | 'client';

/** Anything with the ShutdownRegistry's `register` (kept structural so this package needs no observability). */
export interface CloseRegistry {
  register(name: string, close: () => unknown): unknown;
}

/**
 * Told when a connection goes down and comes back (an OutageLog of @dropgate/observability; structural, as above).
 * `part` is the connection itself, so a process's connections are told apart.
 */
export interface ConnectionHealth {
  down(part: unknown, err?: unknown): void;
  up(part: unknown): void;
}

export interface CreateRedisOptions {
  /** Registers `closeRedis` for this connection. */
  shutdown?: CloseRegistry | undefined;
  /** Connection errors (ECONNREFUSED while reconnecting, ...). Without it (or `health`) ioredis prints them to the console. */
  onError?: ((err: Error) => void) | undefined;
  /** Every error and every reconnect (down), and every time the connection is ready again (up). */
  health?: ConnectionHealth | undefined;
}

const KIND_OPTIONS: Record<RedisKind, RedisOptions> = {
  // No auto-pipelining: ioredis builds a Pipeline for every flush and copies onto it every script defined on the
  // connection (BullMQ defines 64 here, each twice), which cost more client CPU than the socket writes it saves: the intake's
  // Redis calls are already one script per turn (rate checks) and one addBulk per turn (docs/benchmarks.md,
  // "CPU per attempt, 2026-12-03").
  producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 2000 },
  worker: { maxRetriesPerRequest: null, enableOfflineQueue: true },
  client: { maxRetriesPerRequest: 3, enableOfflineQueue: true, connectTimeout: 5000 },
};

/**
 * The one place Redis connections are made. `name` (e.g. 'intake') becomes the CLIENT SETNAME
 * `dropgate:<name>:<kind>`, so `CLIENT LIST` shows who is connected.
 */
export function createRedis(url: string, kind: RedisKind, name: string, options: CreateRedisOptions = {}): Redis {
  const connectionName = `dropgate:${name}:${kind}`;
  const redis = new Redis(url, { ...KIND_OPTIONS[kind], connectionName });
  if (options.onError) redis.on('error', options.onError);
  if (options.health) tellHealth(redis, options.health);
  options.shutdown?.register(`redis ${connectionName}`, () => closeRedis(redis));
  return redis;
}

/** `redis` and every connection duplicated from it tell `health` when they go down and when they are back. */
function tellHealth(redis: Redis, health: ConnectionHealth): void {
  redis.on('error', (err: Error) => health.down(redis, err));
  // A clean close (Redis stopped) raises no error before the first failed reconnect: the outage starts here.
  // Never raised after our own quit or disconnect.
  redis.on('reconnecting', () => health.down(redis));
  redis.on('ready', () => health.up(redis));
  // BullMQ's Worker and QueueEvents run on duplicates of the connection they are given (one for blocking reads):
  // those must tell the same health, or the first error of an outage reaches the worker's 'error' handler before
  // the outage log has heard of it (a "worker error" line and a Sentry event). Listeners first, BullMQ's after.
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (override?: Partial<RedisOptions>) => {
    const copy = duplicate(override);
    tellHealth(copy, health);
    return copy;
  };
}

/**
 * QUIT (replies in flight still arrive), falling back to a hard disconnect if that fails or takes over
 * `timeoutMs`. Resolves once the connection has ended.
 */
export async function closeRedis(redis: Redis, timeoutMs = 2000): Promise<void> {
  if (redis.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<void>((resolve) => {
    redis.once('end', () => resolve());
    timer = setTimeout(() => {
      redis.disconnect();
      resolve();
    }, timeoutMs);
  });
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
  await ended;
  clearTimeout(timer);
}
