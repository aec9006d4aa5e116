import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { BlockMirror } from './block-mirror';
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
 * insurance limiter answering while Redis fails. The rate guard's batched script counts on the same keys
 * (`redisKey`) with the same settings, and reports its refusals here (`refusedInRedis`) so both share the block.
 */
export class KeySpaceLimiter {
  readonly points: number;
  readonly durationS: number;
  readonly blockS: number;
  private readonly keyPrefix: string;
  private readonly limiter: RateLimiterRedis;
  private readonly insurance: InsuranceLimiter;
  private readonly onRefused: ((key: string, ms: number) => void) | undefined;
  /** Keys refused by this process, until when (both ways of counting write and read it). */
  private readonly blocked = new BlockMirror();

  constructor(options: KeySpaceOptions) {
    this.points = options.points;
    this.durationS = options.durationS;
    this.blockS = options.blockS;
    this.keyPrefix = options.keyPrefix;
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

  /** The Redis key of `key` (RateLimiterRedis's own: `<keyPrefix>:<key>`). */
  redisKey(key: string): string {
    return `${this.keyPrefix}:${key}`;
  }

  /** A refusal from this process's memory when `key` is blocked here, without Redis; undefined otherwise. */
  refusedInMemory(key: string): Consumed | undefined {
    const ms = this.blocked.msLeft(key);
    if (ms <= 0) return undefined;
    this.onRefused?.(key, ms);
    return { ok: false, retryAfterS: retryAfterS(ms), source: 'memory' };
  }

  /**
   * The batched script found `key` over its points: what RateLimiterRedis answers then (the block duration, or the
   * key's time left when there is none), blocked in memory for as long.
   */
  refusedInRedis(key: string, msLeft: number): Consumed {
    const ms = this.blockS > 0 ? this.blockS * 1000 : msLeft;
    this.blocked.block(key, ms);
    this.onRefused?.(key, ms);
    return { ok: false, retryAfterS: retryAfterS(ms), source: 'redis' };
  }

  /** One consume through rate-limiter-flexible (its insurance answers while Redis fails). */
  async consume(key: string): Promise<Consumed> {
    const memory = this.refusedInMemory(key);
    if (memory) return memory;
    const options = {};
    try {
      await this.limiter.consume(key, 1, options);
      return { ok: true, source: this.insurance.hasServed(options) ? 'insurance' : 'redis' };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // Only the in-memory block answers without a count (consumedPoints 0); Redis and insurance report theirs.
      const source = this.insurance.hasServed(options) ? 'insurance' : err.consumedPoints === 0 ? 'memory' : 'redis';
      // The insurance keeps its own count and blocks while Redis is away; Redis's refusals are held here too.
      if (source !== 'insurance') this.blocked.block(key, err.msBeforeNext);
      this.onRefused?.(key, err.msBeforeNext);
      return { ok: false, retryAfterS: retryAfterS(err.msBeforeNext), source };
    }
  }
}

function retryAfterS(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
