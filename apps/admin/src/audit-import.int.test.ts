import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AuditPageView, ImportReportView, JobView } from '@dropgate/admin-client';
import { generateCodes, resolveCodeSpec } from '@dropgate/core';
import type { Store } from '@dropgate/store';
import { expectApiError, waitFor, type HttpInit, type HttpResult } from '@dropgate/testkit';
import { startAdminHarness, type AdminHarness } from '../test/admin-harness';
import { tokenEntries } from './admin-tokens';

/** Streamed code import and the audit trail over HTTP: real PostgreSQL store, real BullMQ admin jobs. */

const TOKENS = { ops: randomBytes(24).toString('base64url'), support: randomBytes(24).toString('base64url') };
const hash = (t: string) => createHash('sha256').update(t).digest('hex');
let harness: AdminHarness;
let store: Store;

const as = (who: keyof typeof TOKENS, path: string, init: HttpInit = {}): Promise<HttpResult> => harness.as(TOKENS[who], path, init);

const SPEC = { prefix: 'IMP-', length: 8 };
const codes = (n: number) => generateCodes(resolveCodeSpec(SPEC), n);

type Report = ImportReportView;
type Page = AuditPageView;

async function newCampaign(): Promise<string> {
  const res = await as('ops', '/campaigns', {
    body: { name: 'import', tiers: [{ name: 'standard', reward: 'x', quantity: 0 }, { name: 'premium', reward: 'y', quantity: 0 }], perCustomerLimit: 1, code: SPEC, status: 'active' },
  });
  expect(res.status).toBe(201);
  return (res.json as { id: string }).id;
}

const importBody = (id: string, raw: string, type: string, query = '') => as('ops', `/campaigns/${id}/codes/import${query}`, { method: 'POST', raw, headers: { 'content-type': type } });

/** An import through the API: 202 with its job, then the job's report once it completed. */
async function imported(id: string, raw: string, type: string, query = ''): Promise<Report> {
  const res = await importBody(id, raw, type, query);
  expect(res.status).toBe(202);
  const accepted = res.json as { jobId: string; bytes: number; lines: number };
  expect(res.headers.get('location')).toBe(`/admin/v1/jobs/${accepted.jobId}`);
  expect(accepted.bytes).toBe(Buffer.byteLength(raw));
  const job = await waitFor(`import job ${accepted.jobId}`, async () => {
    const view = (await as('ops', `/jobs/${accepted.jobId}`)).json as JobView;
    return view.state === 'completed' || view.state === 'failed' ? view : undefined;
  }, 60_000, 50);
  expect(job).toMatchObject({ name: 'import-codes', state: 'completed', done: accepted.lines, total: accepted.lines });
  return job.result as unknown as Report;
}

beforeAll(async () => {
  harness = await startAdminHarness({
    name: 'admin-audit-test',
    importMaxBytes: 256 * 1024,
    app: {
      tokens: tokenEntries([
        { name: 'ops', scopes: ['read', 'write', 'export'], sha256: hash(TOKENS.ops) },
        { name: 'support', scopes: ['read', 'write'], sha256: hash(TOKENS.support) },
      ]),
      onAuditError: (err) => {
        throw err;
      },
    },
  });
  store = harness.store;
});

afterAll(() => harness?.close());

describe('POST /campaigns/:id/codes/import', () => {
  it('counts a CSV header out: the 202 `lines`, the progress and the report count the codes only', async () => {
    const id = await newCampaign();
    const [a, b] = codes(2) as [string, string];
    for (const header of ['code,tier', '"Code" , "Tier"', 'CODE']) {
      const res = await importBody(id, `${header}\n${a},standard\n${b},standard\n`, 'text/csv');
      expect(res.status).toBe(202);
      expect((res.json as { lines: number }).lines).toBe(2);
    }
    // A first line that is a code is a line like any other.
    expect((await imported(id, `${a}\n${b}\n`, 'text/csv', '?tier=standard')).lines).toBe(2);
    const report = await imported(id, `code\n${a}\n${b}`, 'text/csv', '?tier=standard');
    expect(report).toMatchObject({ lines: 2, malformed: 0 });
    expect(report.inserted + report.duplicates).toBe(2);
  });

  it('streams a CSV in, reporting duplicates and malformed lines by line number without stopping', async () => {
    const id = await newCampaign();
    const [a, b, c, d] = codes(4) as [string, string, string, string];
    await store.codes.insert(id, [{ code: a, tier: 'standard' }]);
    const csv = [
      'code,tier', // 1 header
      `${a},standard`, // 2 duplicate (already stored)
      `${b},premium`, // 3
      `${c}`, // 4 default tier (?tier=standard)
      `${b},premium`, // 5 duplicate (earlier in the file)
      'IMP-!!!!!!!!,standard', // 6 not of the campaign's format
      `${d},gold`, // 7 unknown tier
      `${d},standard,extra`, // 8 three columns
      'X'.repeat(5000), // 9 too long
      '', // blank: skipped
      `${d.toLowerCase()},standard`, // 11 normalised like the intake does
    ].join('\r\n');
    const report = await imported(id, csv, 'text/csv', '?tier=standard');
    expect(report).toMatchObject({ lines: 9, inserted: 3, duplicates: 2, malformed: 4 });
    expect(report.firstDuplicates).toEqual([
      { line: 2, code: a },
      { line: 5, code: b },
    ]);
    expect(report.firstMalformed.map((m) => m.line)).toEqual([6, 7, 8, 9]);
    expect(report.firstMalformed[1]!.problem).toMatch(/unknown tier "gold"/);
    const counts = await store.codes.counts(id);
    expect(counts.standard?.available).toBe(3);
    expect(counts.premium?.available).toBe(1);
    expect((await store.codes.get(id, d))?.tier).toBe('standard');
  });

  it('takes JSON lines, and lines without a tier are malformed when no default is given', async () => {
    const id = await newCampaign();
    const [a, b] = codes(2) as [string, string];
    const jsonl = [JSON.stringify({ code: a, tier: 'premium' }), JSON.stringify({ code: b }), '{"code": {"$ne": null}}', 'not json', JSON.stringify({ code: a, tier: 'premium', x: 1 })].join('\n');
    const report = await imported(id, jsonl, 'application/x-ndjson');
    expect(report).toMatchObject({ lines: 5, inserted: 1, duplicates: 0, malformed: 4 });
    expect(report.firstMalformed.map((m) => m.line)).toEqual([2, 3, 4, 5]);
  });

  it('imports more lines than one batch (5,000), each code once, in bounded batches', async () => {
    const id = await newCampaign();
    const many = codes(12_001);
    const report = await imported(id, many.join('\n') + '\n' + many.slice(0, 3).join('\n'), 'text/plain', '?tier=premium');
    expect(report).toMatchObject({ lines: 12_004, inserted: 12_001, duplicates: 3, malformed: 0 });
    expect(report.firstDuplicates.map((x) => x.line)).toEqual([12_002, 12_003, 12_004]);
    expect(Object.values((await store.codes.counts(id)).premium ?? {}).reduce((n, v) => n + v, 0)).toBe(12_001);
  });

  it('refuses JSON bodies (415), unknown campaigns (404) and an unknown default tier (422)', async () => {
    const id = await newCampaign();
    expectApiError(await as('ops', `/campaigns/${id}/codes/import`, { body: { code: 'x' } }), 415, 'unsupported_media_type');
    expectApiError(await importBody('nope', 'x', 'text/csv', '?tier=standard'), 404, 'campaign_not_found');
    expectApiError(await importBody(id, 'x', 'text/csv', '?tier=gold'), 422, 'unknown_tier');
  });

  it('refuses a compressed upload (415) instead of importing its bytes as lines, staging and queueing nothing', async () => {
    const id = await newCampaign();
    const jobsBefore = await harness.jobs.queue.getJobCounts('waiting', 'active', 'completed', 'failed');
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await as('ops', `/campaigns/${id}/codes/import?tier=standard`, {
        method: 'POST',
        raw: gzipSync(codes(3).join('\n')),
        headers: { 'content-type': 'text/csv', 'content-encoding': encoding },
      });
      expectApiError(res, 415, 'unsupported_media_type');
    }
    expect(await harness.jobs.queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual(jobsBefore);
    expect(await harness.jobs.redis.keys(`${harness.jobs.prefix}:admin-uploads:*`)).toEqual([]);
    const plain = await as('ops', `/campaigns/${id}/codes/import?tier=standard`, { method: 'POST', raw: codes(1)[0]!, headers: { 'content-type': 'text/csv', 'content-encoding': 'identity' } });
    expect(plain.status).toBe(202);
    // Its job done before the next test counts the queue's jobs.
    const { jobId } = plain.json as { jobId: string };
    await waitFor(`import job ${jobId}`, async () => (((await as('ops', `/jobs/${jobId}`)).json as JobView).state === 'completed' ? true : undefined), 60_000, 50);
  });

  it('refuses an upload over the staging limit (413), keeping nothing of it', async () => {
    const id = await newCampaign();
    const big = codes(25_000).join('\n'); // 325,000 bytes; this admin stages at most 262,144
    expectApiError(await importBody(id, big, 'text/csv', '?tier=standard'), 413, 'payload_too_large');
    expect(await harness.jobs.queue.getJobCounts('waiting', 'active', 'completed')).toEqual({ waiting: 0, active: 0, completed: expect.any(Number) as number });
    expect(await harness.jobs.redis.keys(`${harness.jobs.prefix}:admin-uploads:*`)).toEqual([]);
    expect(Object.values((await store.codes.counts(id)).standard ?? {}).reduce((n, v) => n + v, 0)).toBe(0);
  });
});

describe('GET /audit', () => {
  let id: string;

  beforeAll(async () => {
    id = await newCampaign();
    expect((await as('support', `/campaigns/${id}/status`, { body: { status: 'paused' } })).status).toBe(200);
    expect((await as('ops', `/campaigns/${id}/status`, { body: { status: 'active' } })).status).toBe(200);
    expect(await imported(id, codes(3).join('\n'), 'text/csv', '?tier=standard')).toMatchObject({ inserted: 3 });
    expect((await as('ops', `/campaigns/${id}/codes`)).status).toBe(200);
    // Admin entries are written as each response finishes: wait for the last one before the redemption, so the
    // redemption is certainly the newest entry.
    await waitFor('the export audit entry', async () => ((await as('ops', `/audit?campaignId=${id}`)).json as Page).entries.find((e) => e.action === 'exportCodes'));
    const stored = await store.codes.list({ campaignId: id, limit: 10 });
    await store.redemptions.redeem({ attemptId: `att_audit_${randomBytes(4).toString('hex')}`, campaignId: id, code: stored[0]!.code, customerId: 'alice', now: new Date() });
  });

  it('shows who did what, when, on which campaign, and redemption outcomes, newest first', async () => {
    const res = await as('support', `/audit?campaignId=${id}`);
    expect(res.status).toBe(200);
    const { entries } = res.json as Page;
    const actions = entries.map((e) => `${e.kind}:${e.actor ?? '-'}:${e.action}`);
    // The import's request and its job's end are both recorded (in either order: the job may finish first).
    expect(actions.slice(2, 4).sort()).toEqual(['admin:ops:codesImported', 'admin:ops:importCodes']);
    expect(actions.filter((a) => a !== 'admin:ops:codesImported')).toEqual([
      'redemption:-:redeemed',
      'admin:ops:exportCodes',
      'admin:ops:importCodes',
      'admin:ops:setCampaignStatus',
      'admin:support:setCampaignStatus',
      'admin:ops:createCampaign',
    ]);
    expect(entries.every((e) => e.campaignId === id)).toBe(true);
    expect(entries[0]).toMatchObject({ customerId: 'alice', details: { kind: 'redeem', tier: 'standard' } });
    const request = entries.find((e) => e.action === 'importCodes')!;
    expect(request.details).toMatchObject({ status: 202, import: { lines: 3, format: 'csv', tier: 'standard' } });
    const done = entries.find((e) => e.action === 'codesImported')!;
    expect(done.details).toEqual({ jobId: (request.details!.import as { jobId: string }).jobId, report: { lines: 3, inserted: 3, duplicates: 0, malformed: 0 } });
    expect(entries[5]!.details).toMatchObject({ status: 200, body: { status: 'paused' } });
    expect(new Date(entries[5]!.at).getTime()).toBeGreaterThan(Date.now() - 120_000);
  });

  it('filters by customer and by code, and pages with `next`', async () => {
    const byCustomer = (await as('ops', `/audit?campaignId=${id}&customerId=alice`)).json as Page;
    expect(byCustomer.entries.map((e) => e.action)).toEqual(['redeemed']);
    const code = byCustomer.entries[0]!.code!;
    expect(((await as('ops', `/audit?code=${code}`)).json as Page).entries.map((e) => e.customerId)).toEqual(['alice']);
    // Within a campaign, the code as a person types it: lower case, full-width, a zero-width space pasted along.
    const typed = `\u200b${code.toLowerCase().replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))}`;
    expect(((await as('ops', `/audit?campaignId=${id}&code=${encodeURIComponent(typed)}`)).json as Page).entries.map((e) => e.customerId)).toEqual(['alice']);

    const seen: string[] = [];
    let after = '';
    for (let i = 0; i < 10; i++) {
      const page = (await as('ops', `/audit?campaignId=${id}&limit=4${after}`)).json as Page;
      seen.push(...page.entries.map((e) => e.id));
      if (!page.next) break;
      after = `&after=${encodeURIComponent(page.next)}`;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });

  it('answers a HEAD of the export with its headers only: no code read, no export recorded', async () => {
    const list = store.codes.list.bind(store.codes);
    let pagesRead = 0;
    store.codes.list = (query) => ((pagesRead += 1), list(query));
    try {
      const head = await as('ops', `/campaigns/${id}/codes?format=csv`, { method: 'HEAD' });
      expect({ status: head.status, type: head.headers.get('content-type'), body: head.text }).toEqual({ status: 200, type: 'text/csv; charset=utf-8', body: '' });
      // A GET after it is recorded; the HEAD before it was not.
      expect((await as('ops', `/campaigns/${id}/codes?format=json`)).status).toBe(200);
      expect(pagesRead).toBe(1);
    } finally {
      store.codes.list = list;
    }
    const exports = await waitFor('the GET export entry', async () => {
      const found = ((await as('ops', `/audit?campaignId=${id}`)).json as Page).entries.filter((e) => e.action === 'exportCodes');
      return found.length >= 2 ? found : undefined;
    });
    expect(exports.map((e) => (e.details as { query?: { format?: string } }).query?.format ?? null)).toEqual(['json', null]);
  });

  it('files an admin action under the customer and the code as the store keeps them, however the request typed them', async () => {
    const own = await newCampaign();
    expect(await imported(own, codes(2).join('\n'), 'text/csv', '?tier=standard')).toMatchObject({ inserted: 2 });
    // Published to "Ａｌｉｃｅ " (full-width, a space after): the store keeps customer "alice".
    const published = await as('ops', `/campaigns/${own}/publications`, { body: { tier: 'standard', count: 1, customerId: 'Ａｌｉｃｅ ' } });
    expect(published.status).toBe(201);
    expect(published.json).toMatchObject({ customerId: 'alice' });
    const code = (published.json as { codes: string[] }).codes[0]!;
    // Entries are written as responses finish: the publication's first, so the redemption is newer.
    await waitFor('the publication audit entry', async () => ((await as('ops', `/audit?campaignId=${own}`)).json as Page).entries.find((e) => e.action === 'publishCodes'));
    await store.redemptions.redeem({ attemptId: `att_audit_${randomBytes(4).toString('hex')}`, campaignId: own, code, customerId: 'alice', now: new Date() });
    // Rolled back with the code typed in lower case: the campaign keeps it upper-cased.
    const rolled = await as('ops', `/campaigns/${own}/codes/${code.toLowerCase()}/rollback`, { body: { to: 'available', reason: 'typed by hand' } });
    expect(rolled.status).toBe(200);
    await waitFor('the rollback audit entry', async () => ((await as('ops', `/audit?campaignId=${own}`)).json as Page).entries.find((e) => e.action === 'rollbackCode'));

    const entries = ((await as('ops', `/audit?campaignId=${own}`)).json as Page).entries;
    expect(entries.find((e) => e.action === 'publishCodes')).toMatchObject({ customerId: 'alice' });
    expect(entries.find((e) => e.action === 'rollbackCode')).toMatchObject({ code });
    // So asking for the customer, or the code, finds the admin actions as well as the redemption.
    const byCustomer = ((await as('ops', `/audit?campaignId=${own}&customerId=Alice`)).json as Page).entries;
    expect(byCustomer.map((e) => e.action)).toEqual(['redeemed', 'publishCodes']);
    const byCode = ((await as('ops', `/audit?campaignId=${own}&code=${code}`)).json as Page).entries;
    expect(byCode.map((e) => e.action)).toEqual(['rollbackCode', 'redeemed']);
  });

  it('refuses a bad cursor, a bad limit and unknown parameters with 400', async () => {
    expectApiError(await as('ops', '/audit?after=garbage'), 400, 'invalid_request');
    expectApiError(await as('ops', '/audit?limit=0'), 400, 'invalid_request');
    expectApiError(await as('ops', '/audit?limit=100000'), 400, 'invalid_request');
    expectApiError(await as('ops', '/audit?customerId[$ne]=x'), 400, 'invalid_request');
    expectApiError(await as('ops', '/audit?campaign=x'), 400, 'invalid_request');
  });
});
