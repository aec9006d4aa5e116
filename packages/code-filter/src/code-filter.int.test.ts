import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { generateCodes, resolveCodeSpec, type Campaign } from '@dropgate/core';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { deleteKeysByPrefix, redisReady, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { CodeFilterCache, codeFilterKeys, invalidateCodeFilter, rebuildCodeFilter } from './index';

const schema = tempPgSchema('dg_cf');
const prefix = `dgtest-${randomBytes(4).toString('hex')}:cf`;
const spec = resolveCodeSpec({ pattern: 'CF-#####-#####' });
let store: Store;
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
const caches: CodeFilterCache[] = [];

async function campaignWith(count: number): Promise<{ campaign: Campaign; codes: string[] }> {
  const campaign = await store.campaigns.create({ name: 'cf', status: 'active', tiers: [{ name: 't', reward: 'r' }], perCustomerLimit: 1, codeSpec: spec });
  const codes = generateCodes(spec, count);
  for (let i = 0; i < codes.length; i += 10_000) await store.codes.insert(campaign.id, codes.slice(i, i + 10_000).map((code) => ({ code, tier: 't' })));
  return { campaign, codes };
}

function cache(pollMs = 100): CodeFilterCache {
  const c = new CodeFilterCache({ redis, prefix, pollMs, onError: (err) => { throw err; } });
  caches.push(c);
  return c;
}

beforeAll(async () => {
  await redisReady(redis);
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, applicationName: 'dropgate-test-code-filter' });
  await store.migrate();
});

afterAll(async () => {
  for (const c of caches) c.stop();
  await store.close();
  await schema.drop();
  await deleteKeysByPrefix(`${prefix}:`);
  await redis.quit();
});

describe('code filter shared through Redis (real PostgreSQL and Redis)', () => {
  it('builds from the store, publishes, and a running intake cache picks it up within a second', async () => {
    const { campaign, codes } = await campaignWith(12_000); // above the exact-set size given below: a Bloom filter
    const intake = cache(250);
    await intake.start();
    expect(intake.get(campaign.id)).toBeUndefined();
    expect(intake.mightContain(campaign.id, 'CF-00000-00000')).toBe(true); // no filter yet: never refuse

    const progress: number[] = [];
    const result = await rebuildCodeFilter(store, redis, prefix, campaign.id, { onProgress: (read) => progress.push(read), exactMax: 5_000 });
    expect(result.published).toBe(true);
    expect(result.filter.kind).toBe('bloom');
    expect(result.filter.count).toBe(12_000);
    expect(progress).toEqual([10_000, 12_000]); // keyset pages of 10,000
    expect(Buffer.isBuffer(await redis.getBuffer(codeFilterKeys(prefix).data(campaign.id)))).toBe(true);

    const published = Date.now();
    await waitFor('intake reloads the filter', () => (intake.get(campaign.id) ? true : undefined), 1000, 10);
    expect(Date.now() - published).toBeLessThan(1000);
    for (const code of codes) if (!intake.mightContain(campaign.id, code)) throw new Error(`real code refused: ${code}`);
    const known = new Set(codes);
    const wrong = generateCodes(spec, 20_000).filter((c) => !known.has(c));
    const passed = wrong.filter((c) => intake.mightContain(campaign.id, c)).length;
    expect(passed / wrong.length).toBeLessThanOrEqual(0.01);
  });

  it('invalidation drops the filter (every code enqueued) until the rebuild after new codes, seen within a second', async () => {
    const { campaign, codes } = await campaignWith(300);
    await rebuildCodeFilter(store, redis, prefix, campaign.id);
    const intake = cache(250);
    await intake.start();
    expect(intake.get(campaign.id)?.kind).toBe('exact');
    const added = generateCodes(spec, 50).filter((c) => !codes.includes(c));
    expect(intake.mightContain(campaign.id, added[0]!)).toBe(false);

    await invalidateCodeFilter(redis, prefix, campaign.id);
    await waitFor('filter dropped', () => (intake.get(campaign.id) === undefined ? true : undefined), 1000, 10);
    expect(intake.mightContain(campaign.id, added[0]!)).toBe(true);

    await store.codes.insert(campaign.id, added.map((code) => ({ code, tier: 't' })));
    await rebuildCodeFilter(store, redis, prefix, campaign.id);
    const rebuilt = Date.now();
    await waitFor('filter back with the new codes', () => (intake.get(campaign.id)?.count === 300 + added.length ? true : undefined), 1000, 10);
    expect(Date.now() - rebuilt).toBeLessThan(1000);
    expect(added.every((c) => intake.mightContain(campaign.id, c))).toBe(true);
    expect(intake.mightContain(campaign.id, 'CF-99999-99999')).toBe(codes.includes('CF-99999-99999'));
  });

  it('a build that started before a newer one is refused when it finishes last', async () => {
    const { campaign } = await campaignWith(10);
    const keys = codeFilterKeys(prefix);
    // The "slow" build: takes its version, then a whole other rebuild runs before it publishes.
    let releaseSlow!: () => void;
    const gate = new Promise<void>((resolve) => (releaseSlow = resolve));
    const slowStore: Pick<Store, 'codes'> = {
      codes: {
        ...store.codes,
        counts: async (id: string) => {
          await gate;
          return store.codes.counts(id);
        },
      },
    };
    const seqBefore = Number(await redis.get(keys.seq));
    const slow = rebuildCodeFilter(slowStore, redis, prefix, campaign.id);
    await waitFor('slow build took its version', async () => (Number(await redis.get(keys.seq)) > seqBefore ? true : undefined));
    const fast = await rebuildCodeFilter(store, redis, prefix, campaign.id);
    releaseSlow();
    const late = await slow;
    expect(fast.published).toBe(true);
    expect(late.published).toBe(false);
    expect(Number(await redis.hget(keys.versions, campaign.id))).toBe(fast.version);
  });
});
