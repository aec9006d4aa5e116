import { ApiError } from '@dropgate/http';

/**
 * The admin's Redis calls made for a request (queueing a job, reading its status, staging an import, a timed lock's
 * release job, a campaign's wrong codes): while Redis is known to be away they are refused at once, and any failure
 * is answered `503 unavailable` with Retry-After, never a 500 with a stack trace per request. Its cause goes to
 * `onError`, which the outage log quiets while the outage lasts (one line when Redis goes, summaries, one when back).
 */
export interface RedisCalls {
  /** Is Redis known to be away (an outage under way)? */
  readonly isDown: boolean;
  /** Runs `call`, or refuses it at once while Redis is away; an `ApiError` it throws passes as it is. */
  run<T>(call: () => Promise<T>): Promise<T>;
}

export interface RedisCallsOptions {
  /** Redis's outage log's `isDown` (every Redis connection of the admin tells it). */
  isDown: () => boolean;
  /** Why a call failed (not told for the calls refused during an outage). */
  onError: (err: unknown) => void;
}

/** Reconnects are about a second apart once an outage lasts: a client may try again then. */
export const REDIS_RETRY_AFTER_S = 1;

export const redisUnavailable = (): ApiError =>
  new ApiError('unavailable', 'Redis is unreachable (background jobs and queues); try again shortly', { retryAfterS: REDIS_RETRY_AFTER_S });

export function redisCalls(options: RedisCallsOptions): RedisCalls {
  return {
    get isDown() {
      return options.isDown();
    },
    async run(call) {
      if (options.isDown()) throw redisUnavailable();
      try {
        return await call();
      } catch (err) {
        if (err instanceof ApiError) throw err;
        options.onError(err);
        throw redisUnavailable();
      }
    },
  };
}

/** For an admin without an outage log (tests): never known to be down, failures still answered 503. */
export const plainRedisCalls = (): RedisCalls => redisCalls({ isDown: () => false, onError: () => undefined });
