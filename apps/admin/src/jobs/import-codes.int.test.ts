import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { generateCodes, resolveCodeSpec } from '@dropgate/core';
import { closeRedis, createRedis, UploadStaging, type AdminJobProgress, type ImportCodesJob } from '@dropgate/queue';
import { startTempStore, type TempStore } from '../../test/admin-harness';
import { deleteKeysByPrefix, TEST_REDIS_URL } from '@dropgate/testkit';
import { stageImport, type ImportResume } from '../codes-import';
import { importResumeOf, runImportCodes } from './import-codes';

/** The import job's body on real Redis (the staged upload) and PostgreSQL: progress in lines, resume, the end. */

const PREFIX = `dgimp${randomBytes(4).toString('hex')}`;
const SPEC = { prefix: 'JOB-', length: 8 };
const redis = createRedis(TEST_REDIS_URL, 'client', 'import-job-test');
const uploads = new UploadStaging({ redis, prefix: PREFIX, maxBytes: 4 * 1024 * 1024 });
let store: TempStore;

beforeAll(async () => {
  store = await startTempStore('import-job-test');
});

afterAll(async () => {
  await store?.drop();
  await deleteKeysByPrefix(PREFIX);
  await closeRedis(redis);
});

async function campaign(): Promise<string> {
  const c = await store.campaigns.create({ name: 'import', status: 'active', tiers: [{ name: 'standard', reward: 'x' }], perCustomerLimit: 1, codeSpec: resolveCodeSpec(SPEC) });
  return c.id;
}

/** Stages `text` in pieces of 1,000 bytes (as a request body arrives), as the admin does, and the job that would import it. */
async function staged(campaignId: string, text: string): Promise<ImportCodesJob> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < text.length; at += 1_000) pieces.push(Buffer.from(text.slice(at, at + 1_000)));
  const upload = await stageImport(uploads, Readable.from(pieces), 'csv');
  return { campaignId, ...upload, format: 'csv', defaultTier: 'standard', requestedBy: 'ops' };
}

const total = async (id: string) => Object.values((await store.codes.counts(id)).standard ?? {}).reduce((n, v) => n + v, 0);

it('imports in batches, reporting progress in lines up to the total, then drops the upload and audits the result', async () => {
  const id = await campaign();
  const codes = generateCodes(resolveCodeSpec(SPEC), 12_000);
  const job = await staged(id, ['code', ...codes, codes[0], 'not-a-code'].join('\n'));
  // The header is not a code: neither in the total nor in the progress.
  expect(job).toMatchObject({ lines: 12_002, headerLines: 1 });
  const progress: AdminJobProgress[] = [];
  const changed: string[] = [];
  const report = await runImportCodes(store, uploads, job, { jobId: 'job_test', onProgress: (p) => void progress.push(p), onCodesChanged: (c) => Promise.resolve(void changed.push(c)) });
  expect(report).toMatchObject({ lines: 12_002, inserted: 12_000, duplicates: 1, malformed: 1 });
  expect(progress.map((p) => p.done)).toEqual([5_000, 10_000, 12_002]);
  expect(progress.every((p) => p.total === 12_002)).toBe(true);
  // The resume point stays a line of the upload.
  expect(importResumeOf(progress[0])).toMatchObject({ line: 5_001, report: { inserted: 5_000 } });
  expect(changed).toEqual([id]);
  expect(await total(id)).toBe(12_000);
  expect(await redis.exists(`${PREFIX}:admin-uploads:${job.uploadId}`)).toBe(0);
  const { entries } = await store.audit.query({ campaignId: id, limit: 5 });
  expect(entries[0]).toMatchObject({ actor: 'ops', action: 'codesImported', details: { jobId: 'job_test', report: { lines: 12_002, inserted: 12_000, duplicates: 1, malformed: 1 } } });
});

it('continues from its resume point after a crash: every code once, the report as if it had run straight through', async () => {
  const id = await campaign();
  const codes = generateCodes(resolveCodeSpec(SPEC), 11_000);
  const job = await staged(id, codes.join('\n') + '\n');
  // The first run "crashes" right after its first batch is written and its resume point recorded.
  let saved: ImportResume | null = null;
  await expect(
    runImportCodes(store, uploads, job, {
      onProgress: (p) => {
        saved = importResumeOf(p);
        throw new Error('killed');
      },
    }),
  ).rejects.toThrow('killed');
  expect(saved).toMatchObject({ line: 5_000, report: { inserted: 5_000 } });
  expect(await total(id)).toBe(5_000);
  const report = await runImportCodes(store, uploads, job, { resume: saved! });
  expect(report).toMatchObject({ lines: 11_000, inserted: 11_000, duplicates: 0, malformed: 0 });
  expect(await total(id)).toBe(11_000);
  // Retried once more after the end (the upload already dropped): the same report, nothing read again.
  const again = await runImportCodes(store, uploads, job, { resume: { line: job.lines, report } });
  expect(again).toEqual(report);
});

it('fails, writing nothing, when the upload is gone', async () => {
  const id = await campaign();
  const job = await staged(id, generateCodes(resolveCodeSpec(SPEC), 3).join('\n'));
  expect(job).toMatchObject({ lines: 3, headerLines: 0 });
  await uploads.drop(job.uploadId);
  await expect(runImportCodes(store, uploads, job)).rejects.toThrow(/is gone/);
  expect(await total(id)).toBe(0);
});

it('stops at a batch boundary once cancelled: the report says how far it got, its codes are in, the upload is dropped', async () => {
  const id = await campaign();
  const codes = generateCodes(resolveCodeSpec(SPEC), 12_000);
  const job = await staged(id, ['code', ...codes].join('\n'));
  const changed: string[] = [];
  let marks = 0;
  const report = await runImportCodes(store, uploads, job, {
    jobId: 'job_cancelled',
    onProgress: () => void marks++,
    onCodesChanged: (c) => Promise.resolve(void changed.push(c)),
    cancelRequested: () => Promise.resolve(marks > 0),
  });
  expect(report).toMatchObject({ lines: 5_000, inserted: 5_000, duplicates: 0, malformed: 0, cancelled: true });
  expect(await total(id)).toBe(5_000);
  expect(changed).toEqual([id]);
  expect(await redis.exists(`${PREFIX}:admin-uploads:${job.uploadId}`)).toBe(0);
  const { entries } = await store.audit.query({ campaignId: id, limit: 5 });
  expect(entries[0]).toMatchObject({ action: 'codesImported', details: { jobId: 'job_cancelled', report: { inserted: 5_000, cancelled: true } } });
});
