import { randomBytes } from 'node:crypto';
import { generateCodes, resolveCodeSpec, type Campaign, type CampaignSettingsPatch } from '@dropgate/core';
import { CampaignGuessOverrides, clientSource, DEFAULT_GUESS_BUDGET, GuessBudget, guessBudgetPrefix, wrongCodeCounter } from '@dropgate/guard';
import { closeRedis, createRedis } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { deleteKeysByPrefix, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL } from '@dropgate/testkit';
import { attemptProcessor } from './index';

/**
 * The worker's `code_not_found` (a wrong code the intake's filter let through) spends the campaign's OWN guess budget
 * (`settings.guessBudget`), as apps/worker's main.ts wires it: real PostgreSQL (random schema), real Redis (random prefix).
 */

const schema = tempPgSchema('dg_t');
const prefix = `dgt${randomBytes(4).toString('hex')}`;
const redis = createRedis(TEST_REDIS_URL, 'client', 'test-worker-guesses', { onError: () => undefined });
const codeSpec = resolveCodeSpec({ pattern: 'WCB-####-####' });
/** The deployment's limit (GUESS_ADDRESS_BUDGET) in this test. */
const CONFIGURED_ADDRESS_BUDGET = 5;
let store: Store;
let guesses: GuessBudget;
let judge: ReturnType<typeof attemptProcessor>;
let loads: string[];

async function campaignWith(settings: CampaignSettingsPatch): Promise<Campaign> {
  const campaign = await store.campaigns.create({ name: 'wrong codes', status: 'active', tiers: [{ name: 'standard', reward: 'cap' }], perCustomerLimit: 1, codeSpec, settings });
  await store.codes.insert(campaign.id, generateCodes(codeSpec, 3).map((code) => ({ code, tier: 'standard' })));
  return campaign;
}

/** Sends wrong codes from `ip` (a new customer id each) through the worker's processor; answers the 1-based number of the first one after which the address is blocked. */
async function wrongCodesUntilBlocked(campaign: Campaign, ip: string, max: number): Promise<number> {
  const source = clientSource(ip);
  for (let n = 1; n <= max; n++) {
    const id = `att_wcb_${randomBytes(6).toString('hex')}`;
    const customerId = `c-${randomBytes(5).toString('hex')}`;
    const result = await judge({ id, name: 'redeem', data: { campaignId: campaign.id, customerId, code: 'WCB-2222-2222', acceptedAt: new Date().toISOString(), source } });
    expect(result.outcome).toBe('code_not_found');
    if (guesses.blocked(source).blocked) return n;
  }
  return -1;
}

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, applicationName: 'dropgate-wrong-code-budget-test' });
  await store.migrate();
  guesses = new GuessBudget({ redis, prefix: guessBudgetPrefix(prefix), limits: { ...DEFAULT_GUESS_BUDGET, addressGuesses: CONFIGURED_ADDRESS_BUDGET } });
  loads = [];
  const overrides = new CampaignGuessOverrides({
    load: async (id) => {
      loads.push(id);
      return (await store.campaigns.get(id))?.settings.guessBudget;
    },
    ttlMs: 60_000,
  });
  judge = attemptProcessor({ redemptions: store.redemptions, now: () => new Date(), onWrongCode: wrongCodeCounter(guesses, overrides) });
});

afterAll(async () => {
  await closeRedis(redis);
  await store?.close();
  await schema.drop();
  await deleteKeysByPrefix(prefix);
});

describe("the worker's wrong codes and the campaign's guess budget", () => {
  it('a campaign without an override blocks an address after the configured budget', async () => {
    const campaign = await campaignWith({});
    expect(await wrongCodesUntilBlocked(campaign, '198.51.100.11', 20)).toBe(CONFIGURED_ADDRESS_BUDGET + 1);
  });

  it('a tighter campaign blocks sooner, a looser one later; its settings are read once, not per wrong code', async () => {
    const tight = await campaignWith({ guessBudget: { addressGuesses: 2 } });
    const loose = await campaignWith({ guessBudget: { addressGuesses: 12 } });
    expect(await wrongCodesUntilBlocked(tight, '198.51.101.11', 20)).toBe(3);
    expect(await wrongCodesUntilBlocked(loose, '198.51.102.11', 20)).toBe(13);
    expect(loads.filter((id) => id === loose.id)).toEqual([loose.id]);
    // The block is in Redis for every intake and worker: the key's window (15 min) became the first block (1 min).
    const blockMs = await redis.pttl(`${guessBudgetPrefix(prefix)}:address:${clientSource('198.51.102.11').address}`);
    expect(blockMs).toBeGreaterThan(0);
    expect(blockMs).toBeLessThanOrEqual(DEFAULT_GUESS_BUDGET.blockS[0]! * 1000);
  });

  it('a campaign whose settings cannot be read is counted with the configured budget', async () => {
    const failing = new CampaignGuessOverrides({ load: () => Promise.reject(new Error('store down')), ttlMs: 60_000, onError: () => undefined });
    const count = wrongCodeCounter(guesses, failing);
    const source = clientSource('198.51.103.11');
    const verdicts = [];
    for (let i = 0; i <= CONFIGURED_ADDRESS_BUDGET; i++) verdicts.push(await count({ source, customerId: `f-${i}`, campaignId: 'unreadable' }));
    expect(verdicts.map((v) => v.blocked)).toEqual([...Array<boolean>(CONFIGURED_ADDRESS_BUDGET).fill(false), true]);
  });
});
