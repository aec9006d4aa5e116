import type { Redis } from 'ioredis';
import type { Store } from '@dropgate/store';
import { CodeFilterBuilder, type CodeFilter } from './code-filter';
import { codeFilterKeys } from './code-filter-keys';
import { encodeCodeFilter } from './filter-codec';

/** Replaces a campaign's filter only if `version` is newer than what is there; bumps the epoch when it does. */
const PUBLISH = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= current then return 0 end
if ARGV[3] == 'set' then redis.call('SET', KEYS[2], ARGV[4]) else redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[3])
return 1`;

const PAGE = 10_000;

export interface RebuildResult {
  /** False when a newer build or invalidation got there first (this one was stale). */
  published: boolean;
  version: number;
  filter: CodeFilter;
}

/**
 * Call BEFORE changing a campaign's codes (generation, import): removes its filter, so intakes enqueue every
 * well-formed code (never refusing a new real one) until `rebuildCodeFilter` publishes the new set. Intakes see
 * it within their poll interval.
 */
export async function invalidateCodeFilter(redis: Redis, prefix: string, campaignId: string): Promise<void> {
  const keys = codeFilterKeys(prefix);
  const version = await redis.incr(keys.seq);
  await redis.eval(PUBLISH, 3, keys.versions, keys.data(campaignId), keys.epoch, campaignId, String(version), 'del', '');
}

/**
 * Call AFTER a campaign's codes changed (created with codes, generated, imported): reads every code of the
 * campaign from the store (keyset pages, as the export does), builds the filter (the exact set for small
 * campaigns, a Bloom filter at <= 1% false positives above) and publishes it to Redis for every intake.
 */
export async function rebuildCodeFilter(
  store: Pick<Store, 'codes'>,
  redis: Redis,
  prefix: string,
  campaignId: string,
  options: { onProgress?: ((read: number, total: number) => void) | undefined; exactMax?: number | undefined } = {},
): Promise<RebuildResult> {
  const { onProgress } = options;
  const keys = codeFilterKeys(prefix);
  const version = await redis.incr(keys.seq);
  const counts = await store.codes.counts(campaignId);
  let total = 0;
  for (const byState of Object.values(counts)) for (const n of Object.values(byState)) total += n;

  const builder = new CodeFilterBuilder(total, { exactMax: options.exactMax });
  let after: string | undefined;
  let read = 0;
  for (;;) {
    const page = await store.codes.list({ campaignId, after, limit: PAGE });
    // Stop on an empty page only: an adapter may cap a page below PAGE, and a code missed is a real code refused.
    if (page.length === 0) break;
    for (const record of page) builder.add(record.code);
    read += page.length;
    onProgress?.(read, total);
    after = page[page.length - 1]?.code;
  }
  const filter = builder.build();
  const published = await publishCodeFilter(redis, prefix, campaignId, filter, version);
  return { published, version, filter };
}

/** Publishes a built filter under `version` (from `<prefix>:seq`); false when something newer is there. */
export async function publishCodeFilter(redis: Redis, prefix: string, campaignId: string, filter: CodeFilter, version: number): Promise<boolean> {
  const keys = codeFilterKeys(prefix);
  const done = await redis.eval(PUBLISH, 3, keys.versions, keys.data(campaignId), keys.epoch, campaignId, String(version), 'set', encodeCodeFilter(filter, version));
  return done === 1;
}
