import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { ChangeFeed, ChangePublisher, type ChangeEvent } from '@dropgate/changes';
import type { Store } from '@dropgate/store';
import { expectApiError, TEST_REDIS_URL, type HttpInit, type HttpResult } from '@dropgate/testkit';
import type { LockReleaseScheduler } from './jobs/lock-releases';
import { startAdminHarness, type AdminHarness } from '../test/admin-harness';

/** Bulk publishing, locks and rollback through the admin API, on a real PostgreSQL store and Redis change feed. */

const TOKEN = randomBytes(24).toString('base64url');
const PREFIX = `dgops${randomBytes(4).toString('hex')}`;
let harness: AdminHarness;
let store: Store;
const redisConnections: Redis[] = [];
const redis = (): Redis => {
  const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  redisConnections.push(r);
  return r;
};
const heard: ChangeEvent[] = [];
const scheduled: Array<{ campaignId: string; releaseAt: Date }> = [];
// Records what the service asks for; the real jobs are tested end to end with the admin process.
const lockReleases: LockReleaseScheduler = {
  schedule: (campaignId, releaseAt) => {
    scheduled.push({ campaignId, releaseAt });
    return Promise.resolve(`release-${campaignId}-${releaseAt.getTime()}`);
  },
};

beforeAll(async () => {
  const changes = new ChangePublisher({ redis: redis(), subscriber: redis(), prefix: PREFIX, ackTimeoutMs: 5_000 });
  await changes.start();
  const feed = new ChangeFeed({ subscriber: redis(), redis: redis(), prefix: PREFIX });
  feed.onChange(({ kind, campaignId, action }) => void heard.push({ kind, campaignId, action } as ChangeEvent));
  await feed.start();
  harness = await startAdminHarness({ name: 'admin-ops-test', poolSize: 8, app: { changes, lockReleases, token: TOKEN, bodyLimitBytes: 256 * 1024 } });
  store = harness.store;
});

afterAll(async () => {
  await harness?.close();
  await Promise.all(redisConnections.map((r) => r.quit()));
});

const admin = (path: string, init: HttpInit = {}): Promise<HttpResult> => harness.as(TOKEN, path, init);

async function campaign(quantity = 40): Promise<string> {
  const res = await admin('/campaigns', {
    body: { name: 'ops', tiers: [{ name: 'standard', reward: 't-shirt', quantity }, { name: 'premium', reward: 'deck', quantity: 5 }], perCustomerLimit: 1, code: { pattern: 'SYN-####-####' }, status: 'active' },
  });
  expect(res.status).toBe(201);
  return (res.json as { id: string }).id;
}

interface PublicationJson {
  publicationId: string;
  codes: string[];
  channel: string | null;
  customerId: string | null;
}

describe('POST/GET /campaigns/:id/publications', () => {
  it('publishes N codes at once, replays the same codes for the same Idempotency-Key, and lists them', async () => {
    const id = await campaign();
    const res = await admin(`/campaigns/${id}/publications`, { body: { tier: 'standard', count: 10, channel: 'instagram' }, headers: { 'idempotency-key': 'drop-batch-0001' } });
    expect(res.status).toBe(201);
    const pub = res.json as PublicationJson;
    expect(pub.codes).toHaveLength(10);
    expect(pub.channel).toBe('instagram');
    for (const code of pub.codes) expect((await store.codes.get(id, code))!.state).toBe('published');
    expect(heard).toContainEqual({ kind: 'codes', campaignId: id, action: 'published' });

    const again = await admin(`/campaigns/${id}/publications`, { body: { tier: 'standard', count: 10, channel: 'instagram' }, headers: { 'idempotency-key': 'drop-batch-0001' } });
    expect(again.status).toBe(201);
    expect(again.json).toEqual(pub);
    expectApiError(await admin(`/campaigns/${id}/publications`, { body: { tier: 'standard', count: 3 }, headers: { 'idempotency-key': 'drop-batch-0001' } }), 409, 'publication_conflict');

    const personal = await admin(`/campaigns/${id}/publications`, { body: { tier: 'premium', count: 1, customerId: 'vip-1' } });
    expect((personal.json as PublicationJson).customerId).toBe('vip-1');
    const listed = await admin(`/campaigns/${id}/publications`);
    expect(listed.status).toBe(200);
    expect((listed.json as PublicationJson[]).map((p) => p.publicationId)).toEqual([(personal.json as PublicationJson).publicationId, pub.publicationId]);
    expect((await store.codes.counts(id)).standard!.published).toBe(10);
  });

  it('ten concurrent publications never share a code', async () => {
    const id = await campaign(100);
    const results = await Promise.all(Array.from({ length: 10 }, () => admin(`/campaigns/${id}/publications`, { body: { tier: 'standard', count: 10 } })));
    for (const r of results) expect(r.status).toBe(201);
    const codes = results.flatMap((r) => (r.json as PublicationJson).codes);
    expect(new Set(codes).size).toBe(100);
    expectApiError(await admin(`/campaigns/${id}/publications`, { body: { tier: 'standard', count: 1 } }), 409, 'not_enough_codes');
  });

  it('refuses bad requests with stable codes, changing nothing', async () => {
    const id = await campaign();
    expectApiError(await admin('/campaigns/nope/publications', { body: { tier: 'standard', count: 1 } }), 404, 'campaign_not_found');
    for (const body of [{ tier: 'standard' }, { tier: 'standard', count: 0 }, { tier: 'standard', count: '3' }, { tier: { $ne: 1 }, count: 1 }, { tier: 'standard', count: 1, extra: 1 }])
      expectApiError(await admin(`/campaigns/${id}/publications`, { body }), 400, 'invalid_request');
    expectApiError(await admin(`/campaigns/${id}/publications`, { body: { tier: 'standard', count: 1 }, headers: { 'idempotency-key': 'short' } }), 400, 'invalid_request');
    expectApiError(await admin(`/campaigns/${id}/publications`, { body: { tier: 'gold', count: 1 } }), 422, 'unknown_tier');
    expectApiError(await admin(`/campaigns/${id}/publications`, { body: { tier: 'premium', count: 6 } }), 409, 'not_enough_codes');
    expect((await store.codes.counts(id)).standard!.published).toBe(0);
  });
});

describe('locks', () => {
  it('locks by tier and count with a release time (a release job scheduled), by list, and releases now', async () => {
    const id = await campaign();
    const releaseAt = new Date(Date.now() + 3_600_000);
    const res = await admin(`/campaigns/${id}/locks`, { body: { tier: 'standard', count: 5, releaseAt: releaseAt.toISOString(), reason: 'show at 8pm' } });
    expect(res.status).toBe(201);
    const body = res.json as { locked: number; codes: string[]; releaseAt: string; releaseJobId: string };
    expect(body).toMatchObject({ locked: 5, releaseAt: releaseAt.toISOString(), reason: 'show at 8pm', releaseJobId: `release-${id}-${releaseAt.getTime()}` });
    expect(scheduled).toContainEqual({ campaignId: id, releaseAt });
    expect(heard).toContainEqual({ kind: 'codes', campaignId: id, action: 'locked' });
    for (const code of body.codes) expect(await store.codes.get(id, code)).toMatchObject({ state: 'locked', lockReleaseAt: releaseAt, lockReason: 'show at 8pm' });

    const premium = await store.codes.list({ campaignId: id, tier: 'premium', limit: 2 });
    const byList = await admin(`/campaigns/${id}/locks`, { body: { codes: premium.map((c) => c.code.toLowerCase()) } });
    expect(byList.json).toMatchObject({ locked: 2, releaseAt: null, reason: null, releaseJobId: null });

    // Listed as the store keeps them: timed ones first, each group with its count and reason.
    const listed = await admin(`/campaigns/${id}/locks`);
    expect({ status: listed.status, body: listed.json }).toEqual({
      status: 200,
      body: [
        { tier: 'standard', count: 5, releaseAt: releaseAt.toISOString(), reason: 'show at 8pm' },
        { tier: 'premium', count: 2, releaseAt: null, reason: null },
      ],
    });
    // The reason is in the lock's audit entry too.
    const trail = await admin(`/audit?campaignId=${id}`);
    const lockEntry = (trail.json as { entries: Array<{ action: string; details: { body?: { reason?: string } } }> }).entries.find((e) => e.action === 'lockCodes' && e.details.body?.reason !== undefined);
    expect(lockEntry?.details.body?.reason).toBe('show at 8pm');

    const one = await admin(`/campaigns/${id}/locks/release`, { body: { codes: [body.codes[0]] } });
    expect(one.json).toEqual({ released: 1, notFound: [] });
    const tier = await admin(`/campaigns/${id}/locks/release`, { body: { tier: 'premium' } });
    expect(tier.json).toEqual({ released: 2 });
    // A tier the campaign does not have (a typo) is refused, not "released 0" while the codes stay locked.
    expectApiError(await admin(`/campaigns/${id}/locks/release`, { body: { tier: 'skate-decks' } }), 422, 'unknown_tier');
    const all = await admin(`/campaigns/${id}/locks/release`, { body: {} });
    expect(all.json).toEqual({ released: 4 });
    expect((await store.codes.counts(id)).standard!.locked).toBe(0);
    expect((await admin(`/campaigns/${id}/locks`)).json).toEqual([]);
    expect(heard).toContainEqual({ kind: 'codes', campaignId: id, action: 'released' });
  });

  it('takes a POST with no body at all (curl -XPOST: no Content-Length) as the empty body {}: every lock released', async () => {
    const id = await campaign(10);
    expect((await admin(`/campaigns/${id}/locks`, { body: { tier: 'standard', count: 3 } })).status).toBe(201);
    const bodiless = async (contentType: string | null): Promise<{ status: number; body: unknown }> => {
      const { hostname, port } = new URL(harness.url);
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () => {
          const type = contentType === null ? '' : `Content-Type: ${contentType}\r\n`;
          socket.write(`POST /admin/v1/campaigns/${id}/locks/release HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n${type}Connection: close\r\n\r\n`);
        });
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      return { status: Number(raw.split(' ')[1]), body: JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as unknown };
    };
    expect(await bodiless('application/json')).toEqual({ status: 200, body: { released: 3 } });
    expect(await bodiless(null)).toEqual({ status: 200, body: { released: 0 } });
    // A body of another type is still refused.
    expectApiError(await admin(`/campaigns/${id}/locks/release`, { raw: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
  });

  it('refuses bad locks: both forms, neither, a past release time, too many', async () => {
    const id = await campaign(10);
    for (const body of [{}, { tier: 'standard' }, { count: 2 }, { tier: 'standard', count: 1, codes: ['X'] }, { codes: [] }, { tier: 'standard', count: 1, releaseAt: 'soon' }])
      expectApiError(await admin(`/campaigns/${id}/locks`, { body }), 400, 'invalid_request');
    expectApiError(await admin(`/campaigns/${id}/locks`, { body: { tier: 'standard', count: 1, releaseAt: new Date(Date.now() - 1000).toISOString() } }), 400, 'invalid_request');
    // At most 5 years ahead (a year typed wrong, 9999 as "never": lock without releaseAt for that).
    for (const releaseAt of ['9999-12-31T23:59:59Z', new Date(Date.now() + 5 * 366 * 86_400_000).toISOString()]) {
      const res = await admin(`/campaigns/${id}/locks`, { body: { tier: 'standard', count: 1, releaseAt } });
      expectApiError(res, 400, 'invalid_request');
      expect(res.json).toMatchObject({ error: { details: [{ path: 'releaseAt' }] } });
    }
    expectApiError(await admin(`/campaigns/${id}/locks`, { body: { tier: 'standard', count: 11 } }), 409, 'not_enough_codes');
    expectApiError(await admin('/campaigns/nope/locks', { body: { tier: 'standard', count: 1 } }), 404, 'campaign_not_found');
    expectApiError(await admin('/campaigns/nope/locks'), 404, 'campaign_not_found');
    expectApiError(await admin(`/campaigns/${id}/locks`, { body: { tier: 'standard', count: 1, reason: 'x'.repeat(201) } }), 400, 'invalid_request');
    expect((await store.codes.counts(id)).standard!.locked).toBe(0);
  });
});

describe('locks and releases of listed codes that do not exist', () => {
  const fullWidth = (s: string): string => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

  it('answers 404 code_not_found naming them when none exists, changing nothing', async () => {
    const id = await campaign(5);
    const res = await admin(`/campaigns/${id}/locks`, { body: { codes: ['SYN-2222-2222', 'syn-3333-3333'] } });
    expectApiError(res, 404, 'code_not_found');
    expect(res.json).toMatchObject({ error: { details: { notFound: ['SYN-2222-2222', 'SYN-3333-3333'] } } });
    expect((await store.codes.counts(id)).standard!.locked ?? 0).toBe(0);
  });

  it('locks the ones that exist (typed any way) and lists the others in `notFound`', async () => {
    const id = await campaign(5);
    const [real, other] = await store.codes.list({ campaignId: id, tier: 'standard', limit: 2 });
    const res = await admin(`/campaigns/${id}/locks`, { body: { codes: [fullWidth(real!.code.toLowerCase()), 'SYN-2222-2222', `\u200b${other!.code}`] } });
    expect({ status: res.status, body: res.json }).toMatchObject({ status: 201, body: { locked: 2, notFound: ['SYN-2222-2222'] } });
    expect(await store.codes.get(id, real!.code)).toMatchObject({ state: 'locked' });
    // Every listed code exists: an empty list (a code already locked is found, just not locked again).
    const again = await admin(`/campaigns/${id}/locks`, { body: { codes: [real!.code] } });
    expect({ status: again.status, body: again.json }).toMatchObject({ status: 201, body: { locked: 0, notFound: [] } });
  });

  it('release: answers 404 code_not_found naming them when none exists (nothing released), else releases the others and names them', async () => {
    const id = await campaign(5);
    const [real, other] = await store.codes.list({ campaignId: id, tier: 'standard', limit: 2 });
    expect((await admin(`/campaigns/${id}/locks`, { body: { codes: [real!.code, other!.code] } })).status).toBe(201);

    const none = await admin(`/campaigns/${id}/locks/release`, { body: { codes: ['SYN-2222-2222', 'syn-3333-3333'] } });
    expectApiError(none, 404, 'code_not_found');
    expect(none.json).toMatchObject({ error: { details: { notFound: ['SYN-2222-2222', 'SYN-3333-3333'] } } });
    expect((await store.codes.counts(id)).standard!.locked).toBe(2);

    const partly = await admin(`/campaigns/${id}/locks/release`, { body: { codes: [real!.code.toLowerCase(), 'SYN-2222-2222'] } });
    expect({ status: partly.status, body: partly.json }).toEqual({ status: 200, body: { released: 1, notFound: ['SYN-2222-2222'] } });
    expect(await store.codes.get(id, real!.code)).toMatchObject({ state: 'available' });
    expect(await store.codes.get(id, other!.code)).toMatchObject({ state: 'locked' });
    // A listed code that is not locked (any more) is found: released 0, nothing named.
    const again = await admin(`/campaigns/${id}/locks/release`, { body: { codes: [real!.code] } });
    expect({ status: again.status, body: again.json }).toEqual({ status: 200, body: { released: 0, notFound: [] } });
  });
});

describe('POST /campaigns/:id/codes/disable', () => {
  it('takes available, locked and published codes (typed any way) out for good, names the unknown ones, leaves a redeemed one to rollback', async () => {
    const id = await campaign(6);
    const [available, locked, redeemed] = await store.codes.list({ campaignId: id, tier: 'standard', limit: 3 });
    expect((await admin(`/campaigns/${id}/locks`, { body: { codes: [locked!.code], releaseAt: new Date(Date.now() + 3_600_000).toISOString() } })).status).toBe(201);
    const published = (await admin(`/campaigns/${id}/publications`, { body: { tier: 'premium', count: 1, channel: 'instagram' } })).json as PublicationJson;
    const leaked = published.codes[0]!;
    const attemptId = `att_dis_${randomBytes(6).toString('hex')}`;
    expect((await store.redemptions.redeem({ attemptId, campaignId: id, code: redeemed!.code, customerId: 'bob', now: new Date() })).outcome).toBe('redeemed');

    const fullWidth = (s: string): string => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    const res = await admin(`/campaigns/${id}/codes/disable`, {
      body: { codes: [available!.code.toLowerCase(), fullWidth(locked!.code), leaked, redeemed!.code, 'SYN-2222-2222'], reason: 'posted on a bot forum' },
    });
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: { disabled: 3, notFound: ['SYN-2222-2222'] } });
    for (const code of [available!.code, locked!.code, leaked]) expect(await store.codes.get(id, code)).toMatchObject({ state: 'disabled' });
    expect(await store.codes.get(id, redeemed!.code)).toMatchObject({ state: 'redeemed', customerId: 'bob' });
    expect((await admin(`/campaigns/${id}/locks`)).json).toEqual([]);
    expect(heard).toContainEqual({ kind: 'codes', campaignId: id, action: 'disabled' });
    // Nobody redeems a disabled code, even the one published for them.
    expect((await store.redemptions.redeem({ attemptId: `${attemptId}x`, campaignId: id, code: leaked, customerId: 'carol', now: new Date() })).outcome).toBe('code_disabled');

    // Again: every code found, none moved; none of them known: 404, nothing changed.
    expect((await admin(`/campaigns/${id}/codes/disable`, { body: { codes: [leaked] } })).json).toEqual({ disabled: 0, notFound: [] });
    const none = await admin(`/campaigns/${id}/codes/disable`, { body: { codes: ['SYN-2222-2222', 'syn-3333-3333'] } });
    expectApiError(none, 404, 'code_not_found');
    expect(none.json).toMatchObject({ error: { details: { notFound: ['SYN-2222-2222', 'SYN-3333-3333'] } } });
    for (const body of [{}, { codes: [] }, { codes: 'SYN-2222-2222' }, { codes: [{ $ne: null }] }, { codes: ['SYN-2222-2222'], tier: 'standard' }])
      expectApiError(await admin(`/campaigns/${id}/codes/disable`, { body }), 400, 'invalid_request');
    expectApiError(await admin('/campaigns/nope/codes/disable', { body: { codes: [leaked] } }), 404, 'campaign_not_found');
    const trail = (await admin(`/audit?campaignId=${id}`)).json as { entries: Array<{ action: string; details: { body?: { reason?: string } } }> };
    expect(trail.entries.find((e) => e.action === 'disableCodes' && e.details.body?.reason === 'posted on a bot forum')).toBeDefined();
  });
});

describe('POST /campaigns/:id/codes/:code/rollback', () => {
  it('takes a redeemed code back and marks the attempt that held it as rolled back', async () => {
    const id = await campaign(3);
    const [code] = await store.codes.list({ campaignId: id, tier: 'standard', limit: 1 });
    const attemptId = `att_rb_${randomBytes(6).toString('hex')}`;
    expect((await store.redemptions.redeem({ attemptId, campaignId: id, code: code!.code, customerId: 'alice', now: new Date() })).outcome).toBe('redeemed');

    const res = await admin(`/campaigns/${id}/codes/${code!.code.toLowerCase()}/rollback`, { body: { to: 'available', reason: 'fraud review' } });
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: { code: code!.code, state: 'available', attemptId } });
    expect((await store.redemptions.getAttempt(attemptId))!.rolledBackAt).toBeInstanceOf(Date);
    expect((await store.codes.get(id, code!.code))!.state).toBe('available');
    expect(heard).toContainEqual({ kind: 'codes', campaignId: id, action: 'rolled_back' });

    expectApiError(await admin(`/campaigns/${id}/codes/${code!.code}/rollback`, { body: { to: 'disabled', reason: 'again' } }), 409, 'code_not_redeemed');
    expectApiError(await admin(`/campaigns/${id}/codes/SYN-ZZZZ-ZZZZ/rollback`, { body: { to: 'disabled', reason: 'x' } }), 404, 'code_not_found');
    expectApiError(await admin(`/campaigns/${id}/codes/${code!.code}/rollback`, { body: { to: 'redeemed', reason: 'x' } }), 400, 'invalid_request');
    expectApiError(await admin(`/campaigns/${id}/codes/${code!.code}/rollback`, { body: { to: 'available' } }), 400, 'invalid_request');
  });
});
