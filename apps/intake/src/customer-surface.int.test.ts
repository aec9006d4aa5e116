import { randomBytes } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { counterValue, expectApiError, http, tempPgSchema, TEST_DATABASE_URL, type HttpResult } from '@dropgate/testkit';
import { startAttemptWorker, type TestWorker } from '../test/attempt-worker';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/**
 * Claims opt-in, verified customers (JWT) and one customer per normalised id, over HTTP against the intake built as
 * main.ts builds it, on the real Redis and PostgreSQL. Keys are made here with jose: an HS256 secret and an ES256 pair.
 */

const schema = tempPgSchema('dg_t');
const filePrefix = `dgcs${randomBytes(4).toString('hex')}`;
const SECRET = randomBytes(32).toString('base64url');

let store: Store;
let app: RunningIntake;
let worker: TestWorker;
let es256: { privateKey: KeyLike; publicPem: string };
let otherEs256: KeyLike;
let redeemOnly: CampaignFixture;
let claimsOpen: CampaignFixture;
let verified: CampaignFixture;
let verifiedAnyAudience: CampaignFixture;
let oneEach: CampaignFixture;

interface TokenOptions {
  sub?: string;
  aud?: string;
  /** Seconds from now; negative = already expired; null = no exp claim. */
  expIn?: number | null;
  key?: KeyLike | Uint8Array;
  alg?: string;
}

async function token(options: TokenOptions = {}): Promise<string> {
  const alg = options.alg ?? 'HS256';
  let jwt = new SignJWT({}).setProtectedHeader({ alg }).setIssuedAt();
  if (options.sub !== undefined) jwt = jwt.setSubject(options.sub);
  if (options.aud !== undefined) jwt = jwt.setAudience(options.aud);
  const expIn = options.expIn === undefined ? 300 : options.expIn;
  if (expIn !== null) jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expIn);
  return jwt.sign(options.key ?? new TextEncoder().encode(SECRET));
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });
const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> => http(app.url, path, { body, headers });

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  es256 = { privateKey: pair.privateKey, publicPem: await exportSPKI(pair.publicKey) };
  otherEs256 = (await generateKeyPair('ES256')).privateKey;

  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 6, applicationName: 'dropgate-customer-surface-test' });
  await store.migrate();
  const tiers = [{ name: 'standard', reward: 't-shirt', quantity: 30 }];
  redeemOnly = await createCampaignWithCodes(store, { tiers, settings: { claims: false } });
  claimsOpen = await createCampaignWithCodes(store, { tiers });
  verified = await createCampaignWithCodes(store, { tiers, settings: { claims: true, customerAuth: 'jwt', customerAudience: 'shop.example' } });
  verifiedAnyAudience = await createCampaignWithCodes(store, { tiers, settings: { claims: true, customerAuth: 'jwt' } });
  oneEach = await createCampaignWithCodes(store, { tiers, perCustomerLimit: 1 });

  app = await startIntake({
    store,
    env: {
      QUEUE_PREFIX: `${filePrefix}-app`,
      // Small on purpose: refused claims must not spend any of it (the accepted requests of this file spend 7).
      RATE_IP_POINTS: '8',
      RATE_IP_DURATION_S: '60',
      RATE_CUSTOMER_POINTS: '100000',
      CUSTOMER_JWT_SECRET: SECRET,
      CUSTOMER_JWT_PUBLIC_KEY: es256.publicPem,
    },
  });
  worker = await startAttemptWorker({ prefix: app.config.QUEUE_PREFIX, redemptions: store.redemptions });
});

afterAll(async () => {
  await worker?.close();
  await stopIntakeTest({ apps: [app], store, schema, prefix: filePrefix });
});

/** Every job the queue holds, whatever its state. */
async function jobCount(): Promise<number> {
  const counts = await app.queue.getJobCounts();
  return Object.values(counts).reduce((n, c) => n + c, 0);
}

describe('claims are opt-in', () => {
  it('answers 403 claims_disabled before any Redis work: nothing queued, no rate-limit point spent', async () => {
    const before = await jobCount();
    // More refused claims than the address's whole rate budget (8 per minute).
    for (let i = 0; i < 10; i++) {
      const res = await post('/v1/claims', { campaignId: redeemOnly.campaign.id, customerId: `grabber-${i}` });
      expectApiError(res, 403, 'claims_disabled');
    }
    expect(await jobCount()).toBe(before);
    // Had any of them reached the limiter, this address would now be limited: it is not.
    const redeemed = await post('/v1/redemptions', { campaignId: redeemOnly.campaign.id, code: redeemOnly.codes.standard![0]!, customerId: 'honest' }, { prefer: 'wait=10' });
    expect(redeemed.status).toBe(200);
    expect(redeemed.json).toMatchObject({ status: 'done', outcome: 'redeemed' });
    const metrics = (await http(app.internalUrl, '/metrics')).text;
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'claims_disabled' })).toBe(10);
  });

  it('a campaign with claims on hands out codes to claims', async () => {
    const res = await post('/v1/claims', { campaignId: claimsOpen.campaign.id, customerId: 'claimer' }, { prefer: 'wait=10' });
    expect(res.json).toMatchObject({ status: 'done', outcome: 'claimed' });
  });
});

describe('verified customers (customerAuth "jwt")', () => {
  const claimOn = (campaign: CampaignFixture, headers: Record<string, string>, body: Record<string, unknown> = {}) =>
    post('/v1/claims', { campaignId: campaign.campaign.id, ...body }, headers);

  it('refuses a missing, malformed, forged, expired, audience-less or exp-less token with 401 and a stable code, queueing nothing', async () => {
    const before = await jobCount();
    expectApiError(await claimOn(verified, {}), 401, 'customer_token_missing');
    expectApiError(await claimOn(verified, { authorization: 'Basic abc' }), 401, 'customer_token_invalid');
    expectApiError(await claimOn(verified, bearer('not-a-jwt')), 401, 'customer_token_invalid');
    expectApiError(await claimOn(verified, bearer(await token({ sub: 'mallory', aud: 'shop.example', expIn: -60 }))), 401, 'customer_token_expired');
    expectApiError(await claimOn(verified, bearer(await token({ sub: 'mallory', aud: 'other.example' }))), 401, 'customer_token_invalid');
    expectApiError(await claimOn(verified, bearer(await token({ sub: 'mallory' }))), 401, 'customer_token_invalid');
    expectApiError(await claimOn(verified, bearer(await token({ sub: 'mallory', aud: 'shop.example', expIn: null }))), 401, 'customer_token_invalid');
    expectApiError(await claimOn(verified, bearer(await token({ aud: 'shop.example' }))), 401, 'customer_token_invalid');
    const forged = await token({ sub: 'mallory', aud: 'shop.example', key: new TextEncoder().encode('x'.repeat(32)) });
    expectApiError(await claimOn(verified, bearer(forged)), 401, 'customer_token_invalid');
    expectApiError(await claimOn(verified, bearer(await token({ sub: 'mallory', aud: 'shop.example', alg: 'ES256', key: otherEs256 }))), 401, 'customer_token_invalid');
    // alg "none": an unsigned token with a valid-looking payload.
    const [, payload] = (await token({ sub: 'mallory', aud: 'shop.example' })).split('.');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expectApiError(await claimOn(verified, bearer(unsigned)), 401, 'customer_token_invalid');
    // The redemption route checks the same way.
    expectApiError(await post('/v1/redemptions', { campaignId: verified.campaign.id, code: verified.codes.standard![0]!, customerId: 'mallory' }), 401, 'customer_token_missing');
    expect(await jobCount()).toBe(before);
  });

  it('challenges as RFC 6750 says: Bearer realm on a missing token, error="invalid_token" on a refused one', async () => {
    expect((await claimOn(verified, {})).headers.get('www-authenticate')).toBe('Bearer realm="dropgate"');
    expect((await claimOn(verified, bearer('not-a-jwt'))).headers.get('www-authenticate')).toBe('Bearer realm="dropgate", error="invalid_token"');
    const expired = await claimOn(verified, bearer(await token({ sub: 'mallory', aud: 'shop.example', expIn: -60 })));
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="dropgate", error="invalid_token"');
    // Only 401s challenge.
    expect((await claimOn(verified, bearer(await token({ sub: 'alice', aud: 'shop.example' })), { customerId: 'bob' })).headers.get('www-authenticate')).toBeNull();
  });

  it('refuses a body customerId that is not the token\'s sub with 403 customer_mismatch', async () => {
    const jwt = await token({ sub: 'alice', aud: 'shop.example' });
    expectApiError(await claimOn(verified, bearer(jwt), { customerId: 'bob' }), 403, 'customer_mismatch');
    expectApiError(
      await post('/v1/redemptions', { campaignId: verified.campaign.id, code: verified.codes.standard![1]!, customerId: 'bob' }, bearer(jwt)),
      403,
      'customer_mismatch',
    );
  });

  it('accepts an HS256 token (sub = the customer, normalised) with or without a matching body customerId', async () => {
    // Spelled differently in the token and the body: one customer.
    const jwt = await token({ sub: 'Alice', aud: 'shop.example' });
    const res = await claimOn(verified, bearer(jwt), { customerId: ' ALICE' });
    expect(res.status).toBe(202);
    const job = await app.queue.getJob((res.json as { attemptId: string }).attemptId);
    expect(job!.data.customerId).toBe('alice');
  });

  it('accepts an ES256 token checked with CUSTOMER_JWT_PUBLIC_KEY, and any audience where the campaign sets none', async () => {
    const jwt = await token({ sub: 'carol', aud: 'anything', alg: 'ES256', key: es256.privateKey });
    const res = await post('/v1/redemptions', { campaignId: verifiedAnyAudience.campaign.id, code: verifiedAnyAudience.codes.standard![0]! }, { ...bearer(jwt), prefer: 'wait=10' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'done', outcome: 'redeemed' });
    expect(await store.codes.get(verifiedAnyAudience.campaign.id, verifiedAnyAudience.codes.standard![0]!)).toMatchObject({ state: 'redeemed', customerId: 'carol' });
  });
});

describe('one customer whatever the spelling', () => {
  it('"Alice", "alice " and the full-width form get ONE code between them (the limit holds in the store)', async () => {
    const own = oneEach;
    const outcomes: string[] = [];
    for (const spelling of ['Alice', 'alice ', '\uFF21\uFF4C\uFF49\uFF43\uFF45']) {
      const res = await post('/v1/claims', { campaignId: own.campaign.id, customerId: spelling }, { prefer: 'wait=10' });
      outcomes.push((res.json as { outcome: string }).outcome);
    }
    expect(outcomes).toEqual(['claimed', 'customer_limit_reached', 'customer_limit_reached']);
    // And the store alone (any caller: worker, admin, script) holds the line too.
    const direct = await store.redemptions.claim({ attemptId: `att_direct_${randomBytes(6).toString('hex')}`, campaignId: own.campaign.id, customerId: 'ALICE\u3000', now: new Date() });
    expect(direct.outcome).toBe('customer_limit_reached');
    expect((await store.codes.counts(own.campaign.id)).standard!.redeemed).toBe(1);
  });
});

describe('the public port', () => {
  it('serves no /metrics and no /readyz; the internal port does, and /healthz stays public', async () => {
    expectApiError(await http(app.url, '/metrics'), 404, 'not_found');
    expectApiError(await http(app.url, '/readyz'), 404, 'not_found');
    expect((await http(app.url, '/healthz')).status).toBe(200);
    const metrics = await http(app.internalUrl, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^# TYPE dropgate_intake_requests_total counter$/m);
    expect((await http(app.internalUrl, '/readyz')).json).toEqual({ status: 'ready' });
  });
});
