import { randomBytes } from 'node:crypto';
import { closeRedis, createRedis, enqueueAdminJob, getAdminJobStatus, type AdminJobProgress } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { expectApiError, TEST_REDIS_URL, waitFor, type HttpInit, type HttpResult } from '@dropgate/testkit';
import { startAdminHarness, startAdminJobs, type AdminHarness, type AdminJobsHarness } from '../test/admin-harness';
import { startAdminJobsWorker } from './jobs/admin-jobs-worker';

/** Background code generation through the admin API: real PostgreSQL store, real BullMQ on the real Redis. */

const TOKEN = randomBytes(24).toString('base64url');
let harness: AdminHarness;
let store: Store;
let jobs: AdminJobsHarness;

const admin = (path: string, init: HttpInit = {}): Promise<HttpResult> => harness.as(TOKEN, path, init);

interface JobView {
  jobId: string;
  state: string;
  done: number;
  total: number;
  result?: { inserted: number; regenerated: number; activated: boolean };
  error?: string;
}

const campaignBody = (quantity: number, status: 'active' | 'draft' = 'active') => ({
  name: 'jobs',
  tiers: [
    { name: 'standard', reward: 't-shirt', quantity },
    { name: 'premium', reward: 'deck', quantity: 0 },
  ],
  perCustomerLimit: 1,
  code: { length: 12 },
  status,
});

function finished(jobId: string): Promise<JobView> {
  return waitFor(
    `job ${jobId} to end`,
    async () => {
      const job = (await admin(`/jobs/${jobId}`)).json as JobView;
      return job.state === 'completed' || job.state === 'failed' ? job : undefined;
    },
    60_000,
    50,
  );
}

async function codeCount(campaignId: string, tier: string): Promise<number> {
  const counts = await store.codes.counts(campaignId);
  return Object.values(counts[tier] ?? {}).reduce((n, v) => n + v, 0);
}

beforeAll(async () => {
  harness = await startAdminHarness({ name: 'admin-jobs-test', poolSize: 6, app: { token: TOKEN } });
  ({ store, jobs } = harness);
});

afterAll(() => harness?.close());

describe('campaign creation with codes', () => {
  it('answers 202 with a draft and the job at once under Prefer: respond-async, then activates when the codes are in', async () => {
    const res = await admin('/campaigns', { body: campaignBody(25_000), headers: { prefer: 'respond-async' } });
    expect(res.status).toBe(202);
    const created = res.json as { id: string; status: string; jobId: string };
    expect(created.status).toBe('draft');
    expect(created.jobId).toMatch(/^job_[A-Za-z0-9]{16}$/);
    const job = await finished(created.jobId);
    expect(job).toMatchObject({ state: 'completed', done: 25_000, total: 25_000, result: { inserted: 25_000, activated: true } });
    expect((await store.campaigns.get(created.id))?.status).toBe('active');
    expect(await codeCount(created.id, 'standard')).toBe(25_000);
  });

  it('keeps a draft asked for as a draft', async () => {
    const res = await admin('/campaigns', { body: campaignBody(10, 'draft') });
    expect(res.status).toBe(201);
    const created = res.json as { id: string; status: string; jobId: string };
    expect(created.status).toBe('draft');
    expect((await finished(created.jobId)).result).toMatchObject({ inserted: 10, activated: false });
  });
});

describe('POST /campaigns/:id/codes/generate', () => {
  let campaignId: string;

  beforeAll(async () => {
    const res = await admin('/campaigns', { body: campaignBody(100) });
    expect(res.status).toBe(201);
    campaignId = (res.json as { id: string }).id;
  });

  it('answers 202 {jobId}; the job reports progress batch by batch and completes with exactly the codes asked for', async () => {
    const res = await admin(`/campaigns/${campaignId}/codes/generate`, { body: { tier: 'premium', count: 35_000 } });
    expect(res.status).toBe(202);
    const { jobId } = res.json as { jobId: string };
    expect(res.headers.get('location')).toBe(`/admin/v1/jobs/${jobId}`);

    // Progress as the worker reports it (10,000-code batches): several steps, never going back, ending at the total.
    const seen: number[] = [];
    const onProgress = (_job: unknown, progress: unknown) => seen.push((progress as AdminJobProgress).done);
    jobs.worker!.on('progress', onProgress);
    const job = await finished(jobId);
    jobs.worker!.off('progress', onProgress);
    expect(job).toMatchObject({ state: 'completed', done: 35_000, total: 35_000, result: { inserted: 35_000 } });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(seen[seen.length - 1]).toBe(35_000);
    expect(await codeCount(campaignId, 'premium')).toBe(35_000);
    expect(await codeCount(campaignId, 'standard')).toBe(100);
  });

  it('refuses an unknown tier (422), an unknown campaign (404) and bad bodies (400)', async () => {
    expectApiError(await admin(`/campaigns/${campaignId}/codes/generate`, { body: { tier: 'gold', count: 5 } }), 422, 'unknown_tier');
    expectApiError(await admin('/campaigns/nope/codes/generate', { body: { tier: 'premium', count: 5 } }), 404, 'campaign_not_found');
    for (const body of [{ tier: 'premium' }, { tier: 'premium', count: 0 }, { tier: 'premium', count: '5' }, { tier: 'premium', count: 1e9 }, { tier: { $ne: 1 }, count: 1 }]) {
      expectApiError(await admin(`/campaigns/${campaignId}/codes/generate`, { body }), 400, 'invalid_request');
    }
  });

  it('refuses to outgrow the code space (422 code_space_too_small)', async () => {
    const res = await admin('/campaigns', { body: { ...campaignBody(1), code: { length: 6, charset: 'numeric' } } });
    const small = (res.json as { id: string }).id;
    expectApiError(await admin(`/campaigns/${small}/codes/generate`, { body: { tier: 'standard', count: 1_000_000 } }), 422, 'code_space_too_small');
  });
});

describe('GET /jobs/:jobId', () => {
  it('answers 404 job_not_found for an unknown job and 400 for a malformed id', async () => {
    expectApiError(await admin('/jobs/job_AAAAAAAAAAAAAAAA'), 404, 'job_not_found');
    expectApiError(await admin('/jobs/12345'), 400, 'invalid_request');
  });

  it('shows a job nobody runs as waiting, and a failed job with its error', async () => {
    const idle = await startAdminJobs(store, { worker: false });
    try {
      const jobId = await enqueueAdminJob(idle.queue, { name: 'generate-codes', data: { campaignId: 'missing', tiers: [{ tier: 'x', count: 3 }], activate: false, requestedBy: 't' } }, { attempts: 1 });
      expect(await getAdminJobStatus(idle.queue, jobId)).toMatchObject({ state: 'waiting', done: 0, total: 3 });
      // Now run it: the campaign does not exist, so it fails with that error.
      const connection = createRedis(TEST_REDIS_URL, 'worker', 'admin-jobs-fail-test');
      const worker = startAdminJobsWorker({ connection, prefix: idle.prefix, store, uploads: idle.uploads });
      const failed = await waitFor('the job to fail', async () => {
        const status = await getAdminJobStatus(idle.queue, jobId);
        return status?.state === 'failed' ? status : undefined;
      }, 30_000);
      expect(failed.error).toMatch(/campaign missing does not exist/);
      await worker.close();
      await closeRedis(connection);
    } finally {
      await idle.close();
    }
  });
});
