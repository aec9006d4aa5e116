import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { MicroBatcher } from '@dropgate/batching';
import { BlockMirror } from './block-mirror';
import { campaignWrongCodesKey } from './campaign-wrong-codes';
import { customerKey, type ClientSource } from './client-source';
import { blockSecondsFor, DEFAULT_GUESS_BUDGET, guessBudgetWith, type GuessBudgetLimits } from './guess-budget-limits';
import { distinctCustomerKeys, type DistinctCustomerCaps } from './distinct-customers';
import { guessCountScript, type CounterIncrement, type Sighting, type SightingAnswer } from './guess-count-script';

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
  /**
   * The rate guard's distinct-customer caps (RATE_*_CUSTOMERS) and its key prefix (`rateGuardPrefix`): a wrong code's
   * customer id counts toward them too, in the same script call, on the rate guard's keys (a bot rotating customer ids
   * while guessing reaches the caps as fast as one rotating them on real codes). Absent: not counted (the worker: the
   * intake's rate guard counted the accepted request already).
   */
  distinctCustomers?: (DistinctCustomerCaps & { prefix: string }) | undefined;
  /** Shared with the request-rate layers: one in-memory map of blocked keys per process. */
  mirror?: BlockMirror | undefined;
  /** A block was set (first process to see the budget spent); e.g. a metric. */
  onBlock?: ((scope: GuessScope, blockS: number, strike: number) => void) | undefined;
  /** Redis failed: the guess is not counted (the request still gets its answer). */
  onError?: ((err: unknown) => void) | undefined;
  /**
   * Wrong codes recorded within one event-loop turn (or `waitMs`), up to `maxSize`, are counted in ONE Redis call
   * (default 256, 0 ms); each caller still gets its own exact verdict. `maxSize` 1: one call per wrong code.
   */
  batch?: { maxSize?: number | undefined; waitMs?: number | undefined } | undefined;
  /** Told about every call counting two or more wrong codes (and whether it failed and each was counted alone). */
  onBatch?: ((size: number, fellBack: boolean, err?: unknown) => void) | undefined;
}

/** A wrong code waiting for its batch, with the limits of its campaign. */
interface PendingGuess {
  guess: WrongGuess;
  limits: GuessBudgetLimits;
}

/** One budget a wrong code spends: its counter in the batch, and its place among the batch's spends of that key. */
interface Spend {
  scope: GuessScope;
  key: string;
  budget: number;
  counter: number;
  rank: number;
}

const NOT_BLOCKED: GuessVerdict = Object.freeze({ blocked: false });

/**
 * Guess budgets: counts wrong codes per address, subnet and customer id in Redis (rate-limiter-flexible's keys, many
 * wrong codes per call), blocks a
 * key whose budget is spent for an escalating time (1 min, 10 min, 1 h by default) in Redis and in memory, and
 * counts wrong codes per campaign (for metrics and the admin; a campaign is never blocked).
 */
export class GuessBudget {
  readonly mirror: BlockMirror;
  readonly limits: GuessBudgetLimits;
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly overridden = new Map<string, GuessBudgetLimits>();
  private readonly strikes: RateLimiterRedis;
  private readonly count: ReturnType<typeof guessCountScript>;
  private readonly batcher: MicroBatcher<PendingGuess, GuessVerdict>;

  constructor(private readonly options: GuessBudgetOptions) {
    this.limits = options.limits ?? DEFAULT_GUESS_BUDGET;
    this.mirror = options.mirror ?? new BlockMirror();
    this.strikes = new RateLimiterRedis({
      storeClient: options.redis,
      keyPrefix: `${options.prefix}:strike`,
      points: 1_000_000,
      duration: this.limits.strikeMemoryS,
    });
    this.count = guessCountScript(options.redis);
    this.batcher = new MicroBatcher<PendingGuess, GuessVerdict>({
      maxSize: options.batch?.maxSize ?? 256,
      waitMs: options.batch?.waitMs ?? 0,
      // A failed batch is counted again wrong code by wrong code (runOne): if the failed call did reach Redis, its
      // codes count twice, which only ever blocks sooner.
      runBatch: (pending) => this.countAll(pending),
      runOne: async (pending) => {
        try {
          return (await this.countAll([pending]))[0] ?? NOT_BLOCKED;
        } catch (err) {
          this.options.onError?.(err);
          return NOT_BLOCKED;
        }
      },
      onBatch: options.onBatch,
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
   * Counts one wrong code against its address, subnet and customer and its campaign; answers whether the source is
   * now blocked (the longest block of the three). Wrong codes recorded together are counted in one Redis call, each
   * as if counted alone in turn (the one that spends a budget sets the block; those after it find it set), so the
   * block is in Redis for every intake and worker when the call answers. Never throws: a Redis failure counts nothing.
   */
  async recordWrongGuess(guess: WrongGuess, override?: GuessBudgetOverride): Promise<GuessVerdict> {
    return this.batcher.submit({ guess, limits: this.limitsWith(override) });
  }

  /** Counts a batch of wrong codes in one script call, then decides each one's verdict (in order). */
  private async countAll(pending: readonly PendingGuess[]): Promise<GuessVerdict[]> {
    const counters: CounterIncrement[] = [];
    const counterOf = new Map<string, number>();
    const campaigns = new Map<string, number>();
    const caps = this.options.distinctCustomers;
    const sightings: Sighting[] = [];
    /** The index in `sightings` of each wrong code's sighting (-1: none counted). */
    const sightingOf: number[] = [];
    const plans = pending.map(({ guess, limits }) => {
      const spends: Spend[] = [];
      const add = (scope: GuessScope, id: string, budget: number): void => {
        const key = GuessBudget.key(scope, id);
        let counter = counterOf.get(key);
        if (counter === undefined) {
          counter = counters.push({ key: `${this.options.prefix}:${key}`, points: 0, windowS: limits.windowS }) - 1;
          counterOf.set(key, counter);
        }
        const rank = ++counters[counter]!.points;
        spends.push({ scope, key, budget, counter, rank });
      };
      add('customer', customerKey(guess.customerId), limits.customerGuesses);
      if (guess.source) {
        add('address', guess.source.address, limits.addressGuesses);
        add('subnet', guess.source.subnet, limits.subnetGuesses);
      }
      campaigns.set(guess.campaignId, (campaigns.get(guess.campaignId) ?? 0) + 1);
      sightingOf.push(caps && guess.source ? sightings.push(distinctCustomerKeys(caps.prefix, guess.source, customerKey(guess.customerId))) - 1 : -1);
      return { limits, spends };
    });
    const { counted, sightings: seen } = await this.count({
      counters,
      campaignsKey: campaignWrongCodesKey(this.options.prefix),
      campaigns,
      sightings: caps && sightings.length > 0 ? { caps, keys: sightings } : undefined,
    });
    // In batch order, each spend answers what its own consume would have: under budget; the one that spends it sets
    // the block (the key's next strike); those after it in the batch get that block, and a key blocked before the
    // batch answers what Redis says is left of it.
    const blocks = new Map<number, Promise<GuessVerdict>>();
    const answers = plans.map(({ limits, spends }, i) => [
      ...spends.map((spend): Promise<GuessVerdict> => {
        const after = counted[spend.counter]!;
        const consumed = after.consumed - counters[spend.counter]!.points + spend.rank;
        if (consumed <= spend.budget) return Promise.resolve(NOT_BLOCKED);
        if (consumed === spend.budget + 1) {
          const block = this.blockSpent(spend, limits);
          blocks.set(spend.counter, block);
          return block;
        }
        const earlier = blocks.get(spend.counter);
        if (earlier) return earlier;
        this.mirror.block(spend.key, after.msLeft);
        return Promise.resolve(verdict(spend.scope, after.msLeft));
      }),
      Promise.resolve(sightingOf[i]! < 0 ? NOT_BLOCKED : this.overCap(pending[i]!.guess.source!, seen[sightingOf[i]!]!)),
    ]);
    return Promise.all(answers.map((spends) => this.worstOf(spends)));
  }

  /**
   * A sighting over a distinct-customer cap: the address (or subnet) is refused as the rate guard refuses it (its
   * block duration, or what is left of the key's window without one), mirrored for the pre-body check.
   */
  private overCap(source: ClientSource, { verdict: over, msLeft }: SightingAnswer): GuessVerdict {
    if (over === 0) return NOT_BLOCKED;
    const blockS = this.options.distinctCustomers!.blockS;
    const ms = blockS > 0 ? blockS * 1000 : msLeft;
    if (over !== 5) this.mirror.block(GuessBudget.key('address', source.address), ms);
    if (over !== 4) this.mirror.block(GuessBudget.key('subnet', source.subnet), ms);
    return verdict(over === 5 ? 'subnet' : 'address', ms);
  }

  /** The longest block among a wrong code's budgets; a failure while setting a block is reported, not thrown. */
  private async worstOf(spends: Array<Promise<GuessVerdict>>): Promise<GuessVerdict> {
    try {
      let worst: GuessVerdict = NOT_BLOCKED;
      for (const result of await Promise.all(spends)) if (result.blocked && (!worst.blocked || result.retryAfterS > worst.retryAfterS)) worst = result;
      return worst;
    } catch (err) {
      this.options.onError?.(err);
      return NOT_BLOCKED;
    }
  }

  /** This wrong code spent the budget: the key's next strike decides how long it is blocked. */
  private async blockSpent(spend: Spend, limits: GuessBudgetLimits): Promise<GuessVerdict> {
    const strike = (await this.strikes.penalty(spend.key, 1)).consumedPoints;
    const blockS = blockSecondsFor(strike, limits.blockS);
    await this.limiter(spend.budget, limits.windowS).block(spend.key, blockS);
    this.mirror.block(spend.key, blockS * 1000);
    this.options.onBlock?.(spend.scope, blockS, strike);
    return verdict(spend.scope, blockS * 1000);
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
    const raw = await this.options.redis.hgetall(campaignWrongCodesKey(this.options.prefix));
    return Object.fromEntries(Object.entries(raw).map(([id, n]) => [id, Number(n)]));
  }

  /** One limiter per (budget, window), for `block`: per-campaign overrides share the keys, each with its own threshold. */
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
