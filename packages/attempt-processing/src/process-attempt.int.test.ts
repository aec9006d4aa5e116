import { randomBytes } from 'node:crypto';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { generateCodes, resolveCodeSpec, type AttemptResult, type Campaign } from '@dropgate/core';
import { closeRedis, createRedis, QUEUES } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { deleteKeysByPrefix, jobResult, nextEvent, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL } from '@dropgate/testkit';
import { attemptProcessor, batchingRedemptions, type ReceivedAttemptJob } from './index';

/**
 * The attempts processor behind a real BullMQ Worker, wired as apps/worker's main.ts wires it, on the real Redis (random prefix)
 * and a real PostgreSQL store (random schema).
 */

const schema = tempPgSchema('dg_t');
const prefix = `dgt${randomBytes(4).toString('hex')}`;
const TIMEOUT_MS = 5000;

type Data = ReceivedAttemptJob['data'];
type Processor = (job: Job<Data, AttemptResult>) => Promise<AttemptResult>;

/** Store calls made by the worker's batcher, by size (batching on, as main.ts wires it by default). */
const batchSizes: number[] = [];

/** The processor apps/worker runs: domain outcomes are results; a job that can never succeed is unrecoverable. */
function processorOn(store: Store): Processor {
  const redemptions = batchingRedemptions(store.redemptions, { max: 8, waitMs: 2, onBatch: (size) => batchSizes.push(size) });
  return attemptProcessor({ redemptions, now: () => new Date() });
}

function startWorker(store: Store, queuePrefix: string): { worker: Worker<Data, AttemptResult>; close: () => Promise<void> } {
  const connection = createRedis(TEST_REDIS_URL, 'worker', 'worker-test', { onError: () => undefined });
  const worker = new Worker<Data, AttemptResult>(QUEUES.attempts, processorOn(store), {
    connection,
    prefix: queuePrefix,
    concurrency: 4,
    lockDuration: 30_000,
    stalledInterval: 30_000,
    maxStalledCount: 10,
  });
  worker.on('error', () => undefined);
  return {
    worker,
    close: async () => {
      await worker.close();
      await closeRedis(connection);
    },
  };
}

const attemptId = (label: string) => `att_${label}_${randomBytes(6).toString('hex')}`;

let store: Store;
let producer: ReturnType<typeof createRedis>;
let queue: Queue<Data, AttemptResult>;
let running: ReturnType<typeof startWorker>;

const jobOptions = (jobId: string) => ({ jobId, attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });

async function run(name: string, data: Data, jobId: string): Promise<AttemptResult> {
  await queue.add(name, data, jobOptions(jobId));
  return jobResult<AttemptResult>(queue, jobId, TIMEOUT_MS);
}

async function campaignWithCodes(tiers: Array<{ name: string; reward: string; quantity: number }>, perCustomerLimit: number): Promise<{ campaign: Campaign; codes: Record<string, string[]> }> {
  const codeSpec = resolveCodeSpec({ pattern: 'SYN-####-####' });
  const campaign = await store.campaigns.create({ name: 'worker test', status: 'active', tiers: tiers.map(({ name, reward }) => ({ name, reward })), perCustomerLimit, codeSpec });
  const all = generateCodes(codeSpec, tiers.reduce((n, t) => n + t.quantity, 0));
  const codes: Record<string, string[]> = {};
  let offset = 0;
  for (const tier of tiers) {
    codes[tier.name] = all.slice(offset, (offset += tier.quantity));
    if (tier.quantity > 0) await store.codes.insert(campaign.id, codes[tier.name]!.map((code) => ({ code, tier: tier.name })));
  }
  return { campaign, codes };
}

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 6, applicationName: 'dropgate-worker-int-test' });
  await store.migrate();
  producer = createRedis(TEST_REDIS_URL, 'client', 'worker-test-producer');
  queue = new Queue<Data, AttemptResult>(QUEUES.attempts, { connection: producer, prefix });
  await queue.waitUntilReady();
  running = startWorker(store, prefix);
  await running.worker.waitUntilReady();
});

afterAll(async () => {
  await running?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  // Obliterating the queue leaves none of its keys behind (whatever is left is removed anyway).
  const left = await producer.keys(`${prefix}*`);
  await closeRedis(producer);
  await store?.close();
  await schema.drop();
  await deleteKeysByPrefix(prefix);
  expect(left).toEqual([]);
});

describe('redeem and claim jobs', () => {
  let fixture: Awaited<ReturnType<typeof campaignWithCodes>>;

  beforeAll(async () => {
    fixture = await campaignWithCodes(
      [
        { name: 'standard', reward: 't-shirt', quantity: 10 },
        { name: 'premium', reward: 'skate deck', quantity: 3 },
        { name: 'empty', reward: 'nothing', quantity: 0 },
      ],
      5,
    );
  });

  it('redeems the code of a redeem job; the job result is the recorded attempt', async () => {
    const id = attemptId('redeem');
    const code = fixture.codes.premium![0]!;
    const result = await run('redeem', { campaignId: fixture.campaign.id, customerId: 'alice', code }, id);
    expect(result).toMatchObject({ attemptId: id, kind: 'redeem', campaignId: fixture.campaign.id, customerId: 'alice', outcome: 'redeemed', code, tier: 'premium', reward: 'skate deck' });
    expect(await store.codes.get(fixture.campaign.id, code)).toMatchObject({ state: 'redeemed', customerId: 'alice', attemptId: id });
    expect(await store.redemptions.getAttempt(id)).toMatchObject({ outcome: 'redeemed', code });
  });

  it('judges an attempt as of its acceptance time, however late it is processed', async () => {
    const endsAt = new Date(Date.now() - 60_000);
    const late = await store.campaigns.create({
      name: 'ended a minute ago',
      status: 'active',
      tiers: [{ name: 'standard', reward: 't-shirt' }],
      perCustomerLimit: 1,
      codeSpec: resolveCodeSpec({ length: 10 }),
      endsAt,
    });
    await store.codes.insert(late.id, generateCodes(late.codeSpec, 2).map((code) => ({ code, tier: 'standard' })));
    const before = new Date(endsAt.getTime() - 1000).toISOString();
    const inTime = await run('claim', { campaignId: late.id, customerId: 'punctual', acceptedAt: before }, attemptId('intime'));
    expect(inTime.outcome).toBe('claimed');
    const after = new Date(endsAt.getTime() + 1000).toISOString();
    const tooLate = await run('claim', { campaignId: late.id, customerId: 'tardy', acceptedAt: after }, attemptId('late'));
    expect(tooLate.outcome).toBe('campaign_not_active');
  });

  it('assigns the next available code of the tier for a claim job', async () => {
    const id = attemptId('claim');
    const result = await run('claim', { campaignId: fixture.campaign.id, customerId: 'bob', tier: 'standard' }, id);
    expect(result).toMatchObject({ attemptId: id, kind: 'claim', outcome: 'claimed', tier: 'standard', reward: 't-shirt' });
    expect(fixture.codes.standard).toContain(result.code);
    expect(await store.codes.get(fixture.campaign.id, result.code!)).toMatchObject({ state: 'redeemed', customerId: 'bob', attemptId: id });
  });

  it('completes (does not fail, does not retry) on domain outcomes', async () => {
    const soldOut = attemptId('soldout');
    expect(await run('claim', { campaignId: fixture.campaign.id, customerId: 'carol', tier: 'empty' }, soldOut)).toMatchObject({ outcome: 'sold_out', code: null });
    const notFound = attemptId('notfound');
    expect(await run('redeem', { campaignId: fixture.campaign.id, customerId: 'carol', code: 'SYN-2222-2222' }, notFound)).toMatchObject({ outcome: 'code_not_found' });
    const used = attemptId('used');
    expect(await run('redeem', { campaignId: fixture.campaign.id, customerId: 'carol', code: fixture.codes.premium![0]! }, used)).toMatchObject({ outcome: 'code_already_used' });
    for (const id of [soldOut, notFound, used]) {
      const job = await queue.getJob(id);
      expect({ state: await job?.getState(), failedReason: job?.failedReason ?? null, attemptsMade: job?.attemptsMade }).toEqual({ state: 'completed', failedReason: null, attemptsMade: 1 });
    }
  });

  it.each([
    ['claim', (f: typeof fixture) => ({ campaignId: f.campaign.id, customerId: 'dave', tier: 'standard' })],
    ['redeem', (f: typeof fixture) => ({ campaignId: f.campaign.id, customerId: 'erin', code: f.codes.premium![2]! })],
  ])('answers a %s job delivered twice (same job id) with the same result, never a second code', async (name, data) => {
    const id = attemptId(`twice_${name}`);
    const payload = data(fixture);
    const first = await run(name, payload, id);
    expect(['claimed', 'redeemed']).toContain(first.outcome);
    // The job leaves Redis (retention, or a crash after the store call), and the very same attempt comes again.
    await (await queue.getJob(id))!.remove();
    expect(await queue.getJob(id)).toBeUndefined();
    const second = await run(name, payload, id);
    expect(second).toEqual(first);

    const mine = await store.codes.list({ campaignId: fixture.campaign.id, state: 'redeemed', limit: 100 });
    expect(mine.filter((c) => c.customerId === payload.customerId).map((c) => c.code)).toEqual([first.code]);
  });
});

describe('batched store calls', () => {
  it('jobs in flight together go to the store in batches; the last codes go out once each', async () => {
    const { campaign, codes } = await campaignWithCodes([{ name: 'standard', reward: 'x', quantity: 5 }], 1);
    const ids = Array.from({ length: 12 }, (_, i) => attemptId(`batch${i}`));
    const before = batchSizes.length;
    const jobs = await queue.addBulk(ids.map((id, i) => ({ name: 'claim', data: { campaignId: campaign.id, customerId: `batch${i}` }, opts: jobOptions(id) })));
    const results = await Promise.all(jobs.map((job) => jobResult<AttemptResult>(queue, job.id!, TIMEOUT_MS)));
    const claimed = results.filter((r) => r.outcome === 'claimed');
    expect(claimed).toHaveLength(5);
    expect(new Set(claimed.map((r) => r.code))).toEqual(new Set(codes.standard));
    expect(results.filter((r) => r.outcome === 'sold_out')).toHaveLength(7);
    expect(batchSizes.length).toBeGreaterThan(before);
    for (const [i, id] of ids.entries()) expect(await store.redemptions.getAttempt(id)).toEqual({ ...results[i]!, finishedAt: expect.any(Date) as unknown });
  });
});

describe('jobs that can never succeed', () => {
  it.each<[string, string, Data, RegExp]>([
    ['an unknown job name', 'bogus', { campaignId: 'c1', customerId: 'x' }, /unknown job name "bogus"/],
    ['a redeem job without a code', 'redeem', { campaignId: 'c1', customerId: 'x' }, /redeem job without a code/],
  ])('fail %s at once, unrecoverable, without retries', async (_what, name, data, reason) => {
    const id = attemptId('doomed');
    const failed = nextEvent<[Job | undefined, Error]>(running.worker, 'failed', (job) => job?.id === id);
    await queue.add(name, data, jobOptions(id));
    const [, err] = await failed;
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(err.message).toMatch(reason);
    const job = await queue.getJob(id);
    expect({ state: await job?.getState(), attemptsMade: job?.attemptsMade }).toEqual({ state: 'failed', attemptsMade: 1 });
    expect(job?.failedReason).toMatch(reason);
    expect(await store.redemptions.getAttempt(id)).toBeNull();
  });

  it('retries an infrastructure failure instead (the store unreachable)', async () => {
    const otherPrefix = `${prefix}-down`;
    const unreachable = createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: schema.name, poolSize: 1 });
    const downQueue = new Queue<Data, AttemptResult>(QUEUES.attempts, { connection: producer, prefix: otherPrefix });
    const down = startWorker(unreachable, otherPrefix);
    try {
      const id = attemptId('infra');
      const failed = nextEvent<[Job | undefined, Error]>(down.worker, 'failed', (job) => job?.id === id);
      await downQueue.add('claim', { campaignId: 'c1', customerId: 'x' }, jobOptions(id));
      const [, err] = await failed;
      expect(err).not.toBeInstanceOf(UnrecoverableError);
      const job = await downQueue.getJob(id);
      // waiting out its backoff (60 s) for the next try
      expect({ state: await job?.getState(), attemptsMade: job?.attemptsMade }).toEqual({ state: 'delayed', attemptsMade: 1 });
    } finally {
      await down.close();
      await downQueue.obliterate({ force: true });
      await downQueue.close();
      await unreachable.close();
    }
  });
});
