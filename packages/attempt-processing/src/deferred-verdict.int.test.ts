import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import { generateCodes, resolveCodeSpec, type AttemptResult, type Campaign } from '@dropgate/core';
import { BlockMirror, clientSource, SharedSourceBlocks, sourceBlocksPrefix } from '@dropgate/guard';
import {
  attemptJobOptions,
  closeRedis,
  createAttemptQueue,
  createRedis,
  getAttemptStatus,
  QUEUES,
  type AttemptQueue,
  type AttemptSource,
} from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { deleteKeysByPrefix, jobResult, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { attemptProcessor, batchingRedemptions, processAttempt, type ProcessDeps, type ReceivedAttemptJob } from './index';

/**
 * The deferred verdict and the hold, wired as apps/worker and apps/intake wire them, on real Redis (random prefix), a
 * real PostgreSQL store (random schema) and a real BullMQ worker: an attempt accepted while its source was still
 * allowed, whose source is blocked before a worker takes it, ends `source_blocked`, recorded.
 */

const schema = tempPgSchema('dg_dv');
const prefix = `dgdv${randomBytes(4).toString('hex')}`;
const HOLD_MS = 600;

type Data = ReceivedAttemptJob['data'];

let store: Store;
let producer: ReturnType<typeof createRedis>;
let workerConnection: ReturnType<typeof createRedis>;
let queue: AttemptQueue;
let worker: Worker<Data, AttemptResult>;
let deps: ProcessDeps;
/** What the intake does when one of its layers blocks a source: its mirror takes the block, shared through Redis. */
let intakeMirror: BlockMirror;
let campaign: Campaign;
let codes: string[];
const verdictErrors: unknown[] = [];

const attemptId = (label: string) => `att_${label}_${randomBytes(6).toString('hex')}`;
const sourceOf = (ip: string): AttemptSource => clientSource(ip);

async function accept(data: Data, id: string, holdMs = HOLD_MS): Promise<void> {
  await queue.add('redeem', data as never, attemptJobOptions(id, { attempts: 3, backoffMs: 60_000, retentionS: 3600, holdMs }));
}

function outcome(id: string): Promise<AttemptResult> {
  return jobResult<AttemptResult>(queue, id, 10_000);
}

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 4, applicationName: 'dropgate-deferred-verdict-test' });
  await store.migrate();
  const codeSpec = resolveCodeSpec({ pattern: 'DV-####-####' });
  campaign = await store.campaigns.create({ name: 'deferred verdict', status: 'active', tiers: [{ name: 'standard', reward: 't-shirt' }], perCustomerLimit: 1, codeSpec });
  codes = generateCodes(codeSpec, 10);
  await store.codes.insert(campaign.id, codes.map((code) => ({ code, tier: 'standard' })));

  producer = createRedis(TEST_REDIS_URL, 'client', 'dv-test-producer');
  queue = createAttemptQueue(producer, prefix);
  await queue.waitUntilReady();

  intakeMirror = new BlockMirror();
  new SharedSourceBlocks({ redis: producer, prefix: sourceBlocksPrefix(prefix) }).follow(intakeMirror);
  // The worker's side, as apps/worker/src/main.ts wires it.
  const workerBlocks = new SharedSourceBlocks({ redis: producer, prefix: sourceBlocksPrefix(prefix) });
  deps = {
    redemptions: batchingRedemptions(store.redemptions, { max: 8, waitMs: 0 }),
    now: () => new Date(),
    sourceBlocked: (source) => workerBlocks.isBlocked(source),
    onVerdictError: (err) => verdictErrors.push(err),
  };
  workerConnection = createRedis(TEST_REDIS_URL, 'worker', 'dv-test-worker', { onError: () => undefined });
  worker = new Worker<Data, AttemptResult>(QUEUES.attempts, attemptProcessor(deps), { connection: workerConnection, prefix, concurrency: 8 });
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
});

afterAll(async () => {
  await worker?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  await closeRedis(producer);
  await closeRedis(workerConnection);
  await store?.close();
  await schema.drop();
  await deleteKeysByPrefix(prefix);
});

describe('the hold and the deferred verdict', () => {
  it('holds an accepted attempt ATTEMPT_HOLD_MS (queued meanwhile), then judges it', async () => {
    const id = attemptId('held');
    await accept({ campaignId: campaign.id, customerId: 'held-customer', code: codes[0]!, acceptedAt: new Date().toISOString(), source: sourceOf('192.0.2.10') }, id);
    expect(await getAttemptStatus(queue, id)).toEqual({ attemptId: id, status: 'queued' });
    expect((await outcome(id)).outcome).toBe('redeemed');
    const job = await queue.getJob(id);
    expect(job!.processedOn! - job!.timestamp).toBeGreaterThanOrEqual(HOLD_MS);
  });

  it('refuses an attempt whose subnet was blocked after it was accepted (source_blocked, recorded); a source still allowed is served', async () => {
    const bot = sourceOf('198.51.100.23');
    const botId = attemptId('bot');
    const honestId = attemptId('honest');
    const acceptedAt = new Date().toISOString();
    await accept({ campaignId: campaign.id, customerId: 'bot-1', code: codes[1]!, acceptedAt, source: bot }, botId);
    await accept({ campaignId: campaign.id, customerId: 'honest-1', code: codes[2]!, acceptedAt, source: sourceOf('192.0.2.77') }, honestId);
    // Moments later the intake's subnet limit trips on the bot's next requests (from another address of its /24).
    intakeMirror.block(`subnet:${sourceOf('198.51.100.99').subnet}`, 60_000);

    const [refused, served] = await Promise.all([outcome(botId), outcome(honestId)]);
    expect(refused).toMatchObject({ attemptId: botId, outcome: 'source_blocked', code: null, customerId: 'bot-1' });
    expect(served).toMatchObject({ attemptId: honestId, outcome: 'redeemed', code: codes[2] });
    expect(await store.redemptions.getAttempt(botId)).toMatchObject({ outcome: 'source_blocked', finishedAt: new Date(acceptedAt) });
    expect(await store.codes.get(campaign.id, codes[1]!)).toMatchObject({ state: 'available', customerId: null });
    expect(await getAttemptStatus(queue, botId)).toEqual({ attemptId: botId, status: 'done', outcome: 'source_blocked' });
    expect(await store.redemptions.outcomeCounts(campaign.id)).toMatchObject({ source_blocked: 1 });
  });

  it('is idempotent on redelivery: a refused attempt stays refused once unblocked, a served one stays served once blocked', async () => {
    const address = sourceOf('203.0.113.5');
    const refusedId = attemptId('redelivered-refused');
    intakeMirror.block(`address:${address.address}`, 1_000);
    await waitFor('the block shared', async () => ((await deps.sourceBlocked!(address)) ? true : undefined), 2000, 10);
    const refusedJob = { id: refusedId, name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-refused', code: codes[3]!, acceptedAt: new Date().toISOString(), source: address } };
    expect((await processAttempt(refusedJob, deps)).outcome).toBe('source_blocked');
    await waitFor('the block to expire', async () => ((await deps.sourceBlocked!(address)) ? undefined : true), 3000, 50);
    expect((await processAttempt(refusedJob, deps)).outcome).toBe('source_blocked');
    expect(await store.codes.get(campaign.id, codes[3]!)).toMatchObject({ state: 'available' });

    const other = sourceOf('203.0.113.6');
    const servedId = attemptId('redelivered-served');
    const servedJob = { id: servedId, name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-served', code: codes[4]!, acceptedAt: new Date().toISOString(), source: other } };
    const first = await processAttempt(servedJob, deps);
    expect(first.outcome).toBe('redeemed');
    intakeMirror.block(`address:${other.address}`, 60_000);
    await waitFor('the block shared', async () => ((await deps.sourceBlocked!(other)) ? true : undefined), 2000, 10);
    expect(await processAttempt(servedJob, deps)).toEqual(first);
    expect(await store.codes.get(campaign.id, codes[4]!)).toMatchObject({ state: 'redeemed', attemptId: servedId });
  });

  it('judges the attempt as usual when the blocks cannot be read (the intake checks held), and says so; a job without a source is never refused', async () => {
    const failing: ProcessDeps = { ...deps, sourceBlocked: () => Promise.reject(new Error('redis down')) };
    const before = verdictErrors.length;
    const id = attemptId('no-verdict');
    const r = await processAttempt({ id, name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-open', code: codes[5]!, acceptedAt: new Date().toISOString(), source: sourceOf('203.0.113.200') } }, failing);
    expect(r.outcome).toBe('redeemed');
    expect(verdictErrors.slice(before).map((e) => (e as Error).message)).toEqual(['redis down']);

    // An old intake's job (no source) while everything is blocked: judged as usual.
    const blockedAll: ProcessDeps = { ...deps, sourceBlocked: () => Promise.resolve(true) };
    const legacy = await processAttempt({ id: attemptId('legacy'), name: 'redeem', data: { campaignId: campaign.id, customerId: 'c-legacy', code: codes[6]!, acceptedAt: new Date().toISOString() } }, blockedAll);
    expect(legacy.outcome).toBe('redeemed');
    // A claim with a blocked source is refused like a redeem.
    const claim = await processAttempt({ id: attemptId('claim'), name: 'claim', data: { campaignId: campaign.id, customerId: 'c-claim', acceptedAt: new Date().toISOString(), source: sourceOf('203.0.113.201') } }, blockedAll);
    expect(claim).toMatchObject({ kind: 'claim', outcome: 'source_blocked', code: null });
  });
});
