import { jobResult, type JobReader } from './index';

/** A queue whose job goes through `states` one read at a time (then stays in the last). */
function jobGoingThrough(states: string[], job: { returnvalue: unknown; failedReason: string }): JobReader & { reads: number } {
  const reader = {
    reads: 0,
    getJobState: () => Promise.resolve(states[Math.min(reader.reads++, states.length - 1)]!),
    getJob: () => Promise.resolve(job),
  };
  return reader;
}

describe('jobResult', () => {
  it('waits while the job is queued or active, then gives its result', async () => {
    const queue = jobGoingThrough(['waiting', 'active', 'active', 'completed'], { returnvalue: { outcome: 'claimed' }, failedReason: '' });
    await expect(jobResult(queue, 'att_1')).resolves.toEqual({ outcome: 'claimed' });
    expect(queue.reads).toBe(4);
  });

  it('rejects with the reason when the job failed', async () => {
    await expect(jobResult(jobGoingThrough(['active', 'failed'], { returnvalue: null, failedReason: 'store down' }), 'att_2')).rejects.toThrow('job att_2 failed: store down');
  });

  it('rejects when the job does not finish in time', async () => {
    await expect(jobResult(jobGoingThrough(['active'], { returnvalue: null, failedReason: '' }), 'att_3', 50)).rejects.toThrow('timed out after 50 ms waiting for job att_3 to finish');
  });
});
