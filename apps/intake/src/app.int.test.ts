import { randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import { resolveCodeSpec } from '@dropgate/core';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import {
  expectApiError,
  freePort,
  http,
  nextEvent,
  tempPgSchema,
  TEST_DATABASE_URL,
  waitFor,
  type HttpResult,
} from '@dropgate/testkit';
import { startAttemptWorker, type TestWorker } from '../test/attempt-worker';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';
import { counterValue, sampleValue } from '@dropgate/testkit';

/**
 * The intake over HTTP, built as main.ts builds it: real PostgreSQL store (random schema), real BullMQ queue and
 * QueueEvents and rate guard on the real Redis (random key prefix), real metrics registry. A real BullMQ worker
 * running the worker's own processor answers the attempts where a test needs them finished.
 */

const schema = tempPgSchema('dg_t');
const filePrefix = `dgt${randomBytes(4).toString('hex')}`;
const RANDOM_ATTEMPT_ID = /^att_[a-z2-7]{20}$/;

/** Generous limits: only the rate-limit tests want to hit them. */
const OPEN_LIMITS = { RATE_IP_POINTS: '100000', RATE_CUSTOMER_POINTS: '100000', RATE_SUBNET_POINTS: '100000', RATE_ADDRESS_CUSTOMERS: '100000', RATE_SUBNET_CUSTOMERS: '100000' };

/**
 * Timing, with margins that hold on a loaded 2-core machine. An answer "at once" takes a few milliseconds; AT_ONCE_MS
 * is many times that, and still far below what it is told apart from: a waited-for answer (Prefer: wait=LONG_WAIT_S,
 * allowed by PREFER_WAIT_MAX_S=LONG_WAIT_S) or a hung request (the client gives up after HUNG_MS).
 */
const AT_ONCE_MS = 8000;
const LONG_WAIT_S = 30;
const HUNG_MS = 20_000;

let store: Store;
let drop: CampaignFixture;
let paused: CampaignFixture;
const apps: RunningIntake[] = [];

async function startApp(name: string, env: Record<string, string> = {}, producerUrl?: string): Promise<RunningIntake> {
  const app = await startIntake({ store, env: { QUEUE_PREFIX: `${filePrefix}-${name}`, ...OPEN_LIMITS, ...env }, ...(producerUrl ? { producerUrl } : {}) });
  apps.push(app);
  return app;
}

const claim = (campaignId: string, customerId: string, extra: Record<string, unknown> = {}) => ({ campaignId, customerId, ...extra });

function attemptOf(res: HttpResult): string {
  return (res.json as { attemptId: string }).attemptId;
}

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 8, applicationName: 'dropgate-intake-int-test' });
  await store.migrate();
  drop = await createCampaignWithCodes(store, {
    tiers: [
      { name: 'standard', reward: 't-shirt', quantity: 40 },
      { name: 'premium', reward: 'skate deck', quantity: 10 },
    ],
  });
  paused = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'cap', quantity: 3 }], status: 'paused' });
});

afterAll(() => stopIntakeTest({ apps, store, schema, prefix: filePrefix }));

// First: what it leaves behind (timers of ioredis and of the in-memory limiter) runs out while the rest runs.
describe('when the queue Redis is unreachable', () => {
  let app: RunningIntake;

  beforeAll(async () => {
    // Short windows: the rate guard's in-memory insurance (what answers while Redis is down) keeps a timer per key.
    const shortWindows = { RATE_IP_DURATION_S: '1', RATE_CUSTOMER_DURATION_S: '1' };
    app = await startApp('down', { ...shortWindows, PREFER_WAIT_MAX_S: String(LONG_WAIT_S) }, `redis://127.0.0.1:${await freePort()}`);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers POST with 503 unavailable at once, not a hung request', async () => {
    for (const path of ['/v1/claims', '/v1/redemptions']) {
      const body = path === '/v1/claims' ? claim(drop.campaign.id, 'outage') : { campaignId: drop.campaign.id, code: drop.codes.standard![36]!, customerId: 'outage' };
      const res = await http(app.url, path, { body, timeoutMs: HUNG_MS });
      expectApiError(res, 503, 'unavailable');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.elapsedMs).toBeLessThan(AT_ONCE_MS);
    }
    // Not even a client willing to wait is kept waiting.
    const waiting = await http(app.url, '/v1/claims', {
      body: claim(drop.campaign.id, 'outage-waiter'),
      headers: { prefer: `wait=${LONG_WAIT_S}` },
      timeoutMs: HUNG_MS,
    });
    expectApiError(waiting, 503, 'unavailable');
    expect(waiting.elapsedMs).toBeLessThan(AT_ONCE_MS);
  });

  it('answers GET /v1/attempts/:id with 503 unavailable at once', async () => {
    const res = await http(app.url, '/v1/attempts/att_aaaaaaaaaaaaaaaaaaaa', { timeoutMs: HUNG_MS });
    expectApiError(res, 503, 'unavailable');
    expect(res.elapsedMs).toBeLessThan(AT_ONCE_MS);
  });

  it('is not ready (503) but alive (200)', async () => {
    const ready = await http(app.internalUrl, '/readyz', { timeoutMs: HUNG_MS });
    expectApiError(ready, 503, 'unavailable');
    expect(ready.elapsedMs).toBeLessThan(AT_ONCE_MS);
    const health = await http(app.url, '/healthz');
    expect({ status: health.status, body: health.json }).toEqual({ status: 200, body: { status: 'ok', pid: process.pid } });
  });
});

describe('with a worker running', () => {
  let app: RunningIntake;
  let worker: TestWorker;

  beforeAll(async () => {
    app = await startApp('live', { PREFER_WAIT_MAX_S: '8' });
    await app.catalog.refresh();
    worker = await startAttemptWorker({ prefix: app.config.QUEUE_PREFIX, redemptions: store.redemptions });
  });

  afterAll(async () => {
    await worker?.close();
  });

  it('answers a claim with 202 + Location + queued, then shows it processing and done with the assigned code', async () => {
    const customerId = 'hold-claimer';
    const release = worker.hold(customerId);
    const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, customerId, { tier: 'standard' }) });
    expect(res.status).toBe(202);
    const attemptId = attemptOf(res);
    expect(attemptId).toMatch(RANDOM_ATTEMPT_ID);
    expect(res.json).toEqual({ attemptId, status: 'queued' });
    expect(res.headers.get('location')).toBe(`/v1/attempts/${attemptId}`);
    expect(res.headers.get('preference-applied')).toBeNull();

    await waitFor('the held job to be active', async () => ((await app.queue.getJobState(attemptId)) === 'active' ? true : undefined));
    const processing = await http(app.url, `/v1/attempts/${attemptId}`);
    expect(processing.status).toBe(200);
    expect(processing.json).toEqual({ attemptId, status: 'processing' });

    const completed = nextEvent<[Job]>(worker.worker, 'completed', (job) => job.id === attemptId);
    release();
    await completed;
    const done = await http(app.url, `/v1/attempts/${attemptId}`);
    expect(done.status).toBe(200);
    const view = done.json as { code: string };
    expect(view).toEqual({ attemptId, status: 'done', outcome: 'claimed', code: expect.any(String) as unknown, tier: 'standard', reward: 't-shirt' });
    expect(drop.codes.standard).toContain(view.code);
    // The store agrees: that code now belongs to this customer, through this attempt.
    expect(await store.codes.get(drop.campaign.id, view.code)).toMatchObject({ state: 'redeemed', customerId, attemptId });
  });

  it('normalises a lower-case code and, with Prefer: wait=5, answers 200 with the final outcome', async () => {
    const code = drop.codes.premium![0]!;
    const res = await http(app.url, '/v1/redemptions', {
      body: { campaignId: drop.campaign.id, code: `  ${code.toLowerCase()} `, customerId: 'lower-case-typist' },
      headers: { prefer: 'wait=5' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=5');
    const attemptId = attemptOf(res);
    expect(res.headers.get('location')).toBe(`/v1/attempts/${attemptId}`);
    expect(res.json).toEqual({ attemptId, status: 'done', outcome: 'redeemed', code, tier: 'premium', reward: 'skate deck' });
    expect(await store.codes.get(drop.campaign.id, code)).toMatchObject({ state: 'redeemed', customerId: 'lower-case-typist' });
  });

  it('holds every attempt ATTEMPT_HOLD_MS (a job delay) and gives it its hashed source; a client waiting still gets its outcome', async () => {
    expect(app.config.ATTEMPT_HOLD_MS).toBe(2000);
    // The claim above took a random standard code (claim_order is random): one of these six is certainly free.
    let code = '';
    for (const candidate of drop.codes.standard!.slice(30, 36)) {
      if ((await store.codes.get(drop.campaign.id, candidate))?.state === 'available') {
        code = candidate;
        break;
      }
    }
    const res = await http(app.url, '/v1/redemptions', {
      body: { campaignId: drop.campaign.id, code, customerId: 'held-waiter' },
      headers: { prefer: 'wait=8' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'done', outcome: 'redeemed', code });
    const job = await app.queue.getJob(attemptOf(res));
    // Held from its acceptance: the delay is the hold less the moments the intake took to enqueue it.
    expect(job!.opts.delay).toBeGreaterThan(0);
    expect(job!.opts.delay).toBeLessThanOrEqual(2000);
    expect(job!.processedOn! - Date.parse(job!.data.acceptedAt)).toBeGreaterThanOrEqual(2000);
    const source = job!.data.source as { address: string; subnet: string };
    expect(source.address).toMatch(/^[\w-]{16}$/);
    expect(source.subnet).toMatch(/^[\w-]{16}$/);
    // A claim carries its source too: the deferred verdict judges both kinds.
    const claimed = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'held-claimer', { tier: 'premium' }) });
    expect(claimed.status).toBe(202);
    expect((await app.queue.getJob(attemptOf(claimed)))!.data.source).toEqual(source);
  });

  it('reports a domain outcome as done (not failed): the same code again is code_already_used, without a code', async () => {
    const code = drop.codes.premium![0]!;
    const res = await http(app.url, '/v1/redemptions', {
      body: { campaignId: drop.campaign.id, code, customerId: 'second-comer' },
      headers: { prefer: 'wait=5' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ attemptId: attemptOf(res), status: 'done', outcome: 'code_already_used' });
  });

  it('caps Prefer: wait at PREFER_WAIT_MAX_S', async () => {
    const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'impatient-not'), headers: { prefer: 'wait=999' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=8');
    expect(res.json).toMatchObject({ status: 'done', outcome: 'claimed' });
  });

  it('caps a Prefer: wait too big for a number or a timer at PREFER_WAIT_MAX_S too', async () => {
    const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'impatient-huge'), headers: { prefer: 'wait=99999999999999999999' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=8');
    expect(res.json).toMatchObject({ status: 'done', outcome: 'claimed' });
  });

  it('answers 404 attempt_not_found for an unknown attempt and 400 for a malformed id', async () => {
    expectApiError(await http(app.url, '/v1/attempts/att_aaaaaaaaaaaaaaaaaaaa'), 404, 'attempt_not_found');
    expectApiError(await http(app.url, '/v1/attempts/idem_unknownunknown'), 404, 'attempt_not_found');
    for (const bad of ['short', 'a'.repeat(65), 'has%20space%20in', 'semi;colon1', '%E0%A4%A']) {
      expectApiError(await http(app.url, `/v1/attempts/${bad}`), 400, 'invalid_request');
    }
  });

  it('answers 404 campaign_not_found, 409 campaign_not_active / sold_out, 400 invalid_code_format, 422 unknown_tier', async () => {
    const code = drop.codes.standard![39]!;
    const who = 'turned-away';
    expectApiError(await http(app.url, '/v1/redemptions', { body: { campaignId: 'no_such_campaign', code, customerId: who } }), 404, 'campaign_not_found');
    expectApiError(await http(app.url, '/v1/claims', { body: claim('no_such_campaign', who) }), 404, 'campaign_not_found');
    expectApiError(await http(app.url, '/v1/claims', { body: claim(paused.campaign.id, who) }), 409, 'campaign_not_active');
    expectApiError(
      await http(app.url, '/v1/redemptions', { body: { campaignId: paused.campaign.id, code: paused.codes.standard![0]!, customerId: who } }),
      409,
      'campaign_not_active',
    );
    // A campaign whose target is reached answers sold_out, the same word the store would record.
    const full = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'pin', quantity: 2 }] });
    await store.campaigns.update(full.campaign.id, { target: 1 });
    const winner = await store.redemptions.claim({ attemptId: `att_full_${full.campaign.id.slice(4)}`, campaignId: full.campaign.id, customerId: 'early', now: new Date() });
    expect(winner.outcome).toBe('claimed');
    await app.catalog.refresh();
    expectApiError(await http(app.url, '/v1/claims', { body: claim(full.campaign.id, who) }), 409, 'sold_out');
    // 'O' and '0' are not in the default alphabet; wrong lengths, wrong literals. (A code typed without its dashes is
    // laid out as the campaign writes it: normalizeCode.)
    for (const wrong of ['SYN-OOOO-0000', code.slice(0, -1), `${code}2`, code.replace('SYN-', 'SIN-'), 'hello', code.replace(/-/g, '').slice(1)]) {
      expectApiError(await http(app.url, '/v1/redemptions', { body: { campaignId: drop.campaign.id, code: wrong, customerId: who } }), 400, 'invalid_code_format');
    }
    expectApiError(await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, who, { tier: 'platinum' }) }), 422, 'unknown_tier');
    // None of these reached the queue.
    const jobs = await app.queue.getJobs(['wait', 'active', 'completed', 'failed', 'delayed']);
    expect(jobs.filter((j) => j.data.customerId === who)).toEqual([]);
  });

  describe('strict validation: 400 invalid_request with the stable code', () => {
    const valid = () => ({ campaignId: drop.campaign.id, code: drop.codes.standard![38]!, customerId: 'validator' });
    const cases: Array<[string, () => unknown]> = [
      ['a NoSQL operator instead of the code', () => ({ ...valid(), code: { $ne: null } })],
      ['a NoSQL operator instead of the customer', () => ({ ...valid(), customerId: { $gt: '' } })],
      ['a regex operator instead of the campaign', () => ({ ...valid(), campaignId: { $regex: '.*' } })],
      ['a number instead of the code', () => ({ ...valid(), code: 12345678 })],
      ['a number instead of the customer', () => ({ ...valid(), customerId: 42 })],
      ['a boolean instead of the customer', () => ({ ...valid(), customerId: true })],
      ['null instead of the code', () => ({ ...valid(), code: null })],
      ['an array instead of the code', () => ({ ...valid(), code: [valid().code] })],
      ['an array as the body', () => [valid()]],
      ['an extra field', () => ({ ...valid(), tier: 'standard' })],
      ['a prototype-polluting field', () => JSON.parse(`{"__proto__":{"admin":true},${JSON.stringify(valid()).slice(1)}`) as unknown],
      ['a missing code', () => ({ campaignId: valid().campaignId, customerId: 'validator' })],
      ['a missing customer', () => ({ campaignId: valid().campaignId, code: valid().code })],
      ['an empty object', () => ({})],
      ['an empty customer', () => ({ ...valid(), customerId: '' })],
      ['an over-long customer (129)', () => ({ ...valid(), customerId: 'c'.repeat(129) })],
      ['an over-long code (65)', () => ({ ...valid(), code: 'A'.repeat(65) })],
      ['an over-long campaign id (65)', () => ({ ...valid(), campaignId: 'c'.repeat(65) })],
      ['a campaign id with a slash', () => ({ ...valid(), campaignId: '../admin' })],
      ['a NUL in the customer', () => ({ ...valid(), customerId: 'bob\u0000' })],
      ['a newline in the customer', () => ({ ...valid(), customerId: 'bob\nINFO fake log line' })],
      ['an escape sequence in the customer', () => ({ ...valid(), customerId: 'bob\u001b[31m' })],
      ['a DEL in the customer', () => ({ ...valid(), customerId: 'bob\u007f' })],
      ['a zero-width space in the customer', () => ({ ...valid(), customerId: 'bo\u200bb' })],
      ['a zero-width joiner in the customer', () => ({ ...valid(), customerId: 'bo\u200db' })],
      ['a right-to-left override in the customer', () => ({ ...valid(), customerId: 'bob\u202eevil' })],
      ['a byte-order mark in the customer', () => ({ ...valid(), customerId: '\ufeffbob' })],
      ['a lone surrogate in the customer', () => ({ ...valid(), customerId: 'bob\ud800' })],
    ];

    it.each(cases)('refuses %s', async (_name, body) => {
      const res = await http(app.url, '/v1/redemptions', { body: body() });
      expectApiError(res, 400, 'invalid_request');
      expect((res.json as { error: { details?: unknown } }).error.details).toEqual(expect.any(Array));
    });

    it('refuses a claim with a malformed tier or an operator in it', async () => {
      for (const tier of ['Premium', '', { $ne: null }, 'x'.repeat(40), ['standard']]) {
        expectApiError(await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'validator', { tier }) }), 400, 'invalid_request');
      }
    });

    it('never echoes the hostile value back', async () => {
      const res = await http(app.url, '/v1/redemptions', { body: { ...valid(), customerId: '<script>alert(1)</script>\u0000' } });
      expectApiError(res, 400, 'invalid_request');
      expect(res.text).not.toContain('script');
    });

    it('accepts a unicode customer id (zoë-東京, emoji) and keeps it, normalised (NFKC, lower case)', async () => {
      for (const [customerId, kept] of [['zoë-東京', 'zoë-東京'], ['Ω-😀-fan', 'ω-😀-fan'], ['Zoe\u0308-\uFF21', 'zoë-a']] as const) {
        const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, customerId), headers: { prefer: 'wait=5' } });
        expect(res.status).toBe(200);
        expect(res.json).toMatchObject({ status: 'done', outcome: 'claimed' });
        const { code } = res.json as { code: string };
        expect(await store.codes.get(drop.campaign.id, code)).toMatchObject({ customerId: kept });
      }
    });
  });

  describe('malformed requests', () => {
    it('answers invalid JSON with 400 invalid_json', async () => {
      for (const raw of ['{"campaignId": ', '{campaignId: "x"}', "{'a': 1}", 'null', '"a string"', '42']) {
        expectApiError(await http(app.url, '/v1/claims', { raw, headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
      }
    });

    it('answers a body over BODY_LIMIT_BYTES with 413 payload_too_large', async () => {
      const body = claim(drop.campaign.id, 'big', { pad: 'x'.repeat(app.config.BODY_LIMIT_BYTES) });
      expectApiError(await http(app.url, '/v1/claims', { body }), 413, 'payload_too_large');
      // just under the limit is parsed (and then refused for its extra field, not its size)
      const under = JSON.stringify(claim(drop.campaign.id, 'big', { pad: '' }));
      const fitting = claim(drop.campaign.id, 'big', { pad: 'x'.repeat(app.config.BODY_LIMIT_BYTES - under.length) });
      expect(JSON.stringify(fitting).length).toBe(app.config.BODY_LIMIT_BYTES);
      expectApiError(await http(app.url, '/v1/claims', { body: fitting }), 400, 'invalid_request');
    });

    it('answers non-JSON content types with 415 unsupported_media_type', async () => {
      const raw = JSON.stringify(claim(drop.campaign.id, 'typed'));
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json-patch+jsonx']) {
        expectApiError(await http(app.url, '/v1/claims', { raw, headers: { 'content-type': type } }), 415, 'unsupported_media_type');
      }
      expectApiError(await http(app.url, '/v1/claims', { raw: Buffer.from(raw) }), 415, 'unsupported_media_type');
      expectApiError(
        await http(app.url, '/v1/claims', { raw, headers: { 'content-type': 'application/json; charset=latin1' } }),
        415,
        'unsupported_media_type',
      );
    });

    it('answers a corrupt compressed body with 400, not 500', async () => {
      const res = await http(app.url, '/v1/claims', { raw: 'not gzip at all', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
      expectApiError(res, 400, 'invalid_request');
    });

    it('answers unknown routes with a JSON 404, a known route asked with another method with a JSON 405', async () => {
      expectApiError(await http(app.url, '/'), 404, 'not_found');
      expectApiError(await http(app.url, '/v1/nope'), 404, 'not_found');
      // A wrong method on a known route was 404 not_found; it is 405 with Allow (http-surface.int.test.ts).
      expectApiError(await http(app.url, '/v1/claims'), 405, 'method_not_allowed');
      expectApiError(await http(app.url, '/v1/claims', { method: 'PUT', body: {} }), 405, 'method_not_allowed');
      expectApiError(await http(app.url, '/admin/v1/campaigns', { method: 'POST', body: {} }), 404, 'not_found');
    });

    it('reported none of those client errors as unexpected', () => {
      expect(app.unexpected).toEqual([]);
    });
  });

  it('shows public campaign facts from the catalog: whether it is open, tiers and rewards, nothing more', async () => {
    const res = await http(app.url, `/v1/campaigns/${drop.campaign.id}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      id: drop.campaign.id,
      name: drop.campaign.name,
      open: true,
      startsAt: null,
      endsAt: null,
      tiers: [
        { name: 'standard', reward: 't-shirt' },
        { name: 'premium', reward: 'skate deck' },
      ],
    });
    expect((await http(app.url, `/v1/campaigns/${paused.campaign.id}`)).json).toMatchObject({ id: paused.campaign.id, open: false });
    expectApiError(await http(app.url, '/v1/campaigns/no_such_campaign'), 404, 'campaign_not_found');
    expectApiError(await http(app.url, '/v1/campaigns/bad%20id'), 400, 'invalid_request');
  });

  it('keeps a draft campaign unpublished: 404 campaign_not_found, its name and rewards not shown', async () => {
    const draft = await store.campaigns.create({
      name: 'Unannounced collab',
      status: 'draft',
      tiers: [{ name: 'standard', reward: 'unreleased sneaker' }],
      perCustomerLimit: 1,
      codeSpec: resolveCodeSpec({ length: 12 }),
    });
    await app.catalog.refresh();
    expect(app.catalog.get(draft.id)?.status).toBe('draft');
    const res = await http(app.url, `/v1/campaigns/${draft.id}`);
    expectApiError(res, 404, 'campaign_not_found');
    expect(res.text).not.toContain('sneaker');
    // Once it goes live it is shown.
    await store.campaigns.setStatus(draft.id, 'active');
    await app.catalog.refresh();
    expect((await http(app.url, `/v1/campaigns/${draft.id}`)).json).toMatchObject({ name: 'Unannounced collab', open: true });
  });

  it('is healthy and ready', async () => {
    const health = await http(app.url, '/healthz');
    expect({ status: health.status, body: health.json }).toEqual({ status: 200, body: { status: 'ok', pid: process.pid } });
    const ready = await http(app.internalUrl, '/readyz');
    expect({ status: ready.status, body: ready.json }).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('exposes request counts by route template and status, rejections by reason, latency and queue depth on /metrics', async () => {
    const before = (await http(app.internalUrl, '/metrics')).text;
    const oddPath = `/v1/odd-${randomBytes(4).toString('hex')}`;
    expect((await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'metered') })).status).toBe(202);
    expect((await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 42 as unknown as string) })).status).toBe(400);
    const wrongCode = { campaignId: drop.campaign.id, code: 'SYN-OOOO-OOOO', customerId: 'metered' };
    expect((await http(app.url, '/v1/redemptions', { body: wrongCode })).status).toBe(400);
    expect((await http(app.url, '/v1/claims', { body: claim('no_such_campaign', 'metered') })).status).toBe(404);
    expect((await http(app.url, oddPath)).status).toBe(404);

    const delta = (text: string, name: string, labels: Record<string, string>) => counterValue(text, name, labels) - counterValue(before, name, labels);
    const after = await waitFor('the counters to move', async () => {
      const text = (await http(app.internalUrl, '/metrics')).text;
      return delta(text, 'dropgate_intake_requests_total', { route: 'other', status: '404' }) >= 1 ? text : undefined;
    });
    expect(after).toMatch(/^# TYPE dropgate_intake_requests_total counter$/m);
    expect(delta(after, 'dropgate_intake_requests_total', { route: '/v1/claims', status: '202', app: 'intake' })).toBe(1);
    expect(delta(after, 'dropgate_intake_requests_total', { route: '/v1/claims', status: '400' })).toBe(1);
    expect(delta(after, 'dropgate_intake_requests_total', { route: '/v1/claims', status: '404' })).toBe(1);
    expect(delta(after, 'dropgate_intake_requests_total', { route: '/v1/redemptions', status: '400' })).toBe(1);
    expect(delta(after, 'dropgate_intake_requests_total', { route: 'other', status: '404' })).toBe(1);
    expect(delta(after, 'dropgate_intake_rejected_total', { reason: 'code_format' })).toBe(1);
    expect(delta(after, 'dropgate_intake_rejected_total', { reason: 'campaign_not_found' })).toBe(1);
    expect(delta(after, 'dropgate_intake_enqueued_total', { kind: 'claim' })).toBe(1);
    // the raw path never becomes a label
    expect(after).not.toContain(oddPath);

    expect(after).toMatch(/^# TYPE dropgate_intake_request_duration_seconds histogram$/m);
    expect(delta(after, 'dropgate_intake_request_duration_seconds_count', { route: '/v1/claims' })).toBe(3);
    expect(sampleValue(after, 'dropgate_intake_request_duration_seconds_bucket', { route: '/v1/claims', le: '+Inf' })).toBe(
      sampleValue(after, 'dropgate_intake_request_duration_seconds_count', { route: '/v1/claims' }),
    );
    expect(sampleValue(after, 'dropgate_intake_request_duration_seconds_bucket', { route: '/v1/claims', le: '0.001' })).toEqual(expect.any(Number));

    expect(after).toMatch(/^# TYPE dropgate_queue_waiting_jobs gauge$/m);
    expect(sampleValue(after, 'dropgate_queue_waiting_jobs', { app: 'intake' })).toEqual(expect.any(Number));
    // Node's default metrics are there too
    expect(sampleValue(after, 'process_cpu_user_seconds_total', { app: 'intake' })).toEqual(expect.any(Number));
  });
});

describe('without a worker', () => {
  let app: RunningIntake;

  beforeAll(async () => {
    app = await startApp('idle', { PREFER_WAIT_MAX_S: String(LONG_WAIT_S) });
  });

  it('shows an accepted attempt as queued, with its job in the queue under the attempt id', async () => {
    const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'queued-one', { tier: 'premium' }) });
    expect(res.status).toBe(202);
    const attemptId = attemptOf(res);
    const view = await http(app.url, `/v1/attempts/${attemptId}`);
    expect(view.status).toBe(200);
    expect(view.json).toEqual({ attemptId, status: 'queued' });
    const job = await app.queue.getJob(attemptId);
    expect(job?.name).toBe('claim');
    expect(job?.data).toMatchObject({ campaignId: drop.campaign.id, customerId: 'queued-one', tier: 'premium' });
    expect(job?.opts).toMatchObject({ attempts: app.config.JOB_ATTEMPTS });
  });

  it('answers Prefer: wait=1 with 202 after about a second when nothing finishes the attempt', async () => {
    const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'waiter'), headers: { prefer: 'wait=1' }, timeoutMs: HUNG_MS });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ attemptId: attemptOf(res), status: 'queued' });
    expect(res.headers.get('preference-applied')).toBe('wait=1');
    expect(res.headers.get('location')).toBe(`/v1/attempts/${attemptOf(res)}`);
    // The second it asked for: at least that, and nowhere near the LONG_WAIT_S cap.
    expect(res.elapsedMs).toBeGreaterThanOrEqual(950);
    expect(res.elapsedMs).toBeLessThan(1000 + AT_ONCE_MS);
  });

  it('ignores a Prefer header that is not a wait', async () => {
    const res = await http(app.url, '/v1/claims', {
      body: claim(drop.campaign.id, 'no-waiter'),
      headers: { prefer: 'return=minimal, wait=abc' },
      timeoutMs: HUNG_MS,
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('preference-applied')).toBeNull();
    // Answered at once, not held up to the LONG_WAIT_S cap.
    expect(res.elapsedMs).toBeLessThan(AT_ONCE_MS);
  });

  describe('Idempotency-Key', () => {
    const waitingCount = () => app.queue.getJobCountByTypes('wait', 'delayed');

    it('maps the same key + same body to the same attempt and ONE job', async () => {
      const before = await waitingCount();
      const key = `order-${randomBytes(6).toString('hex')}`;
      const body = { campaignId: drop.campaign.id, customerId: 'idem-1', tier: 'standard' };
      const first = await http(app.url, '/v1/claims', { body, headers: { 'idempotency-key': key } });
      // same content, other key order: the same request
      const reordered = { tier: 'standard', customerId: 'idem-1', campaignId: drop.campaign.id };
      const second = await http(app.url, '/v1/claims', { body: reordered, headers: { 'idempotency-key': key } });
      expect([first.status, second.status]).toEqual([202, 202]);
      expect(attemptOf(second)).toBe(attemptOf(first));
      // A random attempt id: knowing the customer and the key reveals nothing.
      expect(attemptOf(first)).toMatch(RANDOM_ATTEMPT_ID);
      expect(second.headers.get('location')).toBe(`/v1/attempts/${attemptOf(first)}`);
      expect(await waitingCount()).toBe(before + 1);
      const jobs = (await app.queue.getJobs(['wait', 'active', 'completed', 'failed', 'delayed'])).filter((j) => j.data.customerId === 'idem-1');
      expect(jobs.map((j) => j.id)).toEqual([attemptOf(first)]);
    });

    it('keeps the same key on the other route a different attempt', async () => {
      const key = `order-${randomBytes(6).toString('hex')}`;
      const a = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'idem-2'), headers: { 'idempotency-key': key } });
      const b = await http(app.url, '/v1/redemptions', {
        body: { campaignId: drop.campaign.id, code: drop.codes.standard![37]!, customerId: 'idem-2' },
        headers: { 'idempotency-key': key },
      });
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(attemptOf(a)).not.toBe(attemptOf(b));
    });

    it('answers the same key with another body with 422 idempotency_key_reused, and queues nothing', async () => {
      const key = `order-${randomBytes(6).toString('hex')}`;
      const first = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'idem-3'), headers: { 'idempotency-key': key } });
      expect(first.status).toBe(202);
      const before = await waitingCount();
      const otherTier = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'idem-3', { tier: 'premium' }), headers: { 'idempotency-key': key } });
      expectApiError(otherTier, 422, 'idempotency_key_reused');
      expect(await waitingCount()).toBe(before);
      expect((await app.queue.getJob(attemptOf(first)))?.data).toMatchObject({ customerId: 'idem-3' });
    });

    it('scopes keys per customer and per kind: another customer with the same key gets its own attempt', async () => {
      const key = `order-${randomBytes(6).toString('hex')}`;
      const mine = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'idem-4'), headers: { 'idempotency-key': key } });
      const theirs = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'idem-4-other'), headers: { 'idempotency-key': key } });
      expect([mine.status, theirs.status]).toEqual([202, 202]);
      expect(attemptOf(theirs)).not.toBe(attemptOf(mine));
      // The same request through another spelling of the route is still the same attempt.
      const again = await http(app.url, '/v1/claims/', { body: claim(drop.campaign.id, 'idem-4'), headers: { 'idempotency-key': key } });
      expect(attemptOf(again)).toBe(attemptOf(mine));
    });

    it('answers a retry with its attempt after the campaign closed (sold out, ended), and anything else with the refusal', async () => {
      const closing = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'pin', quantity: 3 }] });
      await app.catalog.refresh();
      const key = `order-${randomBytes(6).toString('hex')}`;
      const body = claim(closing.campaign.id, 'idem-late');
      const first = await http(app.url, '/v1/claims', { body, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(202);
      const redemption = { campaignId: closing.campaign.id, code: closing.codes.standard![0]!, customerId: 'idem-late' };
      const firstRedemption = await http(app.url, '/v1/redemptions', { body: redemption, headers: { 'idempotency-key': key } });
      expect(firstRedemption.status).toBe(202);
      // Its answer lost, the client retries; meanwhile someone else reached the campaign's target.
      await store.campaigns.update(closing.campaign.id, { target: 1 });
      const early = await store.redemptions.claim({ attemptId: `att_early_${randomBytes(6).toString('hex')}`, campaignId: closing.campaign.id, customerId: 'early', now: new Date() });
      expect(early.outcome).toBe('claimed');
      await app.catalog.refresh();
      const before = await waitingCount();
      const retry = await http(app.url, '/v1/claims', { body, headers: { 'idempotency-key': key } });
      expect(retry.status).toBe(202);
      expect(retry.json).toEqual({ attemptId: attemptOf(first), status: 'queued' });
      expect(retry.headers.get('location')).toBe(`/v1/attempts/${attemptOf(first)}`);
      // Another key, the same key with another body, no key at all: the campaign's refusal.
      expectApiError(await http(app.url, '/v1/claims', { body, headers: { 'idempotency-key': `${key}-2` } }), 409, 'sold_out');
      expectApiError(await http(app.url, '/v1/claims', { body: { ...body, tier: 'standard' }, headers: { 'idempotency-key': key } }), 409, 'sold_out');
      expectApiError(await http(app.url, '/v1/claims', { body }), 409, 'sold_out');
      // Ended: a redemption's retry, waiting for its outcome, gets its attempt (still queued: no worker here).
      await store.campaigns.setStatus(closing.campaign.id, 'ended');
      await app.catalog.refresh();
      const waited = await http(app.url, '/v1/redemptions', { body: redemption, headers: { 'idempotency-key': key, prefer: 'wait=1' }, timeoutMs: HUNG_MS });
      expect(waited.status).toBe(202);
      expect(waited.json).toEqual({ attemptId: attemptOf(firstRedemption), status: 'queued' });
      expect(waited.headers.get('preference-applied')).toBe('wait=1');
      expectApiError(await http(app.url, '/v1/redemptions', { body: { ...redemption, customerId: 'idem-other' }, headers: { 'idempotency-key': key } }), 409, 'campaign_not_active');
      expect(await waitingCount()).toBe(before);
    });

    it.each([
      ['too short', 'short'],
      ['too long', 'k'.repeat(129)],
      ['with a space', 'my order 12345'],
      ['with a tab', 'order\t12345'],
      ['non-ASCII', 'commande-é-12345'],
    ])('refuses a key %s with 400 invalid_request, before queueing', async (_name, key) => {
      const before = await waitingCount();
      const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'idem-bad'), headers: { 'idempotency-key': key } });
      expectApiError(res, 400, 'invalid_request');
      expect(await waitingCount()).toBe(before);
    });
  });
});

describe('rate limiting', () => {
  const limits = { RATE_IP_POINTS: '3', RATE_IP_DURATION_S: '60', RATE_IP_BLOCK_S: '30', RATE_CUSTOMER_POINTS: '2', RATE_CUSTOMER_DURATION_S: '60', RATE_CUSTOMER_BLOCK_S: '20' };
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  function expectRateLimited(res: HttpResult, maxS: number): void {
    expectApiError(res, 429, 'rate_limited');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(maxS);
  }

  it('with TRUST_PROXY=false, ignores X-Forwarded-For: every request counts against the socket address', async () => {
    const app = await startApp('rl-direct', { ...limits, TRUST_PROXY: 'false' });
    await app.catalog.refresh();
    for (let i = 0; i < 3; i++) {
      const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, `direct-${i}`), headers: from(`203.0.113.${i + 1}`) });
      expect(res.status).toBe(202);
    }
    expectRateLimited(await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'direct-3'), headers: from('203.0.113.50') }), 30);
    expectRateLimited(await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'direct-4') }), 30);
    const metrics = (await http(app.internalUrl, '/metrics')).text;
    // The first refusal comes from the limiter; later ones from the in-memory block, before the body is read.
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'rate_ip' })).toBe(1);
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'blocked_address' })).toBe(1);
    expect(counterValue(metrics, 'dropgate_intake_requests_total', { route: '/v1/claims', status: '429' })).toBe(2);
    expect(await app.queue.getJobCountByTypes('wait', 'delayed')).toBe(3);
  });

  describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
    let app: RunningIntake;

    beforeAll(async () => {
      app = await startApp('rl-proxied', { ...limits, TRUST_PROXY: 'loopback' });
    });

    it('limits per client address taken from X-Forwarded-For', async () => {
      for (let i = 0; i < 3; i++) {
        expect((await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, `ip-${i}`), headers: from('198.51.100.10') })).status).toBe(202);
      }
      expectRateLimited(await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'ip-3'), headers: from('198.51.100.10') }), 30);
      // another client behind the same proxy is not affected
      expect((await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'ip-4'), headers: from('198.51.100.11') })).status).toBe(202);
      // the client address is the last untrusted hop, not what the client itself claims to be
      expectRateLimited(
        await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'ip-5'), headers: from('10.9.9.9, 198.51.100.10') }),
        30,
      );
    });

    it('counts status reads per address too (an unknown id may cost a store read)', async () => {
      const ip = { 'x-forwarded-for': '198.51.100.30' };
      for (let i = 0; i < 3; i++) expect((await http(app.url, `/v1/attempts/att_unknown_${i}xxxxxxxx`, { headers: ip })).status).toBe(404);
      expectRateLimited(await http(app.url, '/v1/attempts/att_unknown_3xxxxxxxx', { headers: ip }), 30);
      expect((await http(app.url, '/v1/attempts/att_unknown_4xxxxxxxx', { headers: { 'x-forwarded-for': '198.51.100.31' } })).status).toBe(404);
    });

    it('limits a customer across different addresses', async () => {
      expect((await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'greedy'), headers: from('198.51.100.20') })).status).toBe(202);
      expect((await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'greedy'), headers: from('198.51.100.21') })).status).toBe(202);
      expectRateLimited(await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'greedy'), headers: from('198.51.100.22') }), 20);
      expect((await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'modest'), headers: from('198.51.100.22') })).status).toBe(202);
      const metrics = (await http(app.internalUrl, '/metrics')).text;
      expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'rate_customer' })).toBe(1);
      // ip-3 and the 4th status read by the limiter; ip-5 (same address as ip-3) by the pre-body in-memory block
      expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'rate_ip' })).toBe(2);
      expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'blocked_address' })).toBe(1);
    });
  });
});

describe('backpressure', () => {
  it('answers 503 overloaded with Retry-After once the cached queue depth passes MAX_QUEUE_DEPTH', async () => {
    const app = await startApp('crowded', { MAX_QUEUE_DEPTH: '1', QUEUE_DEPTH_REFRESH_MS: '20' });
    await app.catalog.refresh();
    for (const customerId of ['crowd-1', 'crowd-2']) {
      expect((await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, customerId) })).status).toBe(202);
    }
    // Wait for the cached depth (what the intake decides on) to catch up, as seen on /metrics.
    await waitFor('the cached depth to reach 2', async () =>
      sampleValue((await http(app.internalUrl, '/metrics')).text, 'dropgate_queue_waiting_jobs') === 2 ? true : undefined,
    );
    const res = await http(app.url, '/v1/claims', { body: claim(drop.campaign.id, 'crowd-3') });
    expectApiError(res, 503, 'overloaded');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await app.queue.getJobCountByTypes('wait', 'delayed')).toBe(2);
    const metrics = (await http(app.internalUrl, '/metrics')).text;
    expect(counterValue(metrics, 'dropgate_intake_rejected_total', { reason: 'overloaded' })).toBe(1);
  });
});

describe('GET /openapi.json', () => {
  it('serves the OpenAPI document of the public routes', async () => {
    const app = await startApp('openapi');
    const res = await http(app.url, '/openapi.json');
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.text) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/redemptions');
  });
});
