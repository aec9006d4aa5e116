import { createHash, randomBytes } from 'node:crypto';
import type { AuditPageView, JobView } from '@dropgate/admin-client';
import { closeRedis, createRedis } from '@dropgate/queue';
import { expectApiError, TEST_REDIS_URL, waitFor, type HttpInit, type HttpResult } from '@dropgate/testkit';
import { startAdminHarness, type AdminHarness } from '../test/admin-harness';
import { tokenEntries } from './admin-tokens';
import { startAdminJobsWorker } from './jobs/admin-jobs-worker';

/**
 * Cancelling a generation or import job, and no activation while one is pending, through the admin API: real
 * PostgreSQL, real BullMQ. No worker runs at first, so a job stays waiting for as long as the test needs it to.
 */

const TOKENS = { ops: randomBytes(24).toString('base64url'), viewer: randomBytes(24).toString('base64url') };
const hash = (t: string) => createHash('sha256').update(t).digest('hex');
let harness: AdminHarness;
const as = (who: keyof typeof TOKENS, path: string, init: HttpInit = {}): Promise<HttpResult> => harness.as(TOKENS[who], path, init);
const admin = (path: string, init: HttpInit = {}) => as('ops', path, init);

beforeAll(async () => {
  harness = await startAdminHarness({
    name: 'admin-job-cancel-test',
    worker: false,
    app: {
      tokens: tokenEntries([
        { name: 'ops', scopes: ['read', 'write', 'export'], sha256: hash(TOKENS.ops) },
        { name: 'viewer', scopes: ['read'], sha256: hash(TOKENS.viewer) },
      ]),
    },
  });
});

afterAll(() => harness?.close());

/** Runs the admin jobs worker on the harness's queue until the returned close is called. */
async function runWorker(): Promise<() => Promise<void>> {
  const connection = createRedis(TEST_REDIS_URL, 'worker', 'admin-job-cancel-worker');
  const worker = startAdminJobsWorker({ connection, prefix: harness.jobs.prefix, store: harness.store, uploads: harness.jobs.uploads, cancels: harness.jobs.cancels });
  await worker.waitUntilReady();
  return async () => {
    await worker.close();
    await closeRedis(connection);
  };
}

const ended = (jobId: string) =>
  waitFor(`job ${jobId} to end`, async () => {
    const job = (await admin(`/jobs/${jobId}`)).json as JobView;
    return ['completed', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
  }, 30_000, 50);

const codeCount = async (campaignId: string) =>
  Object.values(await harness.store.codes.counts(campaignId)).reduce((n, byState) => n + Object.values(byState).reduce((m, v) => m + v, 0), 0);

it('refuses to activate a draft while its generation job is pending (409), cancels the job, which ends cancelled and leaves a draft', async () => {
  const res = await admin('/campaigns', {
    body: { name: 'cancel me', tiers: [{ name: 'standard', reward: 'x', quantity: 50 }], perCustomerLimit: 1, code: { length: 12 }, status: 'active' },
    headers: { prefer: 'respond-async' },
  });
  expect(res.status).toBe(202);
  const { id, jobId } = res.json as { id: string; jobId: string };

  const refused = await admin(`/campaigns/${id}/status`, { body: { status: 'active' } });
  expectApiError(refused, 409, 'codes_job_in_progress');
  expect((refused.json as { error: { details: unknown } }).error.details).toEqual({ jobIds: [jobId] });
  expect((await harness.store.campaigns.get(id))?.status).toBe('draft');

  // A read-only token may look, not cancel.
  expectApiError(await as('viewer', `/jobs/${jobId}/cancel`, { body: {} }), 403, 'forbidden');
  const cancel = await admin(`/jobs/${jobId}/cancel`, { body: {} });
  expect(cancel.status).toBe(202);
  expect(cancel.json).toMatchObject({ jobId, campaignId: id, state: 'waiting', cancelRequested: true });
  expect((await admin(`/jobs/${jobId}`)).json).toMatchObject({ state: 'waiting', cancelRequested: true });

  const stop = await runWorker();
  try {
    const job = await ended(jobId);
    expect(job).toMatchObject({ state: 'cancelled', result: { inserted: 0, activated: false, cancelled: true } });
    expect(job.cancelRequested).toBeUndefined();
  } finally {
    await stop();
  }
  expect((await harness.store.campaigns.get(id))?.status).toBe('draft');
  expect(await codeCount(id)).toBe(0);
  // Ended: a second cancel is refused, and the draft may now be activated (knowingly, with what it has).
  expectApiError(await admin(`/jobs/${jobId}/cancel`, { body: {} }), 409, 'job_finished');
  expect((await admin(`/campaigns/${id}/status`, { body: { status: 'active' } })).status).toBe(200);

  // The cancel is in the audit trail, on the campaign, by the token that asked.
  const audit = (await admin(`/audit?campaignId=${id}&limit=10`)).json as AuditPageView;
  expect(audit.entries.find((e) => e.action === 'cancelJob')).toMatchObject({ actor: 'ops', campaignId: id, details: { jobId, name: 'generate-codes' } });
});

it('refuses activation while an import for the draft is pending, and allows it once the import ended', async () => {
  const created = await admin('/campaigns', { body: { name: 'import draft', tiers: [{ name: 'standard', reward: 'x', quantity: 0 }], perCustomerLimit: 1, code: { prefix: 'CX', length: 10 }, status: 'draft' } });
  expect(created.status).toBe(201);
  const { id } = created.json as { id: string };
  const imported = await admin(`/campaigns/${id}/codes/import?tier=standard`, { method: 'POST', raw: 'code\nCX23456789AB\n', headers: { 'content-type': 'text/csv' } });
  expect(imported.status).toBe(202);
  const { jobId } = imported.json as { jobId: string };
  expectApiError(await admin(`/campaigns/${id}/status`, { body: { status: 'active' } }), 409, 'codes_job_in_progress');
  const stop = await runWorker();
  try {
    expect(await ended(jobId)).toMatchObject({ state: 'completed', result: { inserted: 1 } });
  } finally {
    await stop();
  }
  expect((await admin(`/campaigns/${id}/status`, { body: { status: 'active' } })).json).toMatchObject({ status: 'active' });
});

it('answers 404 for an unknown job and 400 for a malformed id', async () => {
  expectApiError(await admin('/jobs/job_AAAAAAAAAAAAAAAA/cancel', { body: {} }), 404, 'job_not_found');
  expectApiError(await admin('/jobs/12345/cancel', { body: {} }), 400, 'invalid_request');
});
