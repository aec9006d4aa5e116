import type { Redis } from 'ioredis';
import { MicroBatcher } from '@dropgate/batching';
import type { BlockMirror } from './block-mirror';
import type { ClientSource } from './client-source';

export interface SharedSourceBlocksOptions {
  redis: Redis;
  /** Namespace of the keys (`sourceBlocksPrefix(QUEUE_PREFIX)`): `<prefix>:address:<hash>`, `<prefix>:subnet:<hash>`. */
  prefix: string;
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
  private readonly reads: MicroBatcher<ClientSource, boolean>;

  constructor(private readonly options: SharedSourceBlocksOptions) {
    this.reads = new MicroBatcher<ClientSource, boolean>({
      maxSize: options.batchMax ?? 256,
      waitMs: 0,
      runBatch: (sources) => this.blockedMany(sources),
      runOne: async (source) => (await this.blockedMany([source]))[0]!,
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
  isBlocked(source: ClientSource): Promise<boolean> {
    return this.reads.submit(source);
  }

  private async blockedMany(sources: readonly ClientSource[]): Promise<boolean[]> {
    const keys: string[] = [];
    for (const s of sources) keys.push(`${this.options.prefix}:address:${s.address}`, `${this.options.prefix}:subnet:${s.subnet}`);
    const values = await this.options.redis.mget(keys);
    return sources.map((_, i) => values[2 * i] !== null || values[2 * i + 1] !== null);
  }
}

/** The one place the shared source blocks' Redis prefix is derived (intakes publish, workers read the same keys). */
export function sourceBlocksPrefix(queuePrefix: string): string {
  return `${queuePrefix}:sb`;
}
