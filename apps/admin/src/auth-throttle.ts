import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '@dropgate/http';

export interface AuthThrottleOptions {
  redis: Redis;
  /** e.g. `${QUEUE_PREFIX}:admin-auth` */
  keyPrefix: string;
  /** Failed logins an address may make per window before it is blocked. */
  maxFailures: number;
  windowS: number;
  blockS: number;
}

/** Failed admin logins per client address. */
export interface AuthThrottle {
  /** Seconds the address must still wait, or null when it may try. */
  blockedFor(ip: string): Promise<number | null>;
  /** Counts a failure; the seconds to wait when this one got the address blocked, else null. */
  failed(ip: string): Promise<number | null>;
}

/**
 * rate-limiter-flexible on Redis (shared by every admin process), with an in-memory insurance limiter while Redis
 * is down: a brute-force guesser is slowed to `maxFailures` guesses per `windowS`, then shut out for `blockS`.
 * The insurance takes over at once while the connection is not ready: every request passes here, and one that needs
 * only the store must not wait for Redis's reconnects (seconds) first.
 */
export function createAuthThrottle(options: AuthThrottleOptions): AuthThrottle {
  const common = { keyPrefix: options.keyPrefix, points: options.maxFailures, duration: options.windowS, blockDuration: options.blockS };
  const limiter = new RateLimiterRedis({ ...common, storeClient: options.redis, insuranceLimiter: new RateLimiterMemory(common), rejectIfRedisNotReady: true });
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  return {
    async blockedFor(ip) {
      // Redis down: not known to be blocked (the insurance limiter still counts the failures themselves).
      const res = await limiter.get(ip).catch(() => null);
      return res && res.consumedPoints > options.maxFailures ? seconds(res.msBeforeNext) : null;
    },
    async failed(ip) {
      try {
        await limiter.consume(ip);
        return null;
      } catch (err) {
        if (err instanceof RateLimiterRes) return seconds(err.msBeforeNext);
        throw err;
      }
    },
  };
}

const tooManyFailures = (retryAfterS: number) => new ApiError('rate_limited', 'too many failed logins from this address', { retryAfterS });

/**
 * One login attempt under the throttle, whichever door it comes through (the API's bearer token, the page's sign-in):
 * a blocked address is refused (429) before its token is even looked at, so a guesser cannot tell a hit; a miss is
 * counted, unless no credential was presented at all (`presented` false: a request without an Authorization header
 * guesses nothing, and counting it would let a browser tab or a monitor shut every operator of the address out).
 * Answers what `check` found, or null for a miss that did not get the address blocked.
 */
export async function attemptLogin<T>(throttle: AuthThrottle | undefined, ip: string, check: () => T | null, presented = true): Promise<T | null> {
  const blocked = throttle ? await throttle.blockedFor(ip) : null;
  if (blocked !== null) throw tooManyFailures(blocked);
  const hit = check();
  if (hit !== null) return hit;
  const nowBlocked = throttle && presented ? await throttle.failed(ip) : null;
  if (nowBlocked !== null) throw tooManyFailures(nowBlocked);
  return null;
}
