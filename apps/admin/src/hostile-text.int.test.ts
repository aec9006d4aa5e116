import { randomBytes } from 'node:crypto';
import type { CampaignView, CodeView } from '@dropgate/admin-client';
import { expectApiError, type HttpInit, type HttpResult } from '@dropgate/testkit';
import { startAdminHarness, type AdminHarness } from '../test/admin-harness';

/**
 * Text the database cannot keep, sent to every admin field that takes free text or a code: a NUL (PostgreSQL refuses
 * it in text and jsonb) and a lone surrogate (escaped in JSON: jsonb refuses it, text silently turns it into U+FFFD).
 * Each is a 400 naming the field, never a 500, never a changed value, never a lost audit entry.
 */

const TOKEN = randomBytes(24).toString('base64url');
let harness: AdminHarness;
const unexpected: unknown[] = [];
const auditErrors: unknown[] = [];

const admin = (path: string, init: HttpInit = {}): Promise<HttpResult> => harness.as(TOKEN, path, init);

const NUL = 'a\u0000b';
const LONE_HIGH = 'a\ud800b';
const LONE_LOW = '\udc00';
const CONTROL = 'a\nb';

const campaignBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Hostile text',
  tiers: [{ name: 'standard', reward: 't-shirt', quantity: 20 }],
  perCustomerLimit: 1,
  code: { pattern: 'HT-####-####' },
  status: 'active',
  ...overrides,
});

let id = '';
let redeemed = '';

beforeAll(async () => {
  harness = await startAdminHarness({
    name: 'admin-hostile-text-test',
    app: {
      token: TOKEN,
      onUnexpected: (err) => void unexpected.push(err),
      onAuditError: (err) => void auditErrors.push(err),
    },
  });
  const res = await admin('/campaigns', { body: campaignBody() });
  expect(res.status).toBe(201);
  id = (res.json as CampaignView).id;
  const codes = (await admin(`/campaigns/${id}/codes`)).json as CodeView[];
  redeemed = codes[0]!.code;
  await harness.store.redemptions.redeem({ attemptId: `att_hostile_${randomBytes(4).toString('hex')}`, campaignId: id, code: redeemed, customerId: 'alice', now: new Date() });
});

afterAll(() => harness?.close());

describe('free text (names, rewards, reasons)', () => {
  it.each([
    ['a NUL in a campaign name', () => campaignBody({ name: NUL })],
    ['a lone surrogate in a campaign name', () => campaignBody({ name: LONE_HIGH })],
    ['a control character in a campaign name', () => campaignBody({ name: CONTROL })],
    ['a NUL in a reward', () => campaignBody({ tiers: [{ name: 'standard', reward: NUL, quantity: 1 }] })],
    ['a lone surrogate in a reward', () => campaignBody({ tiers: [{ name: 'standard', reward: LONE_LOW, quantity: 1 }] })],
  ])('refuses a creation with %s: 400 invalid_request, nothing created', async (_what, body) => {
    const before = ((await admin('/campaigns')).json as CampaignView[]).length;
    expectApiError(await admin('/campaigns', { body: body() }), 400, 'invalid_request');
    expect(((await admin('/campaigns')).json as CampaignView[]).length).toBe(before);
  });

  it.each([
    ['a NUL', NUL],
    ['a lone surrogate', LONE_HIGH],
  ])('refuses a renaming with %s and keeps the name', async (_what, name) => {
    expectApiError(await admin(`/campaigns/${id}`, { method: 'PATCH', body: { name } }), 400, 'invalid_request');
    expect(((await admin(`/campaigns/${id}`)).json as CampaignView).name).toBe('Hostile text');
  });

  it.each([
    ['a NUL', NUL],
    ['a lone surrogate', LONE_LOW],
  ])('refuses a lock whose reason has %s, locking nothing', async (_what, reason) => {
    expectApiError(await admin(`/campaigns/${id}/locks`, { body: { tier: 'standard', count: 1, reason } }), 400, 'invalid_request');
    expect((await admin(`/campaigns/${id}/locks`)).json).toEqual([]);
  });

  it('refuses a rollback whose reason has a NUL, leaving the code redeemed', async () => {
    expectApiError(await admin(`/campaigns/${id}/codes/${redeemed}/rollback`, { body: { to: 'available', reason: NUL } }), 400, 'invalid_request');
    const codes = (await admin(`/campaigns/${id}/codes?state=redeemed`)).json as CodeView[];
    expect(codes.map((c) => c.code)).toEqual([redeemed]);
  });

  it('keeps text in any script exactly: emoji sequences (zero-width joiner), right-to-left, combining marks', async () => {
    const name = 'Drop 👩‍👩‍👧 مرحبا e\u0301te\u0301 ⚡';
    const reward = 'שלום 🎁';
    const res = await admin('/campaigns', { body: campaignBody({ name, tiers: [{ name: 'standard', reward, quantity: 1 }], status: 'draft' }) });
    expect(res.status).toBe(201);
    const created = (await admin(`/campaigns/${(res.json as CampaignView).id}`)).json as CampaignView;
    expect({ name: created.name, reward: created.tiers[0]!.reward }).toEqual({ name, reward });
  });
});

describe('codes named by the operator', () => {
  it.each([
    ['a NUL', 'HT-AAAA\u0000'],
    ['a lone surrogate', 'HT-\ud800'],
  ])('refuses a lock or release of a code with %s', async (_what, code) => {
    expectApiError(await admin(`/campaigns/${id}/locks`, { body: { codes: [code] } }), 400, 'invalid_request');
    expectApiError(await admin(`/campaigns/${id}/locks/release`, { body: { codes: [code] } }), 400, 'invalid_request');
  });

  it('refuses a NUL in a code of a path or a query', async () => {
    expectApiError(await admin(`/campaigns/${id}/codes/HT-%00/rollback`, { body: { to: 'available', reason: 'support ticket' } }), 400, 'invalid_request');
    expectApiError(await admin('/audit?code=HT-%00'), 400, 'invalid_request');
  });

  it('still takes a code pasted with the whitespace around it', async () => {
    const res = await admin(`/campaigns/${id}/locks`, { body: { codes: [`${redeemed}\n`] } });
    expect(res.status).toBe(201);
  });
});

describe('afterwards', () => {
  it('reported nothing unexpected and lost no audit entry', () => {
    expect(unexpected).toEqual([]);
    expect(auditErrors).toEqual([]);
  });
});
