import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Job } from 'bullmq';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { counterValue, expectApiError, http, nextEvent, tempPgSchema, TEST_DATABASE_URL, waitFor, type HttpResult } from '@dropgate/testkit';
import { startAttemptWorker, type TestWorker } from '../test/attempt-worker';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/**
 * The public API as a client developer meets it: a web page on another origin (CORS), a mobile app retrying with an
 * Idempotency-Key however it spells the request, a status page long-polling an attempt, a path with a trailing slash.
 * Real PostgreSQL store and Redis (random schema and key prefix), the intake built as main.ts builds it.
 */

const schema = tempPgSchema('dg_pc');
const filePrefix = `dgpc${randomBytes(4).toString('hex')}`;
const OPEN_LIMITS = { RATE_IP_POINTS: '100000', RATE_CUSTOMER_POINTS: '100000', RATE_SUBNET_POINTS: '100000', RATE_ADDRESS_CUSTOMERS: '100000', RATE_SUBNET_CUSTOMERS: '100000' };
const SHOP = 'https://shop.example';
const HUNG_MS = 20_000;
/** An answer "at once" on a loaded 2-core machine, far below a long poll's 30 s. */
const AT_ONCE_MS = 8000;
const LONG_WAIT_S = 30;

let store: Store;
let drop: CampaignFixture;
const apps: RunningIntake[] = [];

async function startApp(name: string, env: Record<string, string> = {}, fastLane?: boolean): Promise<RunningIntake> {
  const app = await startIntake({ store, env: { QUEUE_PREFIX: `${filePrefix}-${name}`, ...OPEN_LIMITS, ...env }, ...(fastLane === undefined ? {} : { fastLane }) });
  apps.push(app);
  return app;
}

const attemptOf = (res: HttpResult): string => (res.json as { attemptId: string }).attemptId;

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 4, applicationName: 'dropgate-public-client-test' });
  await store.migrate();
  drop = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 't-shirt', quantity: 30 }] });
});

afterAll(() => stopIntakeTest({ apps, store, schema, prefix: filePrefix }));

describe('CORS (PUBLIC_CORS_ORIGINS)', () => {
  let open: RunningIntake;

  beforeAll(async () => {
    open = await startApp('cors', { PUBLIC_CORS_ORIGINS: `${SHOP}, http://localhost:8080` });
  });

  const preflight = (url: string, path: string, origin: string) =>
    http(url, path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key,prefer' } });

  it('answers an allowed origin’s preflight with 204, the methods and headers the API takes, and a max age', async () => {
    const res = await preflight(open.url, '/v1/redemptions', SHOP);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization, Idempotency-Key, Prefer');
    expect(res.headers.get('access-control-max-age')).toBe('7200');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers the preflight before load shedding: a shedding intake still answers it', async () => {
    const shedding = await startApp('cors-shed', { PUBLIC_CORS_ORIGINS: SHOP, SHED_MAX_IN_FLIGHT: '1' });
    // The one place in flight taken by a request whose body never comes.
    const socket = connect(Number(new URL(shedding.url).port), '127.0.0.1');
    try {
      socket.write('POST /v1/claims HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n');
      await waitFor('the request to be in flight', () => (shedding.shedder.inFlight === 1 ? true : undefined));
      expectApiError(await http(shedding.url, '/v1/claims', { body: { campaignId: drop.campaign.id, customerId: 'cors-shed' }, headers: { origin: SHOP } }), 503, 'overloaded');
      const res = await preflight(shedding.url, '/v1/claims', SHOP);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    } finally {
      socket.destroy();
    }
  });

  it('gives an allowed origin’s answers (202, errors, GET) its origin and the headers a script needs', async () => {
    const accepted = await http(open.url, '/v1/claims', { body: { campaignId: drop.campaign.id, customerId: 'cors-fan' }, headers: { origin: SHOP } });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(accepted.headers.get('access-control-expose-headers')).toBe('Location, Retry-After, Preference-Applied');
    expect(accepted.headers.get('vary')).toBe('Origin');
    const refused = await http(open.url, '/v1/redemptions', { body: { campaignId: 'nope', code: 'X', customerId: 'cors-fan' }, headers: { origin: 'http://localhost:8080' } });
    expectApiError(refused, 404, 'campaign_not_found');
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
    const campaign = await http(open.url, `/v1/campaigns/${drop.campaign.id}`, { headers: { origin: SHOP } });
    expect(campaign.status).toBe(200);
    expect(campaign.headers.get('access-control-allow-origin')).toBe(SHOP);
  });

  it('gives another origin no CORS header (the browser keeps the answer from its page), and answers its preflight as any OPTIONS', async () => {
    const res = await preflight(open.url, '/v1/redemptions', 'https://evil.example');
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
    const post = await http(open.url, '/v1/claims', { body: { campaignId: drop.campaign.id, customerId: 'cors-evil' }, headers: { origin: 'https://evil.example' } });
    expect(post.status).toBe(202);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    // A prefix or a suffix of an allowed origin is not it.
    expect((await preflight(open.url, '/v1/claims', `${SHOP}.evil.example`)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it("with '*' answers every origin with '*' (no Vary); without the variable sends no CORS header at all", async () => {
    const any = await startApp('cors-any', { PUBLIC_CORS_ORIGINS: '*' });
    const res = await preflight(any.url, '/v1/claims', 'https://anyone.example');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('vary')).toBeNull();
    const none = await startApp('cors-none');
    const closed = await preflight(none.url, '/v1/claims', SHOP);
    expect(closed.status).toBe(204);
    expect(closed.headers.get('access-control-allow-origin')).toBeNull();
    const post = await http(none.url, '/v1/claims', { body: { campaignId: drop.campaign.id, customerId: 'cors-none' }, headers: { origin: SHOP } });
    expect(post.status).toBe(202);
    expect([...post.headers.keys()].filter((h) => h.startsWith('access-control-') || h === 'vary')).toEqual([]);
  });

  it('counts a preflight under its route in the request metrics', async () => {
    const metrics = async () => (await http(open.internalUrl, '/metrics')).text;
    const before = counterValue(await metrics(), 'dropgate_intake_requests_total', { route: '/v1/redemptions', status: '204' });
    await preflight(open.url, '/v1/redemptions?from=page', SHOP);
    await waitFor('the preflight to be counted', async () =>
      counterValue(await metrics(), 'dropgate_intake_requests_total', { route: '/v1/redemptions', status: '204' }) === before + 1 ? true : undefined,
    );
  });
});

describe('Idempotency-Key: a retry is the same request however it is spelled', () => {
  let app: RunningIntake;
  const waitingCount = () => app.queue.getJobCountByTypes('wait', 'delayed');

  beforeAll(async () => {
    app = await startApp('idem');
  });

  it.each([true, false])('maps a redemption retried with another spelling to its attempt, queueing nothing new (fast lane %p)', async (fastLane) => {
    const lane = fastLane ? app : await startApp(`idem-express-${randomBytes(2).toString('hex')}`, {}, false);
    const code = drop.codes.standard![fastLane ? 0 : 1]!;
    const key = `retry-${randomBytes(6).toString('hex')}`;
    const first = await http(lane.url, '/v1/redemptions', { body: { campaignId: drop.campaign.id, code, customerId: 'Zoë Retry' }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(202);
    const before = await lane.queue.getJobCountByTypes('wait', 'delayed');
    const spellings = [
      { customerId: '  zoë retry ', code: code.toLowerCase(), campaignId: drop.campaign.id },
      { code: code.replaceAll('-', ''), campaignId: drop.campaign.id, customerId: 'ZOË RETRY' },
      { campaignId: drop.campaign.id, code: code.replaceAll('-', ' ').toLowerCase(), customerId: 'Ｚｏë Retry' },
    ];
    for (const body of spellings) {
      const retry = await http(lane.url, '/v1/redemptions', { body, headers: { 'idempotency-key': key } });
      expect({ status: retry.status, attemptId: attemptOf(retry) }).toEqual({ status: 202, attemptId: attemptOf(first) });
    }
    expect(await lane.queue.getJobCountByTypes('wait', 'delayed')).toBe(before);
  });

  it('still refuses another code or tier under the same key with 422 idempotency_key_reused', async () => {
    const key = `retry-${randomBytes(6).toString('hex')}`;
    const body = { campaignId: drop.campaign.id, code: drop.codes.standard![2]!, customerId: 'other-request' };
    expect((await http(app.url, '/v1/redemptions', { body, headers: { 'idempotency-key': key } })).status).toBe(202);
    const claimKey = `retry-${randomBytes(6).toString('hex')}`;
    const claim = { campaignId: drop.campaign.id, customerId: 'other-tier' };
    expect((await http(app.url, '/v1/claims', { body: claim, headers: { 'idempotency-key': claimKey } })).status).toBe(202);
    const before = await waitingCount();
    const otherCode = await http(app.url, '/v1/redemptions', { body: { ...body, code: drop.codes.standard![3]! }, headers: { 'idempotency-key': key } });
    expectApiError(otherCode, 422, 'idempotency_key_reused');
    expectApiError(await http(app.url, '/v1/claims', { body: { ...claim, tier: 'standard' }, headers: { 'idempotency-key': claimKey } }), 422, 'idempotency_key_reused');
    expect(await waitingCount()).toBe(before);
  });

  it('recalls a differently spelled retry after the campaign closed too', async () => {
    const closing = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'pin', quantity: 2 }] });
    await app.catalog.refresh();
    const key = `retry-${randomBytes(6).toString('hex')}`;
    const code = closing.codes.standard![0]!;
    const first = await http(app.url, '/v1/redemptions', { body: { campaignId: closing.campaign.id, code, customerId: 'late-retry' }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(202);
    await store.campaigns.setStatus(closing.campaign.id, 'ended');
    await app.catalog.refresh();
    const retry = await http(app.url, '/v1/redemptions', {
      body: { customerId: 'Late-Retry ', code: code.toLowerCase().replaceAll('-', ''), campaignId: closing.campaign.id },
      headers: { 'idempotency-key': key },
    });
    expect({ status: retry.status, attemptId: attemptOf(retry) }).toEqual({ status: 202, attemptId: attemptOf(first) });
    const other = { campaignId: closing.campaign.id, code: closing.codes.standard![1]!, customerId: 'late-retry' };
    expectApiError(await http(app.url, '/v1/redemptions', { body: other, headers: { 'idempotency-key': key } }), 409, 'campaign_not_active');
  });
});

describe('GET /v1/attempts/:id with Prefer: wait', () => {
  let app: RunningIntake;
  let worker: TestWorker;

  beforeAll(async () => {
    app = await startApp('poll', { PREFER_WAIT_MAX_S: String(LONG_WAIT_S) });
    worker = await startAttemptWorker({ prefix: app.config.QUEUE_PREFIX, redemptions: store.redemptions });
  });

  afterAll(async () => {
    await worker?.close();
  });

  it('answers once the attempt finishes, woken by the queue’s events (one registered wait, no polling)', async () => {
    const release = worker.hold('poll-waiter');
    const accepted = await http(app.url, '/v1/claims', { body: { campaignId: drop.campaign.id, customerId: 'poll-waiter' } });
    expect(accepted.status).toBe(202);
    const attemptId = attemptOf(accepted);
    const polled = http(app.url, `/v1/attempts/${attemptId}`, { headers: { prefer: `wait=${LONG_WAIT_S}` }, timeoutMs: HUNG_MS + LONG_WAIT_S * 1000 });
    await waitFor('the status read to wait', () => (app.gateway.waits.waiting === 1 ? true : undefined));
    const completed = nextEvent<[Job]>(worker.worker, 'completed', (job) => job.id === attemptId);
    const released = performance.now();
    release();
    await completed;
    const res = await polled;
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe(`wait=${LONG_WAIT_S}`);
    expect(res.json).toEqual({ attemptId, status: 'done', outcome: 'claimed', code: expect.any(String) as unknown, tier: 'standard', reward: 't-shirt' });
    // Woken by the finish, not by the 30 s deadline.
    expect(performance.now() - released).toBeLessThan(AT_ONCE_MS);
    expect(app.gateway.waits.waiting).toBe(0);
  });

  it('answers an attempt still unfinished at the deadline with its state then, after the wait (capped by PREFER_WAIT_MAX_S)', async () => {
    const release = worker.hold('poll-slow');
    try {
      const accepted = await http(app.url, '/v1/claims', { body: { campaignId: drop.campaign.id, customerId: 'poll-slow' } });
      const attemptId = attemptOf(accepted);
      const res = await http(app.url, `/v1/attempts/${attemptId}`, { headers: { prefer: 'wait=1' }, timeoutMs: HUNG_MS });
      expect(res.status).toBe(200);
      expect(res.headers.get('preference-applied')).toBe('wait=1');
      expect(res.json).toEqual({ attemptId, status: expect.stringMatching(/^(queued|processing)$/) as unknown });
      expect(res.elapsedMs).toBeGreaterThanOrEqual(950);
      expect(res.elapsedMs).toBeLessThan(1000 + AT_ONCE_MS);
    } finally {
      release();
    }
  });

  it('answers a retry of a finished attempt (same Idempotency-Key) with its outcome, 200, queueing nothing', async () => {
    const key = `retry-${randomBytes(6).toString('hex')}`;
    const body = { campaignId: drop.campaign.id, customerId: 'retry-after-done' };
    const first = await http(app.url, '/v1/claims', { body, headers: { 'idempotency-key': key, prefer: 'wait=20' }, timeoutMs: HUNG_MS + 20_000 });
    expect(first.status).toBe(200);
    const retry = await http(app.url, '/v1/claims', { body: { ...body, customerId: 'Retry-After-Done ' }, headers: { 'idempotency-key': key } });
    expect({ status: retry.status, body: retry.json }).toEqual({ status: 200, body: first.json });
    expect(retry.headers.get('location')).toBe(`/v1/attempts/${attemptOf(first)}`);
    expect(retry.headers.get('preference-applied')).toBeNull();
    const jobs = (await app.queue.getJobs(['wait', 'active', 'completed', 'failed', 'delayed'])).filter((j) => j.data.customerId === 'retry-after-done');
    expect(jobs.map((j) => j.id)).toEqual([attemptOf(first)]);
  });

  it('answers a finished attempt, an unknown one or one without Prefer at once', async () => {
    const done = await http(app.url, '/v1/claims', { body: { campaignId: drop.campaign.id, customerId: 'poll-done' }, headers: { prefer: 'wait=20' }, timeoutMs: HUNG_MS + 20_000 });
    expect(done.status).toBe(200);
    const again = await http(app.url, `/v1/attempts/${attemptOf(done)}`, { headers: { prefer: `wait=${LONG_WAIT_S}` }, timeoutMs: HUNG_MS });
    expect({ status: again.status, body: again.json }).toEqual({ status: 200, body: done.json });
    expect(again.elapsedMs).toBeLessThan(AT_ONCE_MS);
    const unknown = await http(app.url, '/v1/attempts/att_aaaaaaaaaaaaaaaaaaaa', { headers: { prefer: `wait=${LONG_WAIT_S}` }, timeoutMs: HUNG_MS });
    expectApiError(unknown, 404, 'attempt_not_found');
    expect(unknown.elapsedMs).toBeLessThan(AT_ONCE_MS);
    // A malformed id says what an id is, not only that this is not one.
    const malformed = await http(app.url, '/v1/attempts/not-one', { headers: { prefer: `wait=${LONG_WAIT_S}` }, timeoutMs: HUNG_MS });
    expectApiError(malformed, 400, 'invalid_request');
    expect((malformed.json as { error: { message: string } }).error.message).toBe('invalid attempt id: (root): not an attempt id (use the attemptId or the Location header of the 202 answer)');
  });
});

describe('a trailing slash', () => {
  it('is the same route, and counted under it (not "other")', async () => {
    const app = await startApp('slash');
    const metrics = async () => (await http(app.internalUrl, '/metrics')).text;
    const count = (text: string, route: string, status: string) => counterValue(text, 'dropgate_intake_requests_total', { route, status });
    const before = await metrics();
    const accepted = await http(app.url, '/v1/claims/', { body: { campaignId: drop.campaign.id, customerId: 'slash-fan' } });
    expect(accepted.status).toBe(202);
    expectApiError(await http(app.url, '/v1/redemptions/', { body: { campaignId: 'nope', code: 'X', customerId: 'slash-fan' } }), 404, 'campaign_not_found');
    expect((await http(app.url, `/v1/attempts/${attemptOf(accepted)}/`)).status).toBe(200);
    expect((await http(app.url, `/V1/Campaigns/${drop.campaign.id}`)).status).toBe(200);
    expectApiError(await http(app.url, '/v1/attempts/a/b'), 404, 'not_found');
    const after = await waitFor('the requests to be counted', async () => {
      const text = await metrics();
      return count(text, 'other', '404') > count(before, 'other', '404') ? text : undefined;
    });
    expect(count(after, '/v1/claims', '202') - count(before, '/v1/claims', '202')).toBe(1);
    expect(count(after, '/v1/redemptions', '404') - count(before, '/v1/redemptions', '404')).toBe(1);
    expect(count(after, '/v1/attempts/:attemptId', '200') - count(before, '/v1/attempts/:attemptId', '200')).toBe(1);
    expect(count(after, '/v1/campaigns/:campaignId', '200') - count(before, '/v1/campaigns/:campaignId', '200')).toBe(1);
    expect(count(after, 'other', '404') - count(before, 'other', '404')).toBe(1);
  });
});
