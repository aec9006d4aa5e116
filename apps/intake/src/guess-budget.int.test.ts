import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { codeFilterPrefix, rebuildCodeFilter } from '@dropgate/code-filter';
import { generateCodes } from '@dropgate/core';
import { clientSource, GuessBudget, guessBudgetPrefix } from '@dropgate/guard';
import { createRedis, closeRedis } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { counterValue, deleteKeysByPrefix, expectApiError, http, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL, waitFor, type HttpResult } from '@dropgate/testkit';
import { startAttemptWorker, type TestWorker } from '../test/attempt-worker';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/**
 * Guess budgets end to end over HTTP with their DEFAULTS (GUESS_*): real PostgreSQL, real Redis, the intake as main.ts
 * builds it behind one trusted proxy hop (X-Forwarded-For chooses the client address), a real worker.
 */

const schema = tempPgSchema('dg_t');
const prefix = `dgt${randomBytes(4).toString('hex')}`;
let store: Store;
let filtered: CampaignFixture;
let unfiltered: CampaignFixture;
/** Customers verified by a token (customerAuth "jwt"): the body may leave customerId out. */
let verified: CampaignFixture;
const JWT_SECRET = randomBytes(32).toString('base64url');
let app: RunningIntake;
let worker: TestWorker;
const workerRedis = createRedis(TEST_REDIS_URL, 'client', 'test-worker-guesses', { onError: () => undefined });

const from = (ip: string) => ({ 'x-forwarded-for': ip });
const customer = (): string => `c-${randomBytes(5).toString('hex')}`;
const wrongCode = (f: CampaignFixture): string => {
  for (;;) {
    const code = generateCodes(f.campaign.codeSpec, 1)[0]!;
    if (!Object.values(f.codes).some((codes) => codes.includes(code))) return code;
  }
};
const redeem = (f: CampaignFixture, ip: string, code: string, customerId = customer(), headers: Record<string, string> = {}): Promise<HttpResult> =>
  http(app.url, '/v1/redemptions', { body: { campaignId: f.campaign.id, code, customerId }, headers: { ...from(ip), ...headers } });

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, applicationName: 'dropgate-intake-guess-test' });
  await store.migrate();
  filtered = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 't-shirt', quantity: 20 }], perCustomerLimit: 1 });
  unfiltered = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'cap', quantity: 5 }] });
  verified = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'pin', quantity: 5 }], settings: { claims: true, customerAuth: 'jwt' } });
  app = await startIntake({
    store,
    env: { QUEUE_PREFIX: prefix, TRUST_PROXY: '1', RATE_IP_POINTS: '100000', RATE_CUSTOMER_POINTS: '100000', RATE_SUBNET_POINTS: '100000', RATE_ADDRESS_CUSTOMERS: '100000', RATE_SUBNET_CUSTOMERS: '100000', CODE_FILTER_POLL_MS: '100', PREFER_WAIT_MAX_S: '10', CUSTOMER_JWT_SECRET: JWT_SECRET },
  });
  await app.catalog.refresh();
  for (const f of [filtered, verified]) {
    await rebuildCodeFilter(store, app.producer, codeFilterPrefix(prefix), f.campaign.id);
    await waitFor('filter loaded', () => (app.codeFilter.get(f.campaign.id) ? true : undefined), 2000, 10);
  }
  const guesses = new GuessBudget({ redis: workerRedis, prefix: guessBudgetPrefix(prefix) });
  worker = await startAttemptWorker({ prefix, redemptions: store.redemptions, onWrongCode: (a) => guesses.recordWrongGuess(a) });
});

afterAll(async () => {
  await worker?.close();
  await closeRedis(workerRedis);
  await stopIntakeTest({ apps: [app], store, schema, prefix });
});

describe('guess budgets at the intake (defaults)', () => {
  it('blocks one address sending well-formed wrong codes, a new customer id each, within 60 guesses; then refuses even its real codes', async () => {
    const ip = '198.51.100.7';
    let firstBlocked = -1;
    for (let i = 1; i <= 60 && firstBlocked < 0; i++) {
      const res = await redeem(filtered, ip, wrongCode(filtered));
      if (res.status === 429) firstBlocked = i;
      else expectApiError(res, 404, 'code_not_found');
    }
    expect(firstBlocked).toBeGreaterThan(3); // a few typos never block
    expect(firstBlocked).toBeLessThanOrEqual(60);
    const real = await redeem(filtered, ip, filtered.codes.standard![0]!);
    expectApiError(real, 429, 'rate_limited');
    expect(Number(real.headers.get('retry-after'))).toBeGreaterThanOrEqual(55);
    const claims = await http(app.url, '/v1/claims', { body: { campaignId: filtered.campaign.id, customerId: customer() }, headers: from(ip) });
    expectApiError(claims, 429, 'rate_limited');
    // refused before the body is read: even a body that is not JSON gets the 429
    const raw = await http(app.url, '/v1/redemptions', { body: 'not json', headers: { ...from(ip), 'content-type': 'application/json' } });
    expect(raw.status).toBe(429);
    const metrics = await (await fetch(`${app.internalUrl}/metrics`)).text();
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'blocked_address' })).toBeGreaterThanOrEqual(3);
    // another subnet is untouched
    expect((await redeem(filtered, '192.0.2.50', wrongCode(filtered))).status).toBe(404);
  });

  it('blocks a subnet rotating addresses within 200 guesses, then refuses any address of it', async () => {
    let firstBlocked = -1;
    for (let i = 1; i <= 200 && firstBlocked < 0; i++) {
      const ip = `203.0.113.${1 + (i % 250)}`; // a new address every guess
      const res = await redeem(filtered, ip, wrongCode(filtered));
      if (res.status === 429) firstBlocked = i;
      else expectApiError(res, 404, 'code_not_found');
    }
    expect(firstBlocked).toBeGreaterThan(20);
    expect(firstBlocked).toBeLessThanOrEqual(200);
    expectApiError(await redeem(filtered, '203.0.113.251', filtered.codes.standard![1]!), 429, 'rate_limited');
    const metrics = await (await fetch(`${app.internalUrl}/metrics`)).text();
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'blocked_subnet' })).toBeGreaterThanOrEqual(1);
  });

  it('lets an honest person with 3 typos redeem', async () => {
    const ip = '192.0.2.77';
    const me = 'honest-alice';
    const real = filtered.codes.standard![5]!;
    for (const typo of [real.slice(0, -1) + (real.endsWith('A') ? 'B' : 'A'), wrongCode(filtered), wrongCode(filtered)]) {
      expectApiError(await redeem(filtered, ip, typo, me), 404, 'code_not_found');
    }
    const res = await redeem(filtered, ip, real, me, { prefer: 'wait=10' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'done', outcome: 'redeemed', code: real });
  });

  it("counts a wrong code the worker finds (the filter's false positive) against the same source", async () => {
    const ip = '100.64.9.200'; // a subnet no other test uses
    const source = clientSource(ip);
    const res = await redeem(unfiltered, ip, wrongCode(unfiltered), customer(), { prefer: 'wait=10' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'done', outcome: 'code_not_found' });
    const gb = guessBudgetPrefix(prefix);
    expect(Number(await workerRedis.get(`${gb}:address:${source.address}`))).toBe(1);
    expect(Number(await workerRedis.get(`${gb}:subnet:${source.subnet}`))).toBe(1);
    expect(Number(await workerRedis.hget(`${gb}:campaigns`, unfiltered.campaign.id))).toBe(1);
  });
});

describe('a verified customer (customerAuth "jwt") over the customer budget', () => {
  const bearerFor = async (sub: string) => ({
    authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET))}`,
  });
  // The documented request of a verified customer: no customerId in the body, the token's sub names them.
  const send = async (path: string, ip: string, sub: string, body: Record<string, string> = {}) =>
    http(app.url, path, { body: { campaignId: verified.campaign.id, ...body }, headers: { ...from(ip), ...(await bearerFor(sub)) } });

  it('is refused when the token alone names them, a real code and a claim included, as with a customerId in the body', async () => {
    // A new address (and /24) for every wrong code: only the customer's budget (GUESS_CUSTOMER_BUDGET, 10) can trip.
    let firstBlocked = -1;
    for (let i = 1; i <= 20 && firstBlocked < 0; i++) {
      const res = await send('/v1/redemptions', `100.72.${i}.1`, 'mallory', { code: wrongCode(verified) });
      if (res.status === 429) firstBlocked = i;
      else expectApiError(res, 404, 'code_not_found');
    }
    expect(firstBlocked).toBeGreaterThan(3);
    const realCode = verified.codes.standard![0]!;
    // From addresses that never guessed: the customer is what is blocked.
    expectApiError(await send('/v1/redemptions', '100.73.0.1', 'mallory', { code: realCode, customerId: 'mallory' }), 429, 'rate_limited');
    const byToken = await send('/v1/redemptions', '100.73.0.2', 'mallory', { code: realCode });
    expectApiError(byToken, 429, 'rate_limited');
    expect(Number(byToken.headers.get('retry-after'))).toBeGreaterThanOrEqual(55);
    expectApiError(await send('/v1/claims', '100.73.0.3', 'mallory'), 429, 'rate_limited');
    // Another verified customer redeems that code from the same kind of address.
    const honest = await http(app.url, '/v1/redemptions', {
      body: { campaignId: verified.campaign.id, code: realCode },
      headers: { ...from('100.73.0.4'), ...(await bearerFor('trudy')), prefer: 'wait=10' },
    });
    expect(honest.json).toMatchObject({ status: 'done', outcome: 'redeemed', code: realCode });
  });
});

describe('request-rate layers at the intake', () => {
  let tight: RunningIntake;

  beforeAll(async () => {
    tight = await startIntake({
      store,
      env: { QUEUE_PREFIX: `${prefix}-tight`, TRUST_PROXY: '1', RATE_IP_POINTS: '3', RATE_IP_DURATION_S: '60', RATE_IP_BLOCK_S: '60', RATE_CUSTOMER_POINTS: '100', RATE_ADDRESS_CUSTOMERS: '100' },
    });
    await tight.catalog.refresh();
  });

  afterAll(async () => {
    await tight?.close();
  });

  it('once an address is over its request rate, refuses it before reading the body, from memory', async () => {
    const ip = '100.64.77.1';
    const claim = () => http(tight.url, '/v1/claims', { body: { campaignId: filtered.campaign.id, customerId: customer() }, headers: from(ip) });
    const codes = filtered.codes.standard!;
    for (let i = 0; i < 3; i++) expect((await http(tight.url, '/v1/redemptions', { body: { campaignId: filtered.campaign.id, code: codes[10 + i]!, customerId: customer() }, headers: from(ip) })).status).toBe(202);
    const refused = await http(tight.url, '/v1/redemptions', { body: { campaignId: filtered.campaign.id, code: codes[14]!, customerId: customer() }, headers: from(ip) });
    expectApiError(refused, 429, 'rate_limited');
    // From now on the address is refused before its body is read: not even JSON is needed, nor Redis.
    const raw = await http(tight.url, '/v1/redemptions', { body: '{not json', headers: { ...from(ip), 'content-type': 'application/json' } });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(50);
    expect((await claim()).status).toBe(429);
    const metrics = await (await fetch(`${tight.internalUrl}/metrics`)).text();
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'rate_ip' })).toBe(1);
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'blocked_address' })).toBe(2);
  });
});

describe("wrong codes' customer ids and the distinct-customer caps at the intake", () => {
  let capped: RunningIntake;
  const cappedPrefix = `${prefix}-capped`;

  beforeAll(async () => {
    capped = await startIntake({
      store,
      env: { QUEUE_PREFIX: cappedPrefix, TRUST_PROXY: '1', RATE_ADDRESS_CUSTOMERS: '3', RATE_SUBNET_CUSTOMERS: '100', RATE_CUSTOMERS_BLOCK_S: '300', GUESS_ADDRESS_BUDGET: '1000', GUESS_SUBNET_BUDGET: '1000', CODE_FILTER_POLL_MS: '100' },
    });
    await capped.catalog.refresh();
    await rebuildCodeFilter(store, capped.producer, codeFilterPrefix(cappedPrefix), filtered.campaign.id);
    await waitFor('filter loaded', () => (capped.codeFilter.get(filtered.campaign.id) ? true : undefined), 2000, 10);
  });

  afterAll(async () => {
    await capped?.close();
    await deleteKeysByPrefix(cappedPrefix);
  });

  it('blocks an address guessing with a new customer id each time at its distinct-customer cap, then refuses its real codes', async () => {
    const ip = '100.64.88.1';
    const send = (code: string, customerId = customer()) => http(capped.url, '/v1/redemptions', { body: { campaignId: filtered.campaign.id, code, customerId }, headers: from(ip) });
    for (let i = 0; i < 3; i++) expectApiError(await send(wrongCode(filtered)), 404, 'code_not_found');
    const over = await send(wrongCode(filtered));
    expectApiError(over, 429, 'rate_limited');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(290);
    // The address is refused before its body is read now, a real code included.
    expectApiError(await send(filtered.codes.standard![15]!), 429, 'rate_limited');
  });
});
