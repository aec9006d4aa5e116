import { AdminClient } from './admin-client';
import { AdminJobCancelledError, AdminJobFailedError } from './admin-api-error';
import type { JobView } from './views';

/** The client over a stand-in for the admin API's job route (the client's own logic; the API is tested on its own). */
function clientAnswering(jobs: JobView[]): AdminClient {
  let poll = 0;
  const fetch = (() => Promise.resolve(Response.json(jobs[Math.min(poll++, jobs.length - 1)]))) as typeof globalThis.fetch;
  return new AdminClient({ baseUrl: 'http://admin.test', token: 't', fetch });
}

describe('waitForJob', () => {
  it('says why a job failed, as the job reported it (the CLI prints this message, the page shows it)', async () => {
    const client = clientAnswering([
      { state: 'active', done: 10_000, total: 50_000 },
      { state: 'failed', done: 10_000, total: 50_000, error: 'the staged upload is gone (expired after a day)' },
    ]);
    const failure = client.waitForJob('job_0123456789abcdef', undefined, 1);
    await expect(failure).rejects.toThrow(AdminJobFailedError);
    await expect(client.waitForJob('job_0123456789abcdef', undefined, 1)).rejects.toThrow(
      'job job_0123456789abcdef failed: the staged upload is gone (expired after a day)',
    );
  });

  it('still names the job when it failed without a reason', async () => {
    await expect(clientAnswering([{ state: 'failed', done: 0, total: 5 }]).waitForJob('job_0123456789abcdef', undefined, 1)).rejects.toThrow(
      /^job job_0123456789abcdef failed$/,
    );
  });

  it('ends on a cancel, saying how many codes the job wrote before it stopped', async () => {
    const client = clientAnswering([
      { state: 'active', done: 10_000, total: 50_000, cancelRequested: true },
      { state: 'cancelled', done: 20_000, total: 50_000, result: { inserted: 20_000, cancelled: true } },
    ]);
    const cancelled = client.waitForJob('job_0123456789abcdef', undefined, 1);
    await expect(cancelled).rejects.toThrow(AdminJobCancelledError);
    await expect(cancelled).rejects.toThrow('job job_0123456789abcdef was cancelled: 20000 codes written before it stopped');
  });
});
