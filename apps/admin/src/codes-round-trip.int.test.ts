import { randomBytes } from 'node:crypto';
import type { CodeView, ImportReportView, JobView } from '@dropgate/admin-client';
import { generateCodes, type CodeSpec } from '@dropgate/core';
import { waitFor, type HttpInit, type HttpResult } from '@dropgate/testkit';
import { startAdminHarness, type AdminHarness } from '../test/admin-harness';

/**
 * The CSV export imports as it is (header, quoted cells, its columns, the formula guard): export -> import gives the
 * same codes in the same tiers. Real PostgreSQL, real admin jobs.
 */

const TOKEN = randomBytes(24).toString('base64url');
let harness: AdminHarness;
const admin = (path: string, init: HttpInit = {}): Promise<HttpResult> => harness.as(TOKEN, path, init);

beforeAll(async () => {
  harness = await startAdminHarness({ name: 'admin-round-trip-test', app: { token: TOKEN } });
});

afterAll(() => harness?.close());

const tiers = (standard: number, premium: number) => [
  { name: 'standard', reward: 't-shirt', quantity: standard },
  { name: 'premium', reward: 'deck', quantity: premium },
];

async function created(code: Record<string, unknown>, quantities: [number, number]): Promise<string> {
  const res = await admin('/campaigns', { body: { name: 'round trip', tiers: tiers(...quantities), perCustomerLimit: 1, code, status: 'active' } });
  expect(res.status).toBe(201);
  return (res.json as { id: string }).id;
}

async function exportCsv(id: string): Promise<string> {
  const res = await admin(`/campaigns/${id}/codes?format=csv`);
  expect(res.status).toBe(200);
  return res.text;
}

async function importCsv(id: string, csv: string): Promise<ImportReportView> {
  const res = await admin(`/campaigns/${id}/codes/import`, { method: 'POST', raw: csv, headers: { 'content-type': 'text/csv' } });
  expect(res.status).toBe(202);
  const { jobId } = res.json as { jobId: string };
  const job = await waitFor(`import ${jobId}`, async () => {
    const view = (await admin(`/jobs/${jobId}`)).json as JobView;
    return view.state === 'completed' || view.state === 'failed' ? view : undefined;
  }, 30_000, 50);
  expect(job.state).toBe('completed');
  return job.result as unknown as ImportReportView;
}

const byTier = async (id: string) =>
  ((await admin(`/campaigns/${id}/codes`)).json as CodeView[]).map((c) => `${c.tier} ${c.code}`).sort();

it('imports its own export: quoted codes, guarded customer ids, every state, each code in its tier', async () => {
  // An alphabet with a comma, a quote and formula starters (behind a prefix: a code never begins with one).
  const code = { prefix: 'RT', length: 10, charset: 'ABCDEFGH,"\'=+-@' };
  const source = await created(code, [20, 5]);
  const [redeemed, disabled] = ((await admin(`/campaigns/${source}/codes?tier=standard`)).json as CodeView[]).map((c) => c.code);
  const result = await harness.store.redemptions.redeem({ attemptId: `att_rt_${randomBytes(4).toString('hex')}`, campaignId: source, code: redeemed!, customerId: '=HYPERLINK("x")', now: new Date() });
  expect(result.outcome).toBe('redeemed');
  expect((await admin(`/campaigns/${source}/codes/disable`, { body: { codes: [disabled] } })).status).toBe(200);
  expect((await admin(`/campaigns/${source}/publications`, { body: { tier: 'premium', count: 2 } })).status).toBe(201);

  const csv = await exportCsv(source);
  // What a spreadsheet would run is written after a quote mark; cells with a comma or a quote are quoted.
  expect(csv).toContain(`'=hyperlink(""x"")`);
  expect(csv.split('\n').slice(1).some((line) => line.startsWith('"RT'))).toBe(true);

  const target = await created(code, [0, 0]);
  expect(await importCsv(target, csv)).toMatchObject({ lines: 25, inserted: 25, duplicates: 0, malformed: 0 });
  expect(await byTier(target)).toEqual(await byTier(source));
  // Imported a second time, every line is a duplicate: nothing read differently the second time.
  expect(await importCsv(target, csv)).toMatchObject({ lines: 25, inserted: 0, duplicates: 25, malformed: 0 });
});

it("reads back a code the guard prefixed (a campaign made before codes were kept from beginning with '-' or '=')", async () => {
  const spec: CodeSpec = { length: 10, charset: '-=ABCDEFGH', pattern: null, prefix: '', suffix: '' };
  const make = async () =>
    (await harness.store.campaigns.create({ name: 'legacy', status: 'active', tiers: [{ name: 'standard', reward: 'x' }], perCustomerLimit: 1, codeSpec: spec })).id;
  const source = await make();
  const codes = generateCodes(spec, 200);
  expect(codes.some((c) => c.startsWith('-') || c.startsWith('='))).toBe(true);
  await harness.store.codes.insert(source, codes.map((c) => ({ code: c, tier: 'standard' })));
  const csv = await exportCsv(source);
  expect(csv).toMatch(/\n'[-=]/);
  const target = await make();
  expect(await importCsv(target, csv)).toMatchObject({ lines: 200, inserted: 200, malformed: 0 });
  expect(await byTier(target)).toEqual(codes.map((c) => `standard ${c}`).sort());
});

it('refuses a campaign whose codes could begin with a formula starter (400 invalid_code_spec)', async () => {
  const res = await admin('/campaigns', { body: { name: 'formula', tiers: tiers(1, 0), perCustomerLimit: 1, code: { length: 10, charset: '=ABCDEFGH' } } });
  expect(res.status).toBe(400);
  expect(res.json).toMatchObject({ error: { code: 'invalid_code_spec' } });
});
