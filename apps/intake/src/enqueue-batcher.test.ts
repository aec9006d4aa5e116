import type { JobsOptions } from 'bullmq';
import { createEnqueueBatcher, type BulkAddQueue, type JobToAdd } from './enqueue-batcher';

/** A queue that records calls; `failIds` make single adds fail, `failBulk` makes every addBulk fail. */
function fakeQueue(options: { failIds?: string[]; failBulk?: boolean } = {}) {
  const calls: Array<{ kind: 'add' | 'bulk'; ids: string[] }> = [];
  const queue: BulkAddQueue = {
    add(_name: string, _data: unknown, opts: JobsOptions) {
      calls.push({ kind: 'add', ids: [opts.jobId!] });
      return options.failIds?.includes(opts.jobId!) ? Promise.reject(new Error(`no ${opts.jobId}`)) : Promise.resolve();
    },
    addBulk(jobs: JobToAdd[]) {
      calls.push({ kind: 'bulk', ids: jobs.map((j) => j.opts.jobId!) });
      return options.failBulk ? Promise.reject(new Error('pipeline failed')) : Promise.resolve();
    },
  };
  return { queue, calls };
}

const job = (id: string): JobToAdd => ({ name: 'claim', data: { campaignId: 'cmp_test', customerId: id, acceptedAt: '2026-01-01T00:00:00.000Z' }, opts: { jobId: id } });

describe('createEnqueueBatcher', () => {
  it('sends the adds of one event-loop turn as one addBulk and resolves every caller', async () => {
    const { queue, calls } = fakeQueue();
    const batcher = createEnqueueBatcher(queue, { maxJobs: 64, waitMs: 0 });
    await Promise.all(['a', 'b', 'c'].map((id) => batcher.submit(job(id))));
    expect(calls).toEqual([{ kind: 'bulk', ids: ['a', 'b', 'c'] }]);
  });

  it('flushes as soon as maxJobs are pending, and a lone job goes as a plain add', async () => {
    const { queue, calls } = fakeQueue();
    const batcher = createEnqueueBatcher(queue, { maxJobs: 2, waitMs: 50 });
    await Promise.all(['a', 'b', 'c'].map((id) => batcher.submit(job(id))));
    expect(calls).toEqual([
      { kind: 'bulk', ids: ['a', 'b'] },
      { kind: 'add', ids: ['c'] },
    ]);
  });

  it('with maxJobs 1 adds each job on its own, at once', async () => {
    const { queue, calls } = fakeQueue();
    const batcher = createEnqueueBatcher(queue, { maxJobs: 1, waitMs: 0 });
    await Promise.all(['a', 'b'].map((id) => batcher.submit(job(id))));
    expect(calls).toEqual([
      { kind: 'add', ids: ['a'] },
      { kind: 'add', ids: ['b'] },
    ]);
  });

  it('when the bulk fails, adds each job again on its own so each caller learns its own fate', async () => {
    const { queue, calls } = fakeQueue({ failBulk: true, failIds: ['b'] });
    const batcher = createEnqueueBatcher(queue, { maxJobs: 64, waitMs: 0 });
    const results = await Promise.allSettled(['a', 'b', 'c'].map((id) => batcher.submit(job(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls.map((c) => c.kind)).toEqual(['bulk', 'add', 'add', 'add']);
  });

  it('flush() sends what is pending without waiting for the timer', async () => {
    const { queue, calls } = fakeQueue();
    const batcher = createEnqueueBatcher(queue, { maxJobs: 64, waitMs: 60_000 });
    const added = Promise.all(['a', 'b'].map((id) => batcher.submit(job(id))));
    batcher.flush();
    await added;
    expect(calls).toEqual([{ kind: 'bulk', ids: ['a', 'b'] }]);
  });
});
