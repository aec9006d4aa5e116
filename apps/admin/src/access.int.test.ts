import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { closeRedis, createRedis } from '@dropgate/queue';
import { deleteKeysByPrefix, expectApiError, http, redisReady, TEST_REDIS_URL, type HttpInit, type HttpResult } from '@dropgate/testkit';
import { startAdminHarness, type AdminHarness } from '../test/admin-harness';
import { tokenEntries } from './admin-tokens';
import { createAuthThrottle } from './auth-throttle';

/** Named tokens with scopes, failed-login throttling (real Redis), security headers. Real PostgreSQL store. */

const throttlePrefix = `dgtauth${randomBytes(4).toString('hex')}`;
const token = () => randomBytes(24).toString('base64url');
const TOKENS = { reader: token(), writer: token(), exporter: token(), all: token() };
const hash = (t: string) => createHash('sha256').update(t).digest('hex');
const MAX_FAILURES = 3;

let harness: AdminHarness;
let redis: Redis;

const as = (who: keyof typeof TOKENS, path: string, init: HttpInit = {}, ip = '203.0.113.1'): Promise<HttpResult> =>
  harness.as(TOKENS[who], path, { ...init, headers: { 'x-forwarded-for': ip, ...init.headers } });

const campaign = { name: 'access', tiers: [{ name: 'standard', reward: 'x', quantity: 3 }], perCustomerLimit: 1, code: { length: 10 }, status: 'active' };

beforeAll(async () => {
  redis = createRedis(TEST_REDIS_URL, 'client', 'admin-access-test');
  // Ready first: until it is, the throttle counts in its in-memory insurance (the failures here are counted in Redis).
  await redisReady(redis);
  harness = await startAdminHarness({
    name: 'admin-access-test',
    app: {
      tokens: tokenEntries([
        { name: 'reader', scopes: ['read'], sha256: hash(TOKENS.reader) },
        { name: 'writer', scopes: ['read', 'write'], sha256: hash(TOKENS.writer) },
        { name: 'exporter', scopes: ['export'], sha256: hash(TOKENS.exporter) },
        { name: 'all', scopes: ['read', 'write', 'export'], sha256: hash(TOKENS.all) },
      ]),
      authThrottle: createAuthThrottle({ redis, keyPrefix: `${throttlePrefix}:admin-auth`, maxFailures: MAX_FAILURES, windowS: 60, blockS: 60 }),
      // Behind a (test) proxy on loopback: each test picks its client address with X-Forwarded-For.
      trustProxy: 'loopback',
      // The page's sign-in (POST /session) is a login too.
      page: { queues: [] },
    },
  });
});

afterAll(async () => {
  await harness?.close();
  await closeRedis(redis);
  await deleteKeysByPrefix(throttlePrefix);
});

describe('scopes', () => {
  let id: string;

  beforeAll(async () => {
    const res = await as('writer', '/campaigns', { body: campaign });
    expect(res.status).toBe(201);
    id = (res.json as { id: string }).id;
  });

  it('lets a read token read, and refuses it every change and every export with 403 forbidden', async () => {
    expect((await as('reader', '/campaigns')).status).toBe(200);
    expect((await as('reader', `/campaigns/${id}/stats`)).status).toBe(200);
    expect((await as('reader', '/audit')).status).toBe(200);
    expectApiError(await as('reader', '/campaigns', { body: campaign }), 403, 'forbidden');
    expectApiError(await as('reader', `/campaigns/${id}/status`, { body: { status: 'paused' } }), 403, 'forbidden');
    expectApiError(await as('reader', `/campaigns/${id}/codes/generate`, { body: { tier: 'standard', count: 1 } }), 403, 'forbidden');
    expectApiError(await as('reader', `/campaigns/${id}/codes`), 403, 'forbidden');
    expect((await harness.store.campaigns.get(id))?.status).toBe('active');
  });

  it('lets only an export token download codes', async () => {
    expectApiError(await as('writer', `/campaigns/${id}/codes`), 403, 'forbidden');
    const res = await as('exporter', `/campaigns/${id}/codes`);
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(3);
    expectApiError(await as('exporter', '/campaigns'), 403, 'forbidden');
  });

  it('answers 401 for a token that is not configured (a hash of it is not a token)', async () => {
    for (const bad of ['nope-nope-nope-nope', hash(TOKENS.all)]) {
      expectApiError(await http(harness.url, '/admin/v1/campaigns', { headers: { authorization: `Bearer ${bad}`, 'x-forwarded-for': '203.0.113.50' } }), 401, 'unauthorized');
    }
  });
});

describe('failed-login throttling', () => {
  const guesser = '198.51.100.7';

  it(`answers 401 to the first ${MAX_FAILURES} bad tokens of an address, then 429 with Retry-After, even to the right token`, async () => {
    const bad = () => http(harness.url, '/admin/v1/campaigns', { headers: { authorization: `Bearer ${token()}`, 'x-forwarded-for': guesser } });
    for (let i = 0; i < MAX_FAILURES; i++) expectApiError(await bad(), 401, 'unauthorized');
    const blocked = await bad();
    expectApiError(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Blocked: the right token from that address is refused too (a guesser cannot tell a hit).
    expectApiError(await as('all', '/campaigns', {}, guesser), 429, 'rate_limited');
  });

  it('throttles the page sign-in (POST /session) alike: the same count, then 429 and no session even for the right token', async () => {
    const pageGuesser = '198.51.100.20';
    const signIn = (tokenValue: string) => http(harness.url, '/session', { body: { token: tokenValue }, headers: { 'x-forwarded-for': pageGuesser } });
    for (let i = 0; i < MAX_FAILURES; i++) expectApiError(await signIn(token()), 401, 'unauthorized');
    expectApiError(await signIn(token()), 429, 'rate_limited');
    const right = await signIn(TOKENS.all);
    expectApiError(right, 429, 'rate_limited');
    expect(right.headers.get('set-cookie')).toBeNull();
    // One count per address, whichever door was knocked on.
    expectApiError(await as('all', '/campaigns', {}, pageGuesser), 429, 'rate_limited');
    const apiGuesser = '198.51.100.21';
    const apiGuess = () => http(harness.url, '/admin/v1/campaigns', { headers: { authorization: `Bearer ${token()}`, 'x-forwarded-for': apiGuesser } });
    for (let i = 0; i < MAX_FAILURES; i++) expectApiError(await apiGuess(), 401, 'unauthorized');
    expectApiError(await apiGuess(), 429, 'rate_limited');
    expectApiError(await http(harness.url, '/session', { body: { token: TOKENS.all }, headers: { 'x-forwarded-for': apiGuesser } }), 429, 'rate_limited');
    // Another address signs in as usual.
    expect((await http(harness.url, '/session', { body: { token: TOKENS.all }, headers: { 'x-forwarded-for': '198.51.100.22' } })).status).toBe(204);
  });

  it('does not count a request without any token (a browser tab, a monitor): it guesses nothing, and must not shut the address out', async () => {
    const tab = '198.51.100.30';
    for (let i = 0; i < MAX_FAILURES * 3; i++) expectApiError(await http(harness.url, '/admin/v1/campaigns', { headers: { 'x-forwarded-for': tab } }), 401, 'unauthorized');
    expect((await as('all', '/campaigns', {}, tab)).status).toBe(200);
    // A header that is there but malformed is a try like a wrong token.
    const malformed = () => http(harness.url, '/admin/v1/campaigns', { headers: { authorization: `Basic ${token()}`, 'x-forwarded-for': tab } });
    for (let i = 0; i < MAX_FAILURES; i++) expectApiError(await malformed(), 401, 'unauthorized');
    expectApiError(await malformed(), 429, 'rate_limited');
    expectApiError(await as('all', '/campaigns', {}, tab), 429, 'rate_limited');
  });

  it('leaves other addresses alone', async () => {
    expect((await as('all', '/campaigns', {}, '198.51.100.8')).status).toBe(200);
  });

  it('does not count successful logins', async () => {
    for (let i = 0; i < MAX_FAILURES * 3; i++) expect((await as('reader', '/campaigns', {}, '198.51.100.9')).status).toBe(200);
  });
});

describe('security headers (helmet)', () => {
  it('sends them on API answers and errors alike', async () => {
    for (const res of [await as('reader', '/campaigns'), await http(harness.url, '/healthz'), await http(harness.url, '/admin/v1/campaigns')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });
});
