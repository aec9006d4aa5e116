import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import { generateCodes, heldFrom, resolveCodeSpec, type AttemptResult, type Campaign, type HoldVerdict } from '@dropgate/core';
import {
  BlockMirror,
  CampaignGuessOverrides,
  clientSource,
  createRateGuard,
  DEFAULT_GUESS_BUDGET,
  GuessBudget,
  guessBudgetPrefix,
  rateGuardPrefix,
  SharedSourceBlocks,
  sourceBlocksPrefix,
  wrongCodeCounter,
  type RateGuard,
} from '@dropgate/guard';
import { attemptJobOptions, closeRedis, createAttemptQueue, createRedis, QUEUES, type AttemptQueue } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { deleteKeysByPrefix, jobResult, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { attemptProcessor, processAttempt, type ProcessDeps, type ReceivedAttemptJob } from './index';

/**
 * RATE_LIMITS_ENABLED=false reaches the workers too (`ProcessDeps.rateLimitsEnabled`), wired with every guard a worker
 * has (as apps/worker's main.ts wires them): a wrong code that passed the filter is not counted, a blocked source is not
 * refused (`source_blocked`), and a source naming several customers is not held past the intake's hold. Real PostgreSQL
 * (random schema), real Redis (random prefix), a real BullMQ worker.
 */

const schema = tempPgSchema('dg_rlo');
const prefix = `dgrlo${randomBytes(4).toString('hex')}`;
const HOLD_MS = 300;
const STEP_MS = 1500;
const HOLD_MAX_MS = 6000;
const CAPS = { perAddress: 10, perSubnet: 50, windowS: 600, blockS: 600 };
const ADDRESS_BUDGET = 2;

type Data = ReceivedAttemptJob['data'];

let store: Store;
let redis: ReturnType<typeof createRedis>;
let workerConnection: ReturnType<typeof createRedis>;
let queue: AttemptQueue;
let worker: Worker<Data, AttemptResult> | undefined;
let guesses: GuessBudget;
let intakeMirror: BlockMirror;
let intakeGuard: RateGuard;
let campaign: Campaign;
let codes: string[];
/** Verdicts the switched-off processor took (none expected). */
const verdicts: HoldVerdict[] = [];

const attemptId = (label: string) => `att_${label}_${randomBytes(6).toString('hex')}`;

/** Every guard a worker has, with the switch as given. */
function depsWith(rateLimitsEnabled: boolean): ProcessDeps {
  const sourceBlocks = new SharedSourceBlocks({ redis, prefix: sourceBlocksPrefix(prefix), distinctPrefix: rateGuardPrefix(prefix) });
  return {
    redemptions: store.redemptions,
    now: () => new Date(),
    onWrongCode: wrongCodeCounter(guesses, new CampaignGuessOverrides({ load: () => Promise.resolve(undefined), ttlMs: 60_000 })),
    sourceEvidence: (source) => sourceBlocks.evidence(source),
    holdRule: { stepMs: STEP_MS, holdMaxMs: HOLD_MAX_MS, heldAddressCustomers: heldFrom(CAPS.perAddress), heldSubnetCustomers: heldFrom(CAPS.perSubnet) },
    // Only the switched-off processor's verdicts are noted: it should take none.
    onHoldVerdict: rateLimitsEnabled ? undefined : (verdict) => verdicts.push(verdict),
    rateLimitsEnabled,
  };
}

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 4, applicationName: 'dropgate-rate-limits-off-test' });
  await store.migrate();
  const codeSpec = resolveCodeSpec({ pattern: 'RLO-####-####' });
  campaign = await store.campaigns.create({ name: 'rate limits off', status: 'active', tiers: [{ name: 'standard', reward: 'mug' }], perCustomerLimit: 1, codeSpec });
  codes = generateCodes(codeSpec, 8);
  await store.codes.insert(campaign.id, codes.map((code) => ({ code, tier: 'standard' })));
  redis = createRedis(TEST_REDIS_URL, 'client', 'rlo-test', { onError: () => undefined });
  queue = createAttemptQueue(redis, prefix);
  await queue.waitUntilReady();
  guesses = new GuessBudget({ redis, prefix: guessBudgetPrefix(prefix), limits: { ...DEFAULT_GUESS_BUDGET, addressGuesses: ADDRESS_BUDGET } });
  intakeMirror = new BlockMirror();
  new SharedSourceBlocks({ redis, prefix: sourceBlocksPrefix(prefix) }).follow(intakeMirror);
  // What counts the distinct customers of an address (an intake with its limits on, or an earlier run's keys).
  intakeGuard = createRateGuard({
    redis,
    prefix: rateGuardPrefix(prefix),
    ipPoints: 1000,
    ipDurationS: 1,
    ipBlockS: 60,
    customerPoints: 1000,
    customerDurationS: 1,
    customerBlockS: 60,
    distinctCustomers: CAPS,
    mirror: intakeMirror,
  });
});

afterAll(async () => {
  await worker?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  await closeRedis(redis);
  await closeRedis(workerConnection);
  await store?.close();
  await schema.drop();
  await deleteKeysByPrefix(prefix);
});

describe('workers with RATE_LIMITS_ENABLED=false', () => {
  it('count no wrong code that passed the filter: an address never runs out of guesses', async () => {
    const source = clientSource('198.51.100.41');
    for (let n = 0; n < ADDRESS_BUDGET + 3; n++) {
      const job = { id: attemptId('wrong'), name: 'redeem', data: { campaignId: campaign.id, customerId: `w-${n}`, code: 'RLO-2222-2222', acceptedAt: new Date().toISOString(), source } };
      expect((await processAttempt(job, depsWith(false))).outcome).toBe('code_not_found');
    }
    expect(guesses.blocked(source).blocked).toBe(false);
    expect(await redis.exists(`${guessBudgetPrefix(prefix)}:address:${source.address}`)).toBe(0);

    // The same wrong codes with the switch on: blocked after the budget (the test can fail).
    const counted = clientSource('198.51.100.42');
    for (let n = 0; n <= ADDRESS_BUDGET; n++) {
      const job = { id: attemptId('wrong-on'), name: 'redeem', data: { campaignId: campaign.id, customerId: `v-${n}`, code: 'RLO-2222-2222', acceptedAt: new Date().toISOString(), source: counted } };
      await processAttempt(job, depsWith(true));
    }
    expect(guesses.blocked(counted).blocked).toBe(true);
  });

  it('never answer source_blocked: an attempt whose address was blocked meanwhile is judged', async () => {
    const source = clientSource('203.0.113.41');
    intakeMirror.block(`address:${source.address}`, 60_000);
    await waitFor('the block shared', async () => ((await depsWith(true).sourceEvidence!(source)).blocked ? true : undefined), 2000, 10);
    const job = { id: attemptId('blocked'), name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-blocked', code: codes[0]!, acceptedAt: new Date().toISOString(), source } };
    expect((await processAttempt(job, depsWith(false))).outcome).toBe('redeemed');
    expect(await store.codes.get(campaign.id, codes[0]!)).toMatchObject({ state: 'redeemed', customerId: 'c-blocked' });
  });

  it('hold no attempt past the intake hold, however many customers its address named', async () => {
    for (const customerId of ['home-1', 'home-2', 'home-3', 'home-4']) expect((await intakeGuard.check({ ip: '192.0.2.41', customerId })).allowed).toBe(true);
    // With the switch on, this source is held (the rule defers it): the case the switch must turn off.
    const source = clientSource('192.0.2.41');
    const onDeps = depsWith(true);
    const evidence = await onDeps.sourceEvidence!(source);
    expect(evidence).toMatchObject({ blocked: false, addressCustomers: 4 });

    workerConnection = createRedis(TEST_REDIS_URL, 'worker', 'rlo-test-worker', { onError: () => undefined });
    worker = new Worker<Data, AttemptResult>(QUEUES.attempts, attemptProcessor(depsWith(false)), { connection: workerConnection, prefix, concurrency: 4 });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    const id = attemptId('shared');
    const acceptedAt = new Date().toISOString();
    await queue.add('redeem', { campaignId: campaign.id, customerId: 'home-4', code: codes[1]!, acceptedAt, source }, attemptJobOptions(id, { attempts: 3, backoffMs: 60_000, retentionS: 3600, holdMs: HOLD_MS }));
    expect(await jobResult<AttemptResult>(queue, id, 10_000)).toMatchObject({ outcome: 'redeemed', code: codes[1] });
    const job = await queue.getJob(id);
    expect(job!.processedOn! - Date.parse(acceptedAt)).toBeLessThan(HOLD_MS + STEP_MS);
    expect(job!.data).not.toHaveProperty('holdSeen');
    expect(verdicts).toEqual([]);
  });
});
