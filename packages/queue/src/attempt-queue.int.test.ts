import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { nextEvent, TEST_REDIS_URL } from '@dropgate/testkit';
import {
  closeRedis,
  createAttemptQueue,
  createAttemptQueueEvents,
  createRedis,
  enqueueAttempt,
  getAttemptStatus,
  InvalidAttemptIdError,
  newAttemptId,
  QUEUES,
  type AttemptJob,
  type AttemptJobResult,
  type AttemptQueue,
  type EnqueueOptions,
} from './index';

const prefix = `dgtest-${randomUUID().slice(0, 8)}`;
const options: EnqueueOptions = { attempts: 3, backoffMs: 60_000, retentionS: 3600 };

const payload = (customerId: string) => ({ campaignId: 'camp_1', code: 'ABCD2345', customerId, acceptedAt: new Date().toISOString() });

describe('attempts queue (real Redis)', () => {
  const producer = createRedis(TEST_REDIS_URL, 'producer', 'test-queue');
  const workerConnection = createRedis(TEST_REDIS_URL, 'worker', 'test-queue');
  const eventsConnection = createRedis(TEST_REDIS_URL, 'worker', 'test-queue-events');
  const events = createAttemptQueueEvents(eventsConnection, prefix);
  let queue: AttemptQueue;
  let worker: Worker<AttemptJob['data'], AttemptJobResult> | undefined;

  beforeAll(async () => {
    queue = createAttemptQueue(producer, prefix);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  });

  afterAll(async () => {
    await worker?.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    const leftovers = await producer.keys(`${prefix}:*`);
    await closeRedis(producer);
    await closeRedis(workerConnection);
    await closeRedis(eventsConnection);
    expect(leftovers).toEqual([]);
  });

  it('enqueues with job id = attempt id and the retry/retention options', async () => {
    const attemptId = newAttemptId();
    await expect(enqueueAttempt(queue, 'redeem', payload('c1'), attemptId, options)).resolves.toBe(attemptId);
    const job = await queue.getJob(attemptId);
    expect(job?.name).toBe('redeem');
    expect(job?.data).toMatchObject({ campaignId: 'camp_1', customerId: 'c1' });
    expect(job?.opts).toMatchObject({
      jobId: attemptId,
      attempts: 3,
      backoff: { type: 'exponential', delay: 60_000 },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 3600 },
    });
    expect(await getAttemptStatus(queue, attemptId)).toEqual({ attemptId, status: 'queued' });
    await job?.remove();
  });

  it('is idempotent per attempt id', async () => {
    const attemptId = newAttemptId();
    const before = await queue.getJobCountByTypes('waiting');
    await enqueueAttempt(queue, 'claim', { campaignId: 'camp_1', customerId: 'c2', acceptedAt: new Date().toISOString() }, attemptId, options);
    await enqueueAttempt(queue, 'claim', { campaignId: 'camp_1', customerId: 'c2', acceptedAt: new Date().toISOString() }, attemptId, options);
    expect(await queue.getJobCountByTypes('waiting')).toBe(before + 1);
    await queue.remove(attemptId);
  });

  it('refuses ids BullMQ or core would not take, before touching Redis', async () => {
    for (const bad of ['12345678', 'att:abcdefgh', 'x']) {
      await expect(enqueueAttempt(queue, 'redeem', payload('c3'), bad, options)).rejects.toBeInstanceOf(InvalidAttemptIdError);
    }
  });

  it('answers null for unknown or malformed ids', async () => {
    expect(await getAttemptStatus(queue, newAttemptId())).toBeNull();
    expect(await getAttemptStatus(queue, 'bad:id')).toBeNull();
  });

  it('follows an attempt through processing to done, failed, and waiting for a retry', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    worker = new Worker<AttemptJob['data'], AttemptJobResult>(
      QUEUES.attempts,
      async (job) => {
        if (job.data.customerId === 'hold') await gate;
        if (job.data.customerId === 'infra-down') throw new Error('store unreachable');
        return { outcome: 'redeemed', code: 'ABCD2345', tier: 'standard', reward: 't-shirt' };
      },
      { connection: workerConnection, prefix, concurrency: 4 },
    );
    worker.on('error', () => undefined);

    // processing → done
    const held = newAttemptId();
    const active = nextEvent<[AttemptJob]>(worker, 'active', (job) => job.id === held);
    await enqueueAttempt(queue, 'redeem', payload('hold'), held, options);
    await active;
    expect(await getAttemptStatus(queue, held)).toEqual({ attemptId: held, status: 'processing' });
    const completed = nextEvent<[AttemptJob]>(worker, 'completed', (job) => job.id === held);
    release();
    await completed;
    expect(await getAttemptStatus(queue, held)).toEqual({
      attemptId: held,
      status: 'done',
      outcome: 'redeemed',
      code: 'ABCD2345',
      tier: 'standard',
      reward: 't-shirt',
    });

    // a caller can wait for an attempt's result through the queue events
    const awaited = newAttemptId();
    await enqueueAttempt(queue, 'claim', { campaignId: 'camp_1', customerId: 'c9', acceptedAt: new Date().toISOString() }, awaited, options);
    const awaitedJob = await queue.getJob(awaited);
    await expect(awaitedJob?.waitUntilFinished(events, 5000)).resolves.toMatchObject({ outcome: 'redeemed' });

    // failed on the last try → failed
    const doomed = newAttemptId();
    const failed = nextEvent<[AttemptJob]>(worker, 'failed', (job) => job.id === doomed);
    await enqueueAttempt(queue, 'redeem', payload('infra-down'), doomed, { ...options, attempts: 1 });
    await failed;
    expect(await getAttemptStatus(queue, doomed)).toEqual({ attemptId: doomed, status: 'failed' });

    // failed with tries left → delayed for the backoff → still queued
    const retrying = newAttemptId();
    const firstFailure = nextEvent<[AttemptJob]>(worker, 'failed', (job) => job.id === retrying);
    await enqueueAttempt(queue, 'redeem', payload('infra-down'), retrying, options);
    await firstFailure;
    expect(await queue.getJobState(retrying)).toBe('delayed');
    expect(await getAttemptStatus(queue, retrying)).toEqual({ attemptId: retrying, status: 'queued' });
  });
});
