import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { DecisionSource } from './rate-decision';
import { InsuranceLimiter } from './insurance-limiter';

export interface KeySpaceOptions {
  redis: Redis;
  /** Full Redis key prefix of this key space, e.g. 'dropgate:rl:ip'. */
  keyPrefix: string;
  points: number;
  durationS: number;
  blockS: number;
  /** Told when a key is refused (how long it stays blocked): e.g. to mirror the block for the pre-body check. */
  onRefused?: ((key: string, ms: number) => void) | undefined;
}

export type Consumed = { ok: true; source: DecisionSource } | { ok: false; retryAfterS: number; source: DecisionSource };

/**
 * One rate-limited key space (per IP, per customer): a Redis limiter that, once a key goes over, blocks it for
 * `blockS` both in Redis and in this process's memory (later calls for it cost no round trip), with an in-memory
 * insurance limiter answering while Redis fails.
 */
export class KeySpaceLimiter {
  private readonly limiter: RateLimiterRedis;
  private readonly insurance: InsuranceLimiter;
  private readonly onRefused: ((key: string, ms: number) => void) | undefined;

  constructor(options: KeySpaceOptions) {
    this.onRefused = options.onRefused;
    this.insurance = new InsuranceLimiter({ keyPrefix: options.keyPrefix, points: options.points, duration: options.durationS });
    this.limiter = new RateLimiterRedis({
      storeClient: options.redis,
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.durationS,
      blockDuration: options.blockS,
      inMemoryBlockOnConsumed: options.points + 1,
      inMemoryBlockDuration: options.blockS,
      insuranceLimiter: this.insurance, // inherits blockDuration
    });
  }

  async consume(key: string): Promise<Consumed> {
    const options = {};
    try {
      await this.limiter.consume(key, 1, options);
      return { ok: true, source: this.insurance.hasServed(options) ? 'insurance' : 'redis' };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // Only the in-memory block answers without a count (consumedPoints 0); Redis and insurance report theirs.
      const source = this.insurance.hasServed(options) ? 'insurance' : err.consumedPoints === 0 ? 'memory' : 'redis';
      this.onRefused?.(key, err.msBeforeNext);
      return { ok: false, retryAfterS: Math.max(1, Math.ceil(err.msBeforeNext / 1000)), source };
    }
  }
}
