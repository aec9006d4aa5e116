import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { closeRedis, createAttemptQueue, createRedis, newAttemptId, QUEUES, type AttemptJobResult, type AttemptQueue } from '@dropgate/queue';
import { deleteKeysByPrefix, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { stallReader } from '../test/stalled-reader';
import { BullmqGateway } from './bullmq-gateway';

/**
 * The gateway's wait for a finished attempt (`Prefer: wait`) on the real Redis (random prefix), with a real BullMQ
 * worker: many concurrent waits, a retried failure, a wait that runs out.
 */

const prefix = `dgtgw${randomBytes(4).toString('hex')}`;
const producer = createRedis(TEST_REDIS_URL, 'producer', 'test-gateway-producer');
const events = createRedis(TEST_REDIS_URL, 'worker', 'test-gateway-events');
const workerConnection = createRedis(TEST_REDIS_URL, 'worker', 'test-gateway-worker');
const queue = createAttemptQueue(producer, prefix);
const noStore = { getAttempt: () => Promise.resolve(null) };
const gateway = new BullmqGateway(queue, events, producer, noStore, { attempts: 3, backoffMs: 50, retentionS: 600, depthRefreshMs: 1000, connected: () => producer.status === 'ready', keyPrefix: prefix }, () => undefined);
/** Customers whose jobs fail once before they succeed; customers whose jobs wait for `release`. */
const failOnce = new Set<string>();
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => (release = resolve));
/** Customers whose jobs wait for `openGate` (the test that finishes a job at a chosen moment). */
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (openGate = resolve));
/** Jobs of these customers wait until their own release is called. */
const holds = new Map<string, { released: Promise<void>; release: () => void }>();
const hold = (customerId: string): (() => void) => {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  holds.set(customerId, { released, release });
  return release;
};
let worker: Worker;
const warnings: Error[] = [];
const onWarning = (w: Error): void => void warnings.push(w);

const redeem = (customerId: string) => ({ name: 'redeem' as const, data: { campaignId: 'c1', customerId, code: 'GW-2222', acceptedAt: new Date().toISOString() } });

beforeAll(async () => {
  process.on('warning', onWarning);
  worker = new Worker(
    QUEUES.attempts,
    async (job): Promise<AttemptJobResult> => {
      const customerId = (job.data as { customerId: string }).customerId;
      if (customerId.startsWith('held')) await held;
      if (customerId.startsWith('gated')) await gate;
      await holds.get(customerId)?.released;
      if (failOnce.delete(customerId)) throw new Error('the store went away once');
      return { outcome: 'redeemed', code: 'GW-2222', tier: 'standard', reward: 'cap' };
    },
    { connection: workerConnection, prefix, concurrency: 64 },
  );
  worker.on('error', () => undefined);
  await Promise.all([worker.waitUntilReady(), queue.waitUntilReady()]);
});

afterAll(async () => {
  process.off('warning', onWarning);
  release();
  openGate();
  for (const h of holds.values()) h.release();
  await worker?.close();
  gateway.endWaits();
  await queue.close();
  await Promise.all([closeRedis(producer), closeRedis(workerConnection)]);
  await deleteKeysByPrefix(prefix);
});

describe('BullmqGateway.waitFinished', () => {
  it('answers 60 concurrent waits with their outcomes, adding no listener per wait (no MaxListenersExceededWarning)', async () => {
    const closingListeners = queue.listenerCount('closing');
    const ids = Array.from({ length: 60 }, () => newAttemptId());
    const waits = ids.map(async (id, i) => {
      await gateway.enqueue(id, redeem(`many-${i}`));
      return gateway.waitFinished(id, 10_000);
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // every wait registered while jobs are still running
    expect(queue.listenerCount('closing')).toBe(closingListeners);
    const views = await Promise.all(waits);
    expect(views).toEqual(ids.map((attemptId) => ({ attemptId, status: 'done', outcome: 'redeemed', code: 'GW-2222', tier: 'standard', reward: 'cap' })));
    expect(gateway.waits.waiting).toBe(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('answers a job already finished at once, and waits on through a failure that is retried', async () => {
    const done = newAttemptId();
    await gateway.enqueue(done, redeem('early'));
    await gateway.waitFinished(done, 10_000);
    expect(await gateway.waitFinished(done, 10_000)).toMatchObject({ attemptId: done, status: 'done', outcome: 'redeemed' });
    const retried = newAttemptId();
    failOnce.add('flaky');
    await gateway.enqueue(retried, redeem('flaky'));
    expect(await gateway.waitFinished(retried, 10_000)).toMatchObject({ attemptId: retried, status: 'done', outcome: 'redeemed' });
    expect(failOnce.has('flaky')).toBe(false);
  });

  it('reads the state only once the events are read from a point before it: a finish in between is not missed', async () => {
    // A gateway whose events connection is busy (a BLPOP this test ends): its stream position is taken late, after
    // the job below has finished. Reading the state before that position would see the job active and then wait for
    // an event from before the position: never delivered, a null at the deadline.
    const busy = createRedis(TEST_REDIS_URL, 'worker', 'test-gateway-busy-events');
    const own = new BullmqGateway(queue, busy, producer, noStore, { attempts: 3, backoffMs: 50, retentionS: 600, depthRefreshMs: 1000, connected: () => true, keyPrefix: prefix }, () => undefined);
    const unblock = `${prefix}:unblock`;
    const blocked = busy.blpop(unblock, 0);
    try {
      const id = newAttemptId();
      await gateway.enqueue(id, redeem('gated'));
      await waitFor('job active', async () => ((await queue.getJobState(id)) === 'active') || undefined, 10_000, 20);
      const answer = own.waitFinished(id, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 100)); // room for a (wrong) early state read to be answered
      openGate();
      await waitFor('job completed', async () => ((await queue.getJobState(id)) === 'completed') || undefined, 10_000, 20);
      await producer.lpush(unblock, 'go');
      await blocked;
      expect(await answer).toMatchObject({ attemptId: id, status: 'done', outcome: 'redeemed' });
    } finally {
      own.endWaits();
    }
  });

  it('reads the state at its deadline: a finish whose event was trimmed from the stream before it was read answers done', async () => {
    // A gateway whose events reader stalls (as a busy intake does) while the job finishes, and the stream is trimmed
    // past the finish before the reader reads again: no event will wake the wait.
    const stalled = createRedis(TEST_REDIS_URL, 'worker', 'test-gateway-stalled-events');
    const own = new BullmqGateway(queue, stalled, producer, noStore, { attempts: 3, backoffMs: 50, retentionS: 600, depthRefreshMs: 1000, connected: () => true, keyPrefix: prefix }, () => undefined);
    try {
      const id = newAttemptId();
      const finish = hold('stalled');
      await gateway.enqueue(id, redeem('stalled'));
      const started = performance.now();
      // Long enough for the stall, the finish and the trim to come first on a loaded machine (a deadline before the
      // job finished would rightly answer null).
      const answer = own.waitFinished(id, 5000);
      const reader = await stallReader(stalled, producer, queue.toKey('events'));
      finish();
      await waitFor('job completed', async () => ((await queue.getJobState(id)) === 'completed') || undefined, 10_000, 20);
      await producer.xtrim(queue.toKey('events'), 'MAXLEN', 0);
      reader.resume();
      expect(await answer).toEqual({ attemptId: id, status: 'done', outcome: 'redeemed', code: 'GW-2222', tier: 'standard', reward: 'cap' });
      expect(performance.now() - started).toBeGreaterThanOrEqual(4990); // answered at its deadline, not woken
    } finally {
      own.endWaits();
    }
  });

  it("takes the stream's trim length from the queue: a reader a whole (short) stream behind reads the state at once", async () => {
    // A queue whose event stream keeps 200 entries (its own prefix: the meta it writes sets the trim for its workers).
    const shortPrefix = `${prefix}short`;
    const short: AttemptQueue = new Queue(QUEUES.attempts, { connection: producer, prefix: shortPrefix, streams: { events: { maxLen: 200 } } });
    const shortWorkerConnection = createRedis(TEST_REDIS_URL, 'worker', 'test-gateway-short-worker');
    const finished: AttemptJobResult = { outcome: 'redeemed', code: 'GW-2222' };
    const shortWorker = new Worker(QUEUES.attempts, () => Promise.resolve(finished), { connection: shortWorkerConnection, prefix: shortPrefix, autorun: false });
    const stalled = createRedis(TEST_REDIS_URL, 'worker', 'test-gateway-short-events');
    const own = new BullmqGateway(short, stalled, producer, noStore, { attempts: 3, backoffMs: 50, retentionS: 600, depthRefreshMs: 1000, connected: () => true, keyPrefix: shortPrefix }, () => undefined);
    try {
      const id = newAttemptId();
      await own.enqueue(id, redeem('short'));
      const answer = own.waitFinished(id, 20_000);
      const reader = await stallReader(stalled, producer, short.toKey('events'));
      void shortWorker.run();
      await waitFor('job completed', async () => ((await short.getJobState(id)) === 'completed') || undefined, 10_000, 20);
      // 200 more events, trimmed as BullMQ does: the finish is gone, the reader's next read returns a whole stream.
      await producer.eval("for i = 1, 200 do redis.call('XADD', KEYS[1], 'MAXLEN', '~', 200, '*', 'event', 'test-filler') end", 1, short.toKey('events'));
      await producer.xtrim(short.toKey('events'), 'MAXLEN', 200);
      const resumed = performance.now();
      reader.resume();
      expect(await answer).toMatchObject({ attemptId: id, status: 'done', outcome: 'redeemed' });
      expect(performance.now() - resumed).toBeLessThan(5000); // woken as `missed`, not at its deadline 20 s on
    } finally {
      own.endWaits();
      await shortWorker.close();
      await closeRedis(shortWorkerConnection);
      await short.close();
      await deleteKeysByPrefix(shortPrefix);
    }
  });

  it('answers null when the attempt does not finish in time, and for an unknown attempt', async () => {
    const slow = newAttemptId();
    await gateway.enqueue(slow, redeem('held-1'));
    const started = performance.now();
    expect(await gateway.waitFinished(slow, 300)).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await gateway.waitFinished(newAttemptId(), 300)).toBeNull();
    release();
  });
});
