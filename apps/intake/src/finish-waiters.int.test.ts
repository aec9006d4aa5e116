import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import { closeRedis, createAttemptQueue, createRedis, eventsMaxLenOf, newAttemptId, QUEUES, type AttemptJobResult } from '@dropgate/queue';
import { deleteKeysByPrefix, startOwnRedis, startSilentLink, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { stallReader } from '../test/stalled-reader';
import { FinishWaiters } from './finish-waiters';

/**
 * FinishWaiters on the real Redis (random prefix) with a real BullMQ worker: the queue's event stream is read only
 * while someone waits, from a point fixed before the caller reads the attempt's state.
 */

const prefix = `dgtfw${randomBytes(4).toString('hex')}`;
const producer = createRedis(TEST_REDIS_URL, 'producer', 'test-finish-producer');
const workerConnection = createRedis(TEST_REDIS_URL, 'worker', 'test-finish-worker');
const queue = createAttemptQueue(producer, prefix);
const errors: unknown[] = [];
const waiters = new FinishWaiters({
  redis: createRedis(TEST_REDIS_URL, 'worker', 'test-finish-events'),
  streamKey: queue.toKey('events'),
  streamMaxLen: eventsMaxLenOf(queue),
  onError: (err) => void errors.push(err),
  blockMs: 200,
});
/** Jobs of these customers wait until their release is called. */
const gates = new Map<string, () => void>();
const held = new Map<string, Promise<void>>();
let worker: Worker;

const hold = (customerId: string): (() => void) => {
  let release: () => void = () => undefined;
  held.set(customerId, new Promise<void>((resolve) => (release = resolve)));
  gates.set(customerId, release);
  return release;
};

const add = (attemptId: string, customerId: string) =>
  queue.add('redeem', { campaignId: 'c1', customerId, code: 'FW-2222', acceptedAt: new Date().toISOString() }, { jobId: attemptId, removeOnComplete: { age: 600 } });

beforeAll(async () => {
  worker = new Worker(
    QUEUES.attempts,
    async (job): Promise<AttemptJobResult> => {
      await held.get((job.data as { customerId: string }).customerId);
      return { outcome: 'redeemed', code: 'FW-2222' };
    },
    { connection: workerConnection, prefix, concurrency: 16 },
  );
  worker.on('error', () => undefined);
  await Promise.all([worker.waitUntilReady(), queue.waitUntilReady()]);
});

afterAll(async () => {
  for (const release of gates.values()) release();
  waiters.close();
  await worker?.close();
  await queue.close();
  await Promise.all([closeRedis(producer), closeRedis(workerConnection)]);
  await deleteKeysByPrefix(prefix);
});

describe('FinishWaiters', () => {
  it('reads the events only while someone waits, and wakes a wait with the result of a finish after it was listening', async () => {
    // Nobody waits: jobs run and finish, the stream is not read.
    const unwatched = newAttemptId();
    await add(unwatched, 'unwatched');
    await waitFor('unwatched job done', async () => (await queue.getJobState(unwatched)) === 'completed' || undefined, 10_000, 20);
    expect(waiters.reading).toBe(false);

    const id = newAttemptId();
    const release = hold('watched-1');
    await add(id, 'watched-1');
    const wait = waiters.wait(id, 10_000);
    await wait.listening;
    expect(waiters.reading).toBe(true);
    release(); // finishes after the wait was listening
    expect(await wait.next).toEqual({ kind: 'completed', result: { outcome: 'redeemed', code: 'FW-2222' } });
    wait.cancel();
    expect(waiters.size).toBe(0);
    // The reading stops at the end of its current read once nobody waits.
    await waitFor('reading stopped', () => !waiters.reading || undefined, 5000, 20);
  });

  it('after a stop, starts reading again from the stream as it is now: a later finish wakes the new wait, an older one does not', async () => {
    await waitFor('reading stopped', () => !waiters.reading || undefined, 5000, 20);
    // Finished before anyone waited: its event is in the stream, before the new wait's starting point.
    const earlier = newAttemptId();
    await add(earlier, 'earlier');
    await waitFor('earlier job done', async () => (await queue.getJobState(earlier)) === 'completed' || undefined, 10_000, 20);
    const late = waiters.wait(earlier, 400);
    await late.listening;
    expect(await late.next).toBeNull();
    late.cancel();

    await waitFor('reading stopped', () => !waiters.reading || undefined, 5000, 20);
    const id = newAttemptId();
    const release = hold('watched-2');
    await add(id, 'watched-2');
    const wait = waiters.wait(id, 10_000);
    await wait.listening;
    release();
    expect(await wait.next).toMatchObject({ kind: 'completed' });
    wait.cancel();
    expect(errors).toEqual([]);
  });

  it('wakes its waits with `missed` when a read returns a whole trimmed stream: the reading fell behind a trim', async () => {
    const reading = createRedis(TEST_REDIS_URL, 'worker', 'test-finish-behind');
    const own = new FinishWaiters({ redis: reading, streamKey: queue.toKey('events'), streamMaxLen: eventsMaxLenOf(queue), onError: (err) => void errors.push(err), blockMs: 200 });
    try {
      const id = newAttemptId();
      const release = hold('behind');
      await add(id, 'behind');
      const wait = own.wait(id, 20_000);
      await wait.listening;
      const reader = await stallReader(reading, producer, queue.toKey('events'));
      release();
      await waitFor('job done', async () => (await queue.getJobState(id)) === 'completed' || undefined, 10_000, 20);
      // 10,000 more events, trimmed as BullMQ does (MAXLEN ~ 10000), then exactly: the finish is gone unread.
      await producer.eval("for i = 1, 10000 do redis.call('XADD', KEYS[1], 'MAXLEN', '~', 10000, '*', 'event', 'test-filler') end", 1, queue.toKey('events'));
      await producer.xtrim(queue.toKey('events'), 'MAXLEN', 10_000);
      expect((await producer.xrange(queue.toKey('events'), '-', '+', 'COUNT', 1))[0]?.[1]).toEqual(['event', 'test-filler']);
      reader.resume();
      expect(await wait.next).toEqual({ kind: 'missed' }); // not null at its deadline, 20 s on
      wait.cancel();
      expect(errors).toEqual([]);
    } finally {
      own.close();
    }
  });

  it('remakes a reading connection that went silent (a dead TCP path) and reads on from its position: the wait is woken', async () => {
    const link = await startSilentLink(TEST_REDIS_URL);
    const ownErrors: unknown[] = [];
    const own = new FinishWaiters({
      redis: createRedis(link.url, 'worker', 'test-finish-cut', { onError: () => undefined }),
      streamKey: queue.toKey('events'),
  streamMaxLen: eventsMaxLenOf(queue),
      onError: (err) => void ownErrors.push(err),
      blockMs: 200,
      replyMarginMs: 300,
    });
    try {
      const id = newAttemptId();
      const release = hold('cut');
      await add(id, 'cut');
      const wait = own.wait(id, 15_000);
      await wait.listening;
      link.cut(); // the blocked read will never be answered, and nothing tells the connection
      release();
      await waitFor('job done', async () => (await queue.getJobState(id)) === 'completed' || undefined, 10_000, 20);
      expect(await wait.next).toEqual({ kind: 'completed', result: { outcome: 'redeemed', code: 'FW-2222' } }); // not null at 15 s
      wait.cancel();
      expect(ownErrors.map(String)).toContainEqual(expect.stringMatching(/no reply from Redis in 500 ms/));
    } finally {
      own.close();
      await link.close();
    }
  });

  it('does not take a read resent after a reconnect for silence: it blocks from the new connection, not from its first send', async () => {
    const reading = createRedis(TEST_REDIS_URL, 'worker', 'test-finish-resent', { onError: () => undefined });
    let connects = 0;
    reading.on('connect', () => connects++);
    const ownErrors: unknown[] = [];
    const own = new FinishWaiters({ redis: reading, streamKey: `${prefix}:resent:events`, streamMaxLen: eventsMaxLenOf(queue), onError: (err) => void ownErrors.push(err), blockMs: 2000, replyMarginMs: 800 });
    try {
      const wait = own.wait('att_resent', 30_000);
      await wait.listening;
      // Well into its first read (2 s, on a stream nobody writes), the connection is remade (a Redis restart, a
      // failover): ioredis resends the read, which blocks its 2 s again, past 2.8 s from the first send.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(reading.status).toBe('ready');
      reading.disconnect(true);
      await waitFor('reconnected', () => (connects >= 2 && reading.status === 'ready' ? true : undefined), 5000, 10);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect({ connects, errors: ownErrors.map(String) }).toEqual({ connects: 2, errors: [] });
      expect(own.reading).toBe(true);
      wait.cancel();
    } finally {
      own.close();
    }
  });

  it('rides out a frozen Redis (SIGSTOP): remakes its connection while no reply comes, then reads on once Redis answers', async () => {
    const frozen = await startOwnRedis();
    const ownErrors: unknown[] = [];
    const writer = createRedis(frozen.url, 'client', 'test-finish-frozen-writer');
    const reading = createRedis(frozen.url, 'worker', 'test-finish-frozen', { onError: () => undefined });
    let connects = 0;
    reading.on('connect', () => connects++);
    const own = new FinishWaiters({
      redis: reading,
      streamKey: 'frozen:events',
      streamMaxLen: eventsMaxLenOf(queue),
      onError: (err) => void ownErrors.push(err),
      blockMs: 200,
      replyMarginMs: 300,
    });
    try {
      const wait = own.wait('att_frozen', 30_000);
      await wait.listening;
      frozen.freeze();
      // Dropped after 500 ms unanswered; remade (the kernel accepts it), its ready check unanswered too: dropped again.
      await waitFor('a new connection to the frozen Redis', () => (connects >= 2 ? true : undefined), 10_000, 50);
      const noticed = ownErrors.length;
      await waitFor('its silence noticed too', () => (ownErrors.length > noticed ? true : undefined), 5000, 50);
      frozen.thaw();
      // What BullMQ writes when a job completes.
      await writer.xadd('frozen:events', '*', 'event', 'completed', 'jobId', 'att_frozen', 'returnvalue', JSON.stringify({ outcome: 'redeemed', code: 'FZ-1' }));
      expect(await wait.next).toEqual({ kind: 'completed', result: { outcome: 'redeemed', code: 'FZ-1' } });
      wait.cancel();
      expect(ownErrors.map(String)).toContainEqual(expect.stringMatching(/no reply from Redis in 500 ms/));
    } finally {
      own.close();
      frozen.thaw();
      await closeRedis(writer);
      await frozen.destroy();
    }
  });

  it('close() ends every wait at once with null, and a wait after it is refused', async () => {
    const own = new FinishWaiters({ redis: createRedis(TEST_REDIS_URL, 'worker', 'test-finish-closing'), streamKey: queue.toKey('events'), streamMaxLen: eventsMaxLenOf(queue), onError: () => undefined, blockMs: 5000 });
    const id = newAttemptId();
    hold('never');
    await add(id, 'never');
    const wait = own.wait(id, 60_000);
    await wait.listening;
    own.close();
    expect(await wait.next).toBeNull();
    wait.cancel();
    const after = own.wait(id, 60_000);
    await expect(after.listening).rejects.toThrow('closed');
    after.cancel();
    expect(own.size).toBe(0);
  });
});
