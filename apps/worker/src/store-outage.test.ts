import { DelayedError, UnrecoverableError } from 'bullmq';
import { OutageLog } from '@dropgate/observability';
import { holdingThroughStoreOutage, StoreOutage } from './store-outage';

/** The gate's logic with a store whose ping the test answers (the real thing: test/e2e/store-outage.e2e.test.ts). */
function setup() {
  let storeUp = true;
  const calls: string[] = [];
  const lines: string[] = [];
  const log = new OutageLog({ what: 'postgres store', logger: { warn: (_f, msg) => void lines.push(msg) } });
  const outage = new StoreOutage({
    ping: () => (storeUp ? Promise.resolve() : Promise.reject(new Error('connect ECONNREFUSED'))),
    log,
    pause: () => void calls.push('pause'),
    resume: () => void calls.push('resume'),
    firstDelayMs: 5,
    maxDelayMs: 10,
  });
  const moved: number[] = [];
  const job = { moved, moveToDelayed: (at: number) => Promise.resolve(void moved.push(at)) };
  return { outage, log, calls, lines, job, setStore: (up: boolean) => void (storeUp = up) };
}

describe('holdingThroughStoreOutage', () => {
  it('a job failing while the store does not answer keeps its try (delayed), the worker pauses, then resumes once it answers', async () => {
    const { outage, log, calls, lines, job, setStore } = setup();
    const process = holdingThroughStoreOutage(outage, () => Promise.reject(new Error('Connection terminated unexpectedly')));
    setStore(false);
    await expect(process(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(job.moved).toHaveLength(1);
    expect(calls).toEqual(['pause']);
    expect(log.isDown).toBe(true);
    // Taken during the outage: held without trying the store.
    let tried = false;
    await expect(holdingThroughStoreOutage(outage, () => Promise.resolve(void (tried = true)))(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(tried).toBe(false);

    setStore(true);
    for (let i = 0; i < 200 && log.isDown; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toEqual(['pause', 'resume']);
    expect(lines).toEqual(['postgres store unavailable: Connection terminated unexpectedly, retrying', expect.stringMatching(/^postgres store back after [\d.]+ s$/)]);
    outage.stop();
  });

  it('a failure while the store answers is an ordinary failure (its try is spent); BullMQ signals pass through', async () => {
    const { outage, calls, job } = setup();
    const boom = new Error('a bug');
    await expect(holdingThroughStoreOutage(outage, () => Promise.reject(boom))(job, 'token')).rejects.toBe(boom);
    const unrecoverable = new UnrecoverableError('bad job');
    await expect(holdingThroughStoreOutage(outage, () => Promise.reject(unrecoverable))(job, 'token')).rejects.toBe(unrecoverable);
    expect(job.moved).toEqual([]);
    expect(calls).toEqual([]);
  });
});
