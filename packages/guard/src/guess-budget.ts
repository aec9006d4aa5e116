import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { BlockMirror } from './block-mirror';
import { customerKey, type ClientSource } from './client-source';
import { blockSecondsFor, DEFAULT_GUESS_BUDGET, guessBudgetWith, type GuessBudgetLimits } from './guess-budget-limits';

export type GuessScope = 'address' | 'subnet' | 'customer';

export type GuessVerdict = { blocked: false } | { blocked: true; scope: GuessScope; retryAfterS: number };

/** One wrong code: where it came from (hashed), for whom, in which campaign. */
export interface WrongGuess {
  /** Absent (a job from an older intake): only the customer and campaign are counted. */
  source?: ClientSource | undefined;
  customerId: string;
  campaignId: string;
}

/** A campaign's overrides (its `settings.guessBudget`): null or absent = this budget's configured limit. */
export interface GuessBudgetOverride {
  addressGuesses?: number | null | undefined;
  subnetGuesses?: number | null | undefined;
  customerGuesses?: number | null | undefined;
  windowS?: number | null | undefined;
}

export interface GuessBudgetOptions {
  redis: Redis;
  /** Namespace of the keys, e.g. `${QUEUE_PREFIX}:gb`. */
  prefix: string;
  limits?: GuessBudgetLimits | undefined;
  /** Shared with the request-rate layers: one in-memory map of blocked keys per process. */
  mirror?: BlockMirror | undefined;
  /** A block was set (first process to see the budget spent); e.g. a metric. */
  onBlock?: ((scope: GuessScope, blockS: number, strike: number) => void) | undefined;
  /** Redis failed: the guess is not counted (the request still gets its answer). */
  onError?: ((err: unknown) => void) | undefined;
}

const NOT_BLOCKED: GuessVerdict = Object.freeze({ blocked: false });

/**
 * Guess budgets: counts wrong codes per address, subnet and customer id in Redis (rate-limiter-flexible), blocks a
 * key whose budget is spent for an escalating time (1 min, 10 min, 1 h by default) in Redis and in memory, and
 * counts wrong codes per campaign (for metrics and the admin; a campaign is never blocked).
 */
export class GuessBudget {
  readonly mirror: BlockMirror;
  readonly limits: GuessBudgetLimits;
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly overridden = new Map<string, GuessBudgetLimits>();
  private readonly strikes: RateLimiterRedis;

  constructor(private readonly options: GuessBudgetOptions) {
    this.limits = options.limits ?? DEFAULT_GUESS_BUDGET;
    this.mirror = options.mirror ?? new BlockMirror();
    this.strikes = new RateLimiterRedis({
      storeClient: options.redis,
      keyPrefix: `${options.prefix}:strike`,
      points: 1_000_000,
      duration: this.limits.strikeMemoryS,
    });
  }

  /** The key of a scope's budget (also its key in the in-memory mirror). */
  static key(scope: GuessScope, id: string): string {
    return `${scope}:${id}`;
  }

  /** Memory only, no I/O: is this source (or this customer) blocked? */
  blocked(source: ClientSource, customerId?: string): GuessVerdict {
    const address = this.mirror.msLeft(GuessBudget.key('address', source.address));
    if (address > 0) return verdict('address', address);
    const subnet = this.mirror.msLeft(GuessBudget.key('subnet', source.subnet));
    if (subnet > 0) return verdict('subnet', subnet);
    if (customerId === undefined) return NOT_BLOCKED;
    const customer = this.mirror.msLeft(GuessBudget.key('customer', customerKey(customerId)));
    return customer > 0 ? verdict('customer', customer) : NOT_BLOCKED;
  }

  /**
   * Counts one wrong code against its address, subnet and customer (in parallel) and its campaign; answers whether
   * the source is now blocked (the longest block of the three). Never throws: a Redis failure counts nothing.
   */
  async recordWrongGuess(guess: WrongGuess, override?: GuessBudgetOverride): Promise<GuessVerdict> {
    const limits = this.limitsWith(override);
    const spends: Array<Promise<GuessVerdict>> = [this.spend('customer', customerKey(guess.customerId), limits.customerGuesses, limits)];
    if (guess.source) {
      spends.push(this.spend('address', guess.source.address, limits.addressGuesses, limits));
      spends.push(this.spend('subnet', guess.source.subnet, limits.subnetGuesses, limits));
    }
    try {
      const [results] = await Promise.all([
        Promise.all(spends),
        this.options.redis.hincrby(`${this.options.prefix}:campaigns`, guess.campaignId, 1),
      ]);
      let worst: GuessVerdict = NOT_BLOCKED;
      for (const result of results) if (result.blocked && (!worst.blocked || result.retryAfterS > worst.retryAfterS)) worst = result;
      return worst;
    } catch (err) {
      this.options.onError?.(err);
      return NOT_BLOCKED;
    }
  }

  /** The configured limits with a campaign's overrides (memoised: one object per distinct override). */
  limitsWith(override: GuessBudgetOverride | undefined): GuessBudgetLimits {
    if (!override) return this.limits;
    const { addressGuesses, subnetGuesses, customerGuesses, windowS } = override;
    if (addressGuesses == null && subnetGuesses == null && customerGuesses == null && windowS == null) return this.limits;
    const id = [addressGuesses, subnetGuesses, customerGuesses, windowS].map((v) => v ?? '').join('/');
    let limits = this.overridden.get(id);
    if (!limits) {
      limits = guessBudgetWith(this.limits, {
        ...(addressGuesses != null ? { addressGuesses } : {}),
        ...(subnetGuesses != null ? { subnetGuesses } : {}),
        ...(customerGuesses != null ? { customerGuesses } : {}),
        ...(windowS != null ? { windowS } : {}),
      });
      this.overridden.set(id, limits);
    }
    return limits;
  }

  /** Wrong codes counted per campaign since the counters were made (Redis: one hash). */
  async campaignCounts(): Promise<Record<string, number>> {
    const raw = await this.options.redis.hgetall(`${this.options.prefix}:campaigns`);
    return Object.fromEntries(Object.entries(raw).map(([id, n]) => [id, Number(n)]));
  }

  private async spend(scope: GuessScope, id: string, budget: number, limits: GuessBudgetLimits): Promise<GuessVerdict> {
    const key = GuessBudget.key(scope, id);
    const limiter = this.limiter(budget, limits.windowS);
    try {
      await limiter.consume(key);
      return NOT_BLOCKED;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      if (err.consumedPoints !== budget + 1) {
        // Already blocked (by this process or another): mirror what Redis says is left.
        this.mirror.block(key, err.msBeforeNext);
        return verdict(scope, err.msBeforeNext);
      }
      // This guess spent the budget: the key's next strike decides how long it is blocked.
      const strike = (await this.strikes.penalty(key, 1)).consumedPoints;
      const blockS = blockSecondsFor(strike, limits.blockS);
      await limiter.block(key, blockS);
      this.mirror.block(key, blockS * 1000);
      this.options.onBlock?.(scope, blockS, strike);
      return verdict(scope, blockS * 1000);
    }
  }

  /** One limiter per (budget, window): per-campaign overrides share the keys, each with its own threshold. */
  private limiter(points: number, windowS: number): RateLimiterRedis {
    const id = `${points}/${windowS}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterRedis({ storeClient: this.options.redis, keyPrefix: this.options.prefix, points, duration: windowS });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

function verdict(scope: GuessScope, ms: number): GuessVerdict {
  return { blocked: true, scope, retryAfterS: Math.max(1, Math.ceil(ms / 1000)) };
}
