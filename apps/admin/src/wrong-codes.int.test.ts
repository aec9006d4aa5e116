import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { resolveCodeSpec } from '@dropgate/core';
import { clientSource, GuessBudget, guessBudgetPrefix, readAllCampaignWrongCodes, readCampaignWrongCodes } from '@dropgate/guard';
import { createMetricsRegistry } from '@dropgate/observability';
import { closeRedis, createRedis } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { counterValue, deleteKeysByPrefix, freePort, http, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL } from '@dropgate/testkit';
import { listenAdmin, startAdminJobs, type AdminJobsHarness } from '../test/admin-harness';
import { registerWrongCodesMetric } from './wrong-codes-metric';

/**
 * A campaign's wrong codes in its admin stats, read as main.ts reads them: the guess budgets' per-campaign count in the
 * real Redis (random prefix), counted by a real GuessBudget as intakes and workers count them; real PostgreSQL store.
 */

const schema = tempPgSchema('dg_t');
const prefix = `dgtwc${randomBytes(4).toString('hex')}`;
const TOKEN = randomBytes(24).toString('base64url');
let store: Store;
let jobs: AdminJobsHarness;
let redis: Redis;
let down: Redis;
interface StatsView {
  campaignId: string;
  redemptions: number;
  wrongCodes: number | null;
}
const servers: Array<{ url: string; close(): Promise<void> }> = [];

async function adminReadingWrongCodesFrom(client: Redis): Promise<string> {
  const server = await listenAdmin({
    store,
    jobs: jobs.queue,
    token: TOKEN,
    wrongCodes: (campaignId) => readCampaignWrongCodes(client, guessBudgetPrefix(prefix), campaignId),
    trustProxy: false,
    bodyLimitBytes: 64 * 1024,
    onUnexpected: (err) => {
      throw err;
    },
  });
  servers.push(server);
  return server.url;
}

const stats = async (url: string, campaignId: string): Promise<StatsView> => {
  const res = await http(url, `/admin/v1/campaigns/${campaignId}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return res.json as StatsView;
};

const campaign = (name: string) =>
  store.campaigns.create({ name, status: 'active', tiers: [{ name: 'standard', reward: 'cap' }], perCustomerLimit: 1, codeSpec: resolveCodeSpec({ pattern: 'WCA-####-####' }) });

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 4, applicationName: 'dropgate-admin-wrong-codes-test' });
  await store.migrate();
  jobs = await startAdminJobs(store, { worker: false });
  redis = createRedis(TEST_REDIS_URL, 'client', 'admin-wrong-codes-test');
  down = createRedis(`redis://127.0.0.1:${await freePort()}`, 'producer', 'admin-wrong-codes-down', { onError: () => undefined });
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await jobs?.close();
  await closeRedis(redis);
  down?.disconnect();
  await deleteKeysByPrefix(prefix);
  await store?.close();
  await schema.drop();
});

describe('wrong codes in the campaign stats', () => {
  it('answers each campaign its own count of wrong codes, 0 before any', async () => {
    const [guessed, other, quiet] = await Promise.all([campaign('guessed'), campaign('other'), campaign('quiet')]);
    const budget = new GuessBudget({ redis, prefix: guessBudgetPrefix(prefix) });
    const source = clientSource('198.51.100.40');
    await Promise.all([
      ...[1, 2, 3].map((i) => budget.recordWrongGuess({ source, customerId: `c${i}`, campaignId: guessed.id })),
      budget.recordWrongGuess({ customerId: 'c9', campaignId: other.id }, { addressGuesses: 1 }),
    ]);
    const url = await adminReadingWrongCodesFrom(redis);
    expect(await stats(url, guessed.id)).toMatchObject({ campaignId: guessed.id, wrongCodes: 3 });
    expect((await stats(url, other.id)).wrongCodes).toBe(1);
    expect((await stats(url, quiet.id)).wrongCodes).toBe(0);
  });

  it('still answers the stats, with wrongCodes null, when the count cannot be read (Redis down)', async () => {
    const c = await campaign('redis down');
    const url = await adminReadingWrongCodesFrom(down);
    expect(await stats(url, c.id)).toMatchObject({ campaignId: c.id, redemptions: 0, wrongCodes: null });
  });
});

describe('wrong codes per campaign in the admin metrics', () => {
  it('exports dropgate_campaign_wrong_codes{campaign} from Redis at each scrape', async () => {
    const [a, b] = await Promise.all([campaign('metric a'), campaign('metric b')]);
    const budget = new GuessBudget({ redis, prefix: guessBudgetPrefix(prefix) });
    await Promise.all([1, 2].map((i) => budget.recordWrongGuess({ customerId: `m${i}`, campaignId: a.id })));
    const registry = createMetricsRegistry('admin-test');
    registerWrongCodesMetric(registry, () => readAllCampaignWrongCodes(redis, guessBudgetPrefix(prefix)));
    const first = await registry.metrics();
    expect(counterValue(first, 'dropgate_campaign_wrong_codes', { campaign: a.id })).toBe(2);
    await budget.recordWrongGuess({ customerId: 'm3', campaignId: b.id });
    const second = await registry.metrics();
    expect(counterValue(second, 'dropgate_campaign_wrong_codes', { campaign: a.id })).toBe(2);
    expect(counterValue(second, 'dropgate_campaign_wrong_codes', { campaign: b.id })).toBe(1);
  });

  it('still serves the other metrics when Redis cannot be read', async () => {
    const registry = createMetricsRegistry('admin-test');
    const errors: unknown[] = [];
    registerWrongCodesMetric(registry, () => readAllCampaignWrongCodes(down, guessBudgetPrefix(prefix)), (err) => errors.push(err));
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).not.toMatch(/^dropgate_campaign_wrong_codes\{/m);
    expect(errors).toHaveLength(1);
  });
});
