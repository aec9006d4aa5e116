import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { ChangeFeed, ChangePublisher, type ChangeEvent } from '@dropgate/changes';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { deleteKeysByPrefix, expectApiError, http, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL, type HttpInit, type HttpResult } from '@dropgate/testkit';
import { codeFilterKeys, decodeCodeFilter, rebuildCodeFilter } from '@dropgate/code-filter';
import { startAdminJobs, type AdminJobsHarness } from '../test/admin-harness';
import { createAdminApp } from './app';

/** The admin API over HTTP on a real PostgreSQL store (a schema of its own, dropped at the end). */

const schema = tempPgSchema('dg_t');
const TOKEN = randomBytes(24).toString('base64url');
const CSV_HEADER = 'code,tier,state,customerId,redeemedAt,publicationId';
const SYN_CODE = /^SYN-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$/;

interface CampaignView {
  id: string;
  name: string;
  status: string;
  tiers: Array<{ name: string; reward: string }>;
  perCustomerLimit: number;
  target: number | null;
  codeSpec: { pattern: string | null; length: number };
  settings: { claims: boolean; customerAuth: string; customerAudience: string | null };
}
interface CodeView {
  code: string;
  tier: string;
  state: string;
  customerId: string | null;
  redeemedAt: string | null;
  publicationId: string | null;
}
interface StatsView {
  campaignId: string;
  status: string;
  target: number | null;
  redemptions: number;
  codes: Record<string, Record<string, number>>;
  outcomes: Record<string, number>;
}

let store: Store;
const CHANGES_PREFIX = `dgadm${randomBytes(4).toString('hex')}`;
const redisConnections: Redis[] = [];
const redis = (): Redis => {
  const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  redisConnections.push(r);
  return r;
};
let changes: ChangePublisher;
/** Every change the admin published, as a feed (what an intake runs) heard it. */
const heard: ChangeEvent[] = [];
const filterRedis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
const filterPrefix = `dgtest-${randomBytes(4).toString('hex')}:cf`;
let jobs: AdminJobsHarness;
const servers: Server[] = [];
let base = '';
const unexpected: unknown[] = [];

async function listen(app: ReturnType<typeof createAdminApp>): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function adminApp(appStore: Store, onUnexpected: (err: unknown) => void) {
  return createAdminApp({
    store: appStore,
    changes,
    jobs: jobs.queue,
    token: TOKEN,
    trustProxy: false,
    bodyLimitBytes: 64 * 1024,
    onUnexpected: (err) => onUnexpected(err),
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };
const admin = (path: string, init: HttpInit = {}): Promise<HttpResult> => http(base, `/admin/v1${path}`, { ...init, headers: { ...auth, ...init.headers } });

const newCampaign = (overrides: Record<string, unknown> = {}) => ({
  name: 'Summer drop',
  tiers: [
    { name: 'standard', reward: 't-shirt', quantity: 30 },
    { name: 'premium', reward: 'skate deck', quantity: 5 },
  ],
  perCustomerLimit: 1,
  code: { pattern: 'SYN-####-####' },
  status: 'active',
  ...overrides,
});

async function create(overrides: Record<string, unknown> = {}): Promise<CampaignView> {
  const res = await admin('/campaigns', { body: newCampaign(overrides) });
  expect(res.status).toBe(201);
  return res.json as CampaignView;
}

const csvRows = (text: string): string[] => text.split('\n').filter((line, i) => i > 0 && line !== '');

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 6, applicationName: 'dropgate-admin-int-test' });
  await store.migrate();
  changes = new ChangePublisher({ redis: redis(), subscriber: redis(), prefix: CHANGES_PREFIX, ackTimeoutMs: 5_000 });
  await changes.start();
  const feed = new ChangeFeed({ subscriber: redis(), redis: redis(), prefix: CHANGES_PREFIX });
  feed.onChange(({ kind, campaignId, action }) => void heard.push({ kind, campaignId, action } as ChangeEvent));
  await feed.start();
  const rebuild = async (id: string): Promise<void> => void (await rebuildCodeFilter(store, filterRedis, filterPrefix, id));
  jobs = await startAdminJobs(store, { onCodesChanged: rebuild });
  base = await listen(adminApp(store, (err) => unexpected.push(err)));
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await jobs?.close();
  await store?.close();
  await schema.drop();
  await Promise.all(redisConnections.map((r) => r.quit()));
  await filterRedis.quit();
  await deleteKeysByPrefix(`${filterPrefix}:`);
});

describe('code filter', () => {
  it('is rebuilt for the intakes when a campaign is created with its codes', async () => {
    const campaign = await create({ name: 'filtered' });
    const data = await filterRedis.getBuffer(codeFilterKeys(filterPrefix).data(campaign.id));
    expect(data).not.toBeNull();
    const { filter } = decodeCodeFilter(data!);
    expect(filter.count).toBe(35);
    const codes = await store.codes.list({ campaignId: campaign.id, limit: 100 });
    expect(codes).toHaveLength(35);
    for (const { code } of codes) expect(filter.mightContain(code)).toBe(true);
    expect(filter.mightContain('SYN-0000-0000')).toBe(false); // not of the alphabet: never generated
  });
});

describe('bearer token', () => {
  let existing: CampaignView;

  beforeAll(async () => {
    existing = await create({ name: 'guarded' });
  });

  const routes = (id: string): Array<[string, string, unknown?]> => [
    ['GET', '/admin/v1/campaigns'],
    ['POST', '/admin/v1/campaigns', newCampaign()],
    ['GET', `/admin/v1/campaigns/${id}`],
    ['POST', `/admin/v1/campaigns/${id}/status`, { status: 'paused' }],
    ['GET', `/admin/v1/campaigns/${id}/stats`],
    ['GET', `/admin/v1/campaigns/${id}/codes`],
    ['GET', `/admin/v1/campaigns/${id}/codes?format=csv`],
    ['GET', '/admin/v1/no-such-route'],
  ];

  const wrongHeaders: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${'x'.repeat(TOKEN.length)}` }],
    ['a wrong token of another length', { authorization: 'Bearer short' }],
    ['the token with one character more', { authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['the token without the scheme', { authorization: TOKEN }],
    ['the token as Basic', { authorization: `Basic ${TOKEN}` }],
    ['the token after two spaces', { authorization: `Bearer  ${TOKEN}` }],
  ];

  it.each(wrongHeaders)('answers 401 on every /admin route with %s', async (_name, headers) => {
    for (const [method, path, body] of routes(existing.id)) {
      const res = await http(base, path, { method, ...(body === undefined ? {} : { body }), headers });
      expectApiError(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(res.text).not.toContain(existing.id);
    }
  });

  it('changed nothing while refusing', async () => {
    const res = await admin(`/campaigns/${existing.id}`);
    expect(res.status).toBe(200);
    expect((res.json as CampaignView).status).toBe('active');
  });

  it('lets the right token through', async () => {
    const res = await admin('/campaigns');
    expect(res.status).toBe(200);
    expect((res.json as CampaignView[]).map((c) => c.id)).toContain(existing.id);
  });

  it('takes the scheme in any case, as RFC 9110 says (the intake does too)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await http(base, '/admin/v1/campaigns', { headers: { authorization: `${scheme} ${TOKEN}` } });
      expect({ scheme, status: res.status }).toEqual({ scheme, status: 200 });
    }
  });

  it('leaves /healthz and /readyz outside the token, and serves no metrics on the API port (they are on ADMIN_METRICS_PORT)', async () => {
    expect((await http(base, '/healthz')).json).toEqual({ status: 'ok' });
    const ready = await http(base, '/readyz');
    expect({ status: ready.status, body: ready.json }).toEqual({ status: 200, body: { status: 'ready' } });
    expectApiError(await http(base, '/metrics'), 404, 'not_found');
  });
});

describe('POST /admin/v1/campaigns', () => {
  it('creates an active campaign with its codes: 201, Location, counts by tier', async () => {
    const res = await admin('/campaigns', { body: newCampaign() });
    expect(res.status).toBe(201);
    const campaign = res.json as CampaignView;
    expect(campaign.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(res.headers.get('location')).toBe(`/admin/v1/campaigns/${campaign.id}`);
    expect(campaign).toMatchObject({
      name: 'Summer drop',
      status: 'active',
      perCustomerLimit: 1,
      tiers: [
        { name: 'standard', reward: 't-shirt' },
        { name: 'premium', reward: 'skate deck' },
      ],
      codeSpec: { pattern: 'SYN-####-####', length: 8 },
    });

    const stats = await admin(`/campaigns/${campaign.id}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.json).toMatchObject({ campaignId: campaign.id, status: 'active', redemptions: 0, outcomes: {} });
    const codes = (stats.json as StatsView).codes;
    expect(codes.standard).toMatchObject({ available: 30, redeemed: 0 });
    expect(codes.premium).toMatchObject({ available: 5, redeemed: 0 });
    expect(Object.keys(codes).sort()).toEqual(['premium', 'standard']);

    // Created by a generation job (finished within the request's wait, hence 201 and active).
    const { jobId, ...created } = res.json as CampaignView & { jobId: string };
    expect(jobId).toMatch(/^job_/);
    const job = await admin(`/jobs/${jobId}`);
    expect(job.json).toMatchObject({ jobId, name: 'generate-codes', state: 'completed', done: 35, total: 35, result: { inserted: 35, activated: true } });
    const fetched = await admin(`/campaigns/${campaign.id}`);
    expect(fetched.json).toEqual(created);
  });

  it('creates a draft, and honours a chosen id once (409 campaign_exists the second time)', async () => {
    const id = `summer_${randomBytes(4).toString('hex')}`;
    const draft = await create({ id, status: 'draft' });
    expect(draft).toMatchObject({ id, status: 'draft' });
    expectApiError(await admin('/campaigns', { body: newCampaign({ id }) }), 409, 'campaign_exists');
  });

  it('refuses a code space too small for the codes with 422 code_space_too_small, creating nothing', async () => {
    const before = ((await admin('/campaigns')).json as CampaignView[]).length;
    const res = await admin('/campaigns', {
      body: newCampaign({ code: { length: 4, charset: 'numeric' }, tiers: [{ name: 'standard', reward: 'x', quantity: 1000 }] }),
    });
    expectApiError(res, 422, 'code_space_too_small');
    expect(((await admin('/campaigns')).json as CampaignView[]).length).toBe(before);
  });

  it('refuses an invalid code spec with 400 invalid_code_spec', async () => {
    for (const code of [{ pattern: 'SYN-###!' }, { charset: 'AAB', length: 12 }, { length: 8, pattern: 'SYN-####' }, { prefix: 'a b', length: 12 }]) {
      expectApiError(await admin('/campaigns', { body: newCampaign({ code }) }), 400, 'invalid_code_spec');
    }
  });

  it.each<[string, Record<string, unknown>]>([
    ['no name', { name: undefined }],
    ['an operator as the name', { name: { $ne: null } }],
    ['no tiers', { tiers: [] }],
    ['a negative quantity', { tiers: [{ name: 'standard', reward: 'x', quantity: -1 }] }],
    ['a fractional quantity', { tiers: [{ name: 'standard', reward: 'x', quantity: 1.5 }] }],
    ['more codes in total than one request may create', { tiers: [{ name: 'a', reward: 'x', quantity: 6_000_000 }, { name: 'b', reward: 'y', quantity: 6_000_000 }] }],
    ['a quantity as a string', { tiers: [{ name: 'standard', reward: 'x', quantity: '10' }] }],
    ['an upper-case tier name', { tiers: [{ name: 'Premium', reward: 'x', quantity: 1 }] }],
    ['a tier listed twice', { tiers: [{ name: 'a', reward: 'x', quantity: 1 }, { name: 'a', reward: 'y', quantity: 1 }] }],
    ['an extra field', { owner: 'me' }],
    ['an extra tier field', { tiers: [{ name: 'standard', reward: 'x', quantity: 1, price: 3 }] }],
    ['perCustomerLimit 0', { perCustomerLimit: 0 }],
    ['an unknown status', { status: 'paused' }],
    ['a date that is not one', { startsAt: 'tomorrow' }],
    ['an end before the start', { startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' }],
    ['an id with a slash', { id: 'a/b' }],
  ])('refuses a body with %s: 400 invalid_request', async (_name, overrides) => {
    expectApiError(await admin('/campaigns', { body: newCampaign(overrides) }), 400, 'invalid_request');
  });

  it('refuses invalid JSON (400 invalid_json) and other content types (415)', async () => {
    expectApiError(await admin('/campaigns', { raw: '{"name":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    expectApiError(await admin('/campaigns', { raw: JSON.stringify(newCampaign()), headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
  });
});

describe('codes export', () => {
  let campaign: CampaignView;

  beforeAll(async () => {
    campaign = await create();
    // Three redemptions, one of them by a customer id a spreadsheet would run, one with a comma.
    const premium = await store.codes.list({ campaignId: campaign.id, tier: 'premium', limit: 10 });
    const now = new Date();
    await store.redemptions.redeem({ attemptId: 'att_export_1', campaignId: campaign.id, code: premium[0]!.code, customerId: '=HYPERLINK("http://evil")', now });
    await store.redemptions.redeem({ attemptId: 'att_export_2', campaignId: campaign.id, code: premium[1]!.code, customerId: 'smith, john', now });
    await store.redemptions.claim({ attemptId: 'att_export_3', campaignId: campaign.id, tier: 'standard', customerId: 'claimer', now });
  });

  it('lists every code as a JSON array', async () => {
    const res = await admin(`/campaigns/${campaign.id}/codes`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const codes = res.json as CodeView[];
    expect(codes).toHaveLength(35);
    expect(new Set(codes.map((c) => c.code)).size).toBe(35);
    for (const c of codes) {
      expect(Object.keys(c).sort()).toEqual(['code', 'customerId', 'publicationId', 'redeemedAt', 'state', 'tier']);
      expect(c.code).toMatch(SYN_CODE);
    }
    expect(codes.filter((c) => c.tier === 'premium')).toHaveLength(5);
    const redeemed = codes.filter((c) => c.state === 'redeemed');
    // Customer ids as the store keeps them: normalised (lower case), whoever called it.
    expect(redeemed.map((c) => c.customerId).sort()).toEqual(['=hyperlink("http://evil")', 'claimer', 'smith, john']);
    for (const c of redeemed) expect(new Date(c.redeemedAt!).toISOString()).toBe(c.redeemedAt);
  });

  it('filters by tier and state', async () => {
    const premium = (await admin(`/campaigns/${campaign.id}/codes?tier=premium`)).json as CodeView[];
    expect(premium).toHaveLength(5);
    expect(new Set(premium.map((c) => c.tier))).toEqual(new Set(['premium']));
    const redeemed = (await admin(`/campaigns/${campaign.id}/codes?state=redeemed`)).json as CodeView[];
    expect(redeemed).toHaveLength(3);
    const both = (await admin(`/campaigns/${campaign.id}/codes?tier=premium&state=available`)).json as CodeView[];
    expect(both).toHaveLength(3);
    expect(both.every((c) => c.tier === 'premium' && c.state === 'available')).toBe(true);
    // A tier the campaign does not have is a mistake to name, not a filter matching nothing (a typo would look like "no codes").
    expectApiError(await admin(`/campaigns/${campaign.id}/codes?tier=gold`), 422, 'unknown_tier');
  });

  it('exports CSV: a header line, one row per code, filters, spreadsheet-safe cells', async () => {
    const res = await admin(`/campaigns/${campaign.id}/codes?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${campaign.id}-codes.csv"`);
    expect(res.text.split('\n')[0]).toBe(CSV_HEADER);
    const rows = csvRows(res.text);
    expect(rows).toHaveLength(35);
    expect(res.text.endsWith('\n')).toBe(true);
    const json = (await admin(`/campaigns/${campaign.id}/codes`)).json as CodeView[];
    expect(rows.map((r) => r.split(',')[0]).sort()).toEqual(json.map((c) => c.code).sort());
    // A formula is defused with a leading quote; a comma or quote makes a quoted cell.
    expect(rows.some((r) => r.includes(`,"'=hyperlink(""http://evil"")",`))).toBe(true);
    expect(rows.some((r) => r.includes(',"smith, john",'))).toBe(true);
    expect(rows.some((r) => /,=/.test(r))).toBe(false);

    const premium = csvRows((await admin(`/campaigns/${campaign.id}/codes?format=csv&tier=premium`)).text);
    expect(premium).toHaveLength(5);
    expect(premium.every((r) => r.split(',')[1] === 'premium')).toBe(true);
    const redeemed = csvRows((await admin(`/campaigns/${campaign.id}/codes?format=csv&state=redeemed`)).text);
    expect(redeemed).toHaveLength(3);
    // Nothing matching: the header alone.
    expect((await admin(`/campaigns/${campaign.id}/codes?format=csv&tier=premium&state=disabled`)).text).toBe(`${CSV_HEADER}\n`);
    expectApiError(await admin(`/campaigns/${campaign.id}/codes?format=csv&tier=gold`), 422, 'unknown_tier');
  });

  it.each([
    ['an unknown state', '?state=used'],
    ['an unknown format', '?format=xml'],
    ['an unknown parameter', '?limit=5'],
    ['a malformed tier', '?tier=Gold'],
    ['a repeated tier', '?tier=premium&tier=standard'],
  ])('refuses %s with 400 invalid_request', async (_name, query) => {
    expectApiError(await admin(`/campaigns/${campaign.id}/codes${query}`), 400, 'invalid_request');
  });

  it('exports more than one page (5,000) of codes, each exactly once', async () => {
    const big = await create({ tiers: [{ name: 'standard', reward: 'sticker', quantity: 5003 }] });
    const json = (await admin(`/campaigns/${big.id}/codes`, { timeoutMs: 20_000 })).json as CodeView[];
    expect(json).toHaveLength(5003);
    expect(new Set(json.map((c) => c.code)).size).toBe(5003);
    const csv = csvRows((await admin(`/campaigns/${big.id}/codes?format=csv`, { timeoutMs: 20_000 })).text);
    expect(csv).toHaveLength(5003);
    expect(new Set(csv.map((r) => r.split(',')[0])).size).toBe(5003);
  });

  it('aborts the response (never a hung download) when the store fails mid-export', async () => {
    const big = ((await admin('/campaigns')).json as CampaignView[]).find((c) => c.tiers[0]?.reward === 'sticker')!;
    let pages = 0;
    const failing: Store = {
      ...store,
      codes: {
        ...store.codes,
        list: async (query) => {
          if (++pages > 1) throw new Error('the database went away');
          return store.codes.list(query);
        },
      },
    };
    const seen: unknown[] = [];
    const flakyBase = await listen(adminApp(failing, (err) => seen.push(err)));
    const started = performance.now();
    const res = await fetch(`${flakyBase}/admin/v1/campaigns/${big.id}/codes?format=csv`, { headers: auth, signal: AbortSignal.timeout(8000) });
    expect(res.status).toBe(200);
    const outcome = await res.text().then(
      (text) => ({ complete: true, rows: csvRows(text).length }),
      (err: Error) => ({ complete: false, error: err.name }),
    );
    expect(outcome).toEqual({ complete: false, error: 'TypeError' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(seen).toEqual([expect.objectContaining({ message: 'the database went away' })]);
  });
});

describe('stats', () => {
  it('counts codes by tier and state, redemptions, and attempts by outcome', async () => {
    const campaign = await create({ perCustomerLimit: 5 });
    const premium = ((await admin(`/campaigns/${campaign.id}/codes?tier=premium`)).json as CodeView[]).map((c) => c.code);
    const now = new Date();
    const attempt = () => `att_stats_${randomBytes(6).toString('hex')}`;
    const results = [
      await store.redemptions.redeem({ attemptId: attempt(), campaignId: campaign.id, code: premium[0]!, customerId: 'a', now }),
      await store.redemptions.redeem({ attemptId: attempt(), campaignId: campaign.id, code: premium[1]!, customerId: 'b', now }),
      await store.redemptions.claim({ attemptId: attempt(), campaignId: campaign.id, tier: 'standard', customerId: 'c', now }),
      await store.redemptions.redeem({ attemptId: attempt(), campaignId: campaign.id, code: premium[0]!, customerId: 'd', now }),
      await store.redemptions.redeem({ attemptId: attempt(), campaignId: campaign.id, code: 'SYN-2222-2222', customerId: 'e', now }),
    ];
    expect(results.map((r) => r.outcome)).toEqual(['redeemed', 'redeemed', 'claimed', 'code_already_used', 'code_not_found']);

    const res = await admin(`/campaigns/${campaign.id}/stats`);
    expect(res.status).toBe(200);
    const stats = res.json as StatsView;
    expect(stats).toMatchObject({ campaignId: campaign.id, status: 'active', target: null, redemptions: 3 });
    expect(stats.codes.premium).toMatchObject({ available: 3, redeemed: 2 });
    expect(stats.codes.standard).toMatchObject({ available: 29, redeemed: 1 });
    expect(stats.outcomes).toEqual({ redeemed: 2, claimed: 1, code_already_used: 1, code_not_found: 1 });
  });
});

describe('POST /admin/v1/campaigns/:id/status', () => {
  it('follows the lifecycle and refuses illegal moves with 409 invalid_status_transition', async () => {
    const campaign = await create();
    const move = (status: unknown) => admin(`/campaigns/${campaign.id}/status`, { body: { status } });

    const paused = await move('paused');
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ id: campaign.id, status: 'paused' });
    expect((await move('active')).json).toMatchObject({ status: 'active' });
    const stopped = await move('stopped');
    expect(stopped.json).toMatchObject({ status: 'stopped', stopReason: 'manual' });
    expect((await move('ended')).json).toMatchObject({ status: 'ended' });
    expectApiError(await move('active'), 409, 'invalid_status_transition');
    expectApiError(await move('draft'), 409, 'invalid_status_transition');
    expect(((await admin(`/campaigns/${campaign.id}`)).json as CampaignView).status).toBe('ended');
  });

  it('refuses draft → paused', async () => {
    const draft = await create({ status: 'draft' });
    expectApiError(await admin(`/campaigns/${draft.id}/status`, { body: { status: 'paused' } }), 409, 'invalid_status_transition');
    expect(((await admin(`/campaigns/${draft.id}`)).json as CampaignView).status).toBe('draft');
  });

  it('refuses a malformed body with 400 invalid_request', async () => {
    const campaign = await create();
    for (const body of [{ status: 'bogus' }, {}, { status: 'paused', reason: 'x' }, { status: ['paused'] }]) {
      expectApiError(await admin(`/campaigns/${campaign.id}/status`, { body }), 400, 'invalid_request');
    }
  });
});

describe('change events', () => {
  it('publishes every campaign change, applied by the listening feed before the answer', async () => {
    const campaign = await create({ status: 'draft' });
    // No waiting: the admin answered only once the feed had applied (acknowledged) the change.
    expect(heard).toContainEqual({ kind: 'campaign', campaignId: campaign.id, action: 'created' });
    expect((await admin(`/campaigns/${campaign.id}/status`, { body: { status: 'active' } })).status).toBe(200);
    expect(heard.filter((e) => e.campaignId === campaign.id)).toEqual([
      { kind: 'campaign', campaignId: campaign.id, action: 'created' },
      { kind: 'campaign', campaignId: campaign.id, action: 'status' },
    ]);
  });

  it('publishes a PATCH', async () => {
    const campaign = await create();
    expect((await admin(`/campaigns/${campaign.id}`, { method: 'PATCH', body: { name: 'renamed' } })).status).toBe(200);
    expect(heard).toContainEqual({ kind: 'campaign', campaignId: campaign.id, action: 'updated' });
  });

  it('publishes nothing for a refused change', async () => {
    const draft = await create({ status: 'draft' });
    const before = heard.length;
    expectApiError(await admin(`/campaigns/${draft.id}/status`, { body: { status: 'paused' } }), 409, 'invalid_status_transition');
    expect(heard.length).toBe(before);
  });
});

describe('campaign settings and PATCH /admin/v1/campaigns/:id', () => {
  const patch = (id: string, body: unknown) => admin(`/campaigns/${id}`, { method: 'PATCH', body });

  it('creates with defaults (claims off, no customer auth) or with the settings given', async () => {
    expect((await create()).settings).toEqual({ claims: false, customerAuth: 'none', customerAudience: null, guessBudget: { addressGuesses: null, subnetGuesses: null, customerGuesses: null, windowS: null } });
    const jwt = await create({ settings: { claims: true, customerAuth: 'jwt', customerAudience: 'shop' } });
    expect(jwt.settings).toEqual({ claims: true, customerAuth: 'jwt', customerAudience: 'shop', guessBudget: { addressGuesses: null, subnetGuesses: null, customerGuesses: null, windowS: null } });
    expect(((await admin(`/campaigns/${jwt.id}`)).json as CampaignView).settings).toEqual(jwt.settings);
  });

  it('refuses an active campaign whose end has passed (400 ends_at_in_past: create, patch, activation) and an empty window', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const noCodes = { tiers: [{ name: 'standard', reward: 'x', quantity: 0 }] };
    const id = `ended_${randomBytes(4).toString('hex')}`;
    expectApiError(await admin('/campaigns', { body: newCampaign({ id, endsAt: past }) }), 400, 'ends_at_in_past');
    expectApiError(await admin(`/campaigns/${id}`), 404, 'campaign_not_found');

    const live = await create(noCodes);
    expect(live.status).toBe('active');
    expectApiError(await patch(live.id, { endsAt: past }), 400, 'ends_at_in_past');
    expectApiError(await patch(live.id, { startsAt: future, endsAt: future }), 400, 'invalid_request');
    expect((await admin(`/campaigns/${live.id}`)).json).toMatchObject({ status: 'active', startsAt: null, endsAt: null });
    expect((await patch(live.id, { endsAt: future })).json).toMatchObject({ endsAt: future.replace(/Z$/, 'Z') });

    // A draft may carry a past end (being prepared for a rerun), but cannot go live with it.
    const draft = await create({ ...noCodes, status: 'draft', endsAt: past });
    expectApiError(await admin(`/campaigns/${draft.id}/status`, { body: { status: 'active' } }), 400, 'ends_at_in_past');
    expect((await admin(`/campaigns/${draft.id}`)).json).toMatchObject({ status: 'draft' });
  });

  it('patches settings field by field and other mutable fields, and reads them back', async () => {
    const campaign = await create();
    const on = await patch(campaign.id, { settings: { claims: true } });
    expect(on.status).toBe(200);
    expect((on.json as CampaignView).settings).toEqual({ claims: true, customerAuth: 'none', customerAudience: null, guessBudget: { addressGuesses: null, subnetGuesses: null, customerGuesses: null, windowS: null } });
    const both = await patch(campaign.id, { name: 'Renamed', target: 20, settings: { customerAuth: 'jwt' } });
    expect(both.json).toMatchObject({ name: 'Renamed', target: 20, settings: { claims: true, customerAuth: 'jwt', customerAudience: null } });
    expect((await admin(`/campaigns/${campaign.id}`)).json).toEqual(both.json);
    expect(((await patch(campaign.id, { target: null })).json as CampaignView).target).toBeNull();
  });

  it('refuses bad patches with 400 invalid_request and changes nothing', async () => {
    const campaign = await create();
    const before = (await admin(`/campaigns/${campaign.id}`)).json;
    for (const body of [
      {},
      { settings: { claims: 'yes' } },
      { settings: { customerAuth: 'oauth' } },
      { settings: { customerAudience: '' } },
      { settings: { unknownSetting: true } },
      { settings: { claims: { $ne: null } } },
      { settings: [] },
      { status: 'ended' },
      { codeSpec: { length: 4 } },
      { perCustomerLimit: 0 },
      { name: 'x', settings: { claims: true }, redeemedCount: 0 },
      { startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' },
    ]) {
      expectApiError(await patch(campaign.id, body), 400, 'invalid_request');
    }
    expect((await admin(`/campaigns/${campaign.id}`)).json).toEqual(before);
  });

  it('answers 404 campaign_not_found for an unknown campaign and 400 for a malformed id', async () => {
    expectApiError(await patch('no_such_campaign', { settings: { claims: true } }), 404, 'campaign_not_found');
    expectApiError(await patch('bad%20id', { settings: { claims: true } }), 400, 'invalid_request');
  });

  it('refuses a create with a bad setting with 400, creating nothing', async () => {
    const id = `bad_settings_${randomBytes(4).toString('hex')}`;
    expectApiError(await admin('/campaigns', { body: newCampaign({ id, settings: { customerAuth: 'maybe' } }) }), 400, 'invalid_request');
    expectApiError(await admin(`/campaigns/${id}`), 404, 'campaign_not_found');
  });
});

describe('unknown campaigns', () => {
  it('answers 404 campaign_not_found on every campaign route', async () => {
    expectApiError(await admin('/campaigns/no_such_campaign'), 404, 'campaign_not_found');
    expectApiError(await admin('/campaigns/no_such_campaign/stats'), 404, 'campaign_not_found');
    expectApiError(await admin('/campaigns/no_such_campaign/codes'), 404, 'campaign_not_found');
    expectApiError(await admin('/campaigns/no_such_campaign/codes?format=csv'), 404, 'campaign_not_found');
    expectApiError(await admin('/campaigns/no_such_campaign/status', { body: { status: 'paused' } }), 404, 'campaign_not_found');
  });

  it('answers 400 for a malformed campaign id and 404 not_found for unknown routes', async () => {
    expectApiError(await admin('/campaigns/bad%20id'), 400, 'invalid_request');
    expectApiError(await admin(`/campaigns/${'x'.repeat(65)}/stats`), 400, 'invalid_request');
    expectApiError(await admin('/campaigns/%E0%A4%A'), 400, 'invalid_request');
    expectApiError(await admin('/nothing-here'), 404, 'not_found');
    expectApiError(await http(base, '/elsewhere'), 404, 'not_found');
  });
});

describe('error reporting', () => {
  it('reported no client error as unexpected', () => {
    expect(unexpected).toEqual([]);
  });
});
