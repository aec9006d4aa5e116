import type { Redis } from 'ioredis';
import { MicroBatcher } from '@dropgate/batching';
import type { SourceEvidence } from '@dropgate/core';
import type { BlockMirror } from './block-mirror';
import type { ClientSource } from './client-source';
import { distinctCapPrefix } from './distinct-customers';

export interface SharedSourceBlocksOptions {
  redis: Redis;
  /** Namespace of the keys (`sourceBlocksPrefix(QUEUE_PREFIX)`): `<prefix>:address:<hash>`, `<prefix>:subnet:<hash>`. */
  prefix: string;
  /**
   * The rate guard's prefix (`rateGuardPrefix(QUEUE_PREFIX)`): when given, `evidence` also reads how many distinct
   * customers the address and the subnet named in the current window (the caps' own counters, in the same MGET).
   */
  distinctPrefix?: string | undefined;
  /** Most sources read in one MGET (the sources a worker judges in one event-loop turn). */
  batchMax?: number | undefined;
  /** A block could not be shared (Redis failed): it still holds in the process that took it. */
  onError?: ((err: unknown) => void) | undefined;
}

/** Mirror keys that name a source (the customer scope is not a source: bots rotate customer ids anyway). */
const SOURCE_KEY = /^(?:address|subnet):/;

/**
 * The sources (hashed address, subnet) blocked right now by any layer of any process — request rate,
 * distinct customers, guess budgets — shared through Redis, one key per blocked source that expires with its block.
 * Intakes and workers publish the blocks their in-memory mirrors take; a worker reads them for the attempts it is
 * about to judge (the deferred verdict: an attempt accepted in the moments before its source was blocked is refused,
 * `source_blocked`), in ONE MGET for the attempts of an event-loop turn.
 */
export class SharedSourceBlocks {
  private readonly reads: MicroBatcher<ClientSource, SourceEvidence>;
  /** Keys read per source: its two blocks, then (with `distinctPrefix`) its two distinct-customer counters. */
  private readonly keysOf: (source: ClientSource) => string[];

  constructor(private readonly options: SharedSourceBlocksOptions) {
    const { prefix, distinctPrefix } = options;
    this.keysOf = distinctPrefix
      ? (s) => [`${prefix}:address:${s.address}`, `${prefix}:subnet:${s.subnet}`, `${distinctCapPrefix(distinctPrefix, 'address')}:${s.address}`, `${distinctCapPrefix(distinctPrefix, 'subnet')}:${s.subnet}`]
      : (s) => [`${prefix}:address:${s.address}`, `${prefix}:subnet:${s.subnet}`];
    this.reads = new MicroBatcher<ClientSource, SourceEvidence>({
      maxSize: options.batchMax ?? 256,
      waitMs: 0,
      runBatch: (sources) => this.evidenceMany(sources),
      runOne: async (source) => (await this.evidenceMany([source]))[0]!,
    });
  }

  /** Publishes every source block `mirror` takes (fire and forget: the refusal never waits for Redis). */
  follow(mirror: BlockMirror): void {
    mirror.onBlock((key, ms) => {
      if (SOURCE_KEY.test(key)) this.publish(key, ms);
    });
  }

  /**
   * Marks `key` ('address:<hash>' or 'subnet:<hash>') blocked for `ms` in Redis; never shortens a longer block
   * already shared (SET NX, then PEXPIRE GT: Redis >= 7).
   */
  publish(key: string, ms: number): void {
    const whole = Math.max(1, Math.ceil(ms));
    const redisKey = `${this.options.prefix}:${key}`;
    this.options.redis
      .pipeline()
      .set(redisKey, '1', 'PX', whole, 'NX')
      .pexpire(redisKey, whole, 'GT')
      .exec()
      .then((results) => {
        const failed = results?.find(([err]) => err !== null);
        if (failed) this.options.onError?.(failed[0]);
      })
      .catch((err: unknown) => this.options.onError?.(err));
  }

  /** Is the source's address or subnet blocked now? Batched with the other calls of this event-loop turn; rejects when Redis fails. */
  async isBlocked(source: ClientSource): Promise<boolean> {
    return (await this.reads.submit(source)).blocked;
  }

  /**
   * What the hold's rule (`holdVerdict`) needs of the source: blocked now, and the distinct customers its address and
   * subnet named in the current window (0 without `distinctPrefix`). Batched like `isBlocked`; rejects when Redis fails.
   */
  evidence(source: ClientSource): Promise<SourceEvidence> {
    return this.reads.submit(source);
  }

  private async evidenceMany(sources: readonly ClientSource[]): Promise<SourceEvidence[]> {
    const per = this.options.distinctPrefix ? 4 : 2;
    const values = await this.options.redis.mget(sources.flatMap(this.keysOf));
    return sources.map((_, i) => {
      const at = i * per;
      return {
        blocked: values[at] !== null || values[at + 1] !== null,
        addressCustomers: per === 4 ? countOf(values[at + 2]) : 0,
        subnetCustomers: per === 4 ? countOf(values[at + 3]) : 0,
      };
    });
  }
}

/** A cap's counter as Redis holds it (the points consumed); absent or unreadable: 0. */
function countOf(value: string | null | undefined): number {
  const n = value == null ? 0 : Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** The one place the shared source blocks' Redis prefix is derived (intakes publish, workers read the same keys). */
export function sourceBlocksPrefix(queuePrefix: string): string {
  return `${queuePrefix}:sb`;
}
