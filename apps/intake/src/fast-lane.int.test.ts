import { randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { codeFilterPrefix, rebuildCodeFilter } from '@dropgate/code-filter';
import { generateCodes } from '@dropgate/core';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { counterValue, parseMetrics, tempPgSchema, TEST_DATABASE_URL, waitFor } from '@dropgate/testkit';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/**
 * The fast lane (fast-lane.ts) against the Express path it stands in front of: two intakes built alike (real Redis,
 * real PostgreSQL), one with the lane and one without, get the very same requests, and every answer must be the same
 * (status, body, headers) and count the same in the metrics.
 */

const schema = tempPgSchema('dg_t');
const filePrefix = `dgt${randomBytes(4).toString('hex')}`;
let store: Store;
let open: CampaignFixture;
let noClaims: CampaignFixture;
let paused: CampaignFixture;
let lane: RunningIntake;
let plain: RunningIntake;

/** Small budgets, so a test blocks an address or a subnet in a few wrong codes. */
const ENV = {
  TRUST_PROXY: 'loopback',
  GUESS_ADDRESS_BUDGET: '2',
  GUESS_SUBNET_BUDGET: '4',
  GUESS_CUSTOMER_BUDGET: '1000',
  RATE_IP_POINTS: '100000',
  RATE_CUSTOMER_POINTS: '100000',
  RATE_SUBNET_POINTS: '100000',
  RATE_ADDRESS_CUSTOMERS: '100000',
  RATE_SUBNET_CUSTOMERS: '100000',
  CODE_FILTER_POLL_MS: '100',
};

interface Exchange {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent in two chunks with `Transfer-Encoding: chunked` (no Content-Length). */
  chunked?: boolean;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request exactly as given (node:http: no header added but Host and Connection), on its own connection. */
function send(baseUrl: string, ex: Exchange): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = typeof ex.body === 'string' ? Buffer.from(ex.body) : (ex.body ?? Buffer.alloc(0));
    const headers = { 'content-type': 'application/json', ...(ex.chunked ? {} : { 'content-length': String(body.length) }), ...ex.headers };
    const req = request(new URL(ex.path ?? '/v1/redemptions', baseUrl), { method: ex.method ?? 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    if (ex.chunked) {
      req.write(body.subarray(0, 3));
      req.end(body.subarray(3));
    } else req.end(body);
  });
}

/** What must be the same on both: every header but the date, the attempt id in a Location, and Retry-After's seconds. */
function comparable(answer: Answer): Record<string, unknown> {
  const headers: Record<string, unknown> = { ...answer.headers };
  delete headers.date;
  if (typeof headers.location === 'string') headers.location = headers.location.replace(/att_[a-z2-7]+$/, 'att_*');
  if (headers['retry-after'] !== undefined) headers['retry-after'] = 'seconds';
  const body = answer.body.replace(/"att_[a-z2-7]+"/, '"att_*"');
  return { status: answer.status, headers, body };
}

/** Sends the same request to both intakes; both must answer alike. Returns the fast lane's answer. */
async function same(ex: Exchange): Promise<Answer> {
  const [viaLane, viaExpress] = await Promise.all([send(lane.url, ex), send(plain.url, ex)]);
  expect(comparable(viaLane)).toEqual(comparable(viaExpress));
  if (viaLane.headers['retry-after'] !== undefined) {
    expect(Math.abs(Number(viaLane.headers['retry-after']) - Number(viaExpress.headers['retry-after']))).toBeLessThanOrEqual(1);
  }
  return viaLane;
}

const errorCode = (answer: Answer): string | undefined => (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
const fromAddress = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });
let n = 0;
const customer = (): string => `fl-${n++}`;
const redeem = (fixture: CampaignFixture, code: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ campaignId: fixture.campaign.id, code, customerId: customer(), ...extra });
const realCode = (): string => open.codes.standard![n++ % open.codes.standard!.length]!;
const wrongCode = (): string => generateCodes(open.campaign.codeSpec, 1)[0]!;

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, applicationName: 'dropgate-intake-fast-lane-test' });
  await store.migrate();
  open = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 't-shirt', quantity: 200 }] });
  noClaims = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'cap', quantity: 5 }], settings: { claims: false } });
  paused = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'cap', quantity: 5 }], status: 'paused' });
  [lane, plain] = await Promise.all([
    startIntake({ store, env: { ...ENV, QUEUE_PREFIX: `${filePrefix}-lane` } }),
    startIntake({ store, env: { ...ENV, QUEUE_PREFIX: `${filePrefix}-express` }, fastLane: false }),
  ]);
  for (const app of [lane, plain]) {
    await rebuildCodeFilter(store, app.producer, codeFilterPrefix(app.config.QUEUE_PREFIX), open.campaign.id);
    await waitFor('the intake to load the filter', () => (app.codeFilter.get(open.campaign.id) ? true : undefined), 5000, 20);
  }
});

afterAll(() => stopIntakeTest({ apps: [lane, plain], store, schema, prefix: filePrefix }));

describe('the fast lane answers every rejection as the Express path does', () => {
  it.each([
    ['a code of the wrong format', () => ({ body: redeem(open, 'NOT-A-CODE!') }), 400, 'invalid_code_format'],
    ['a code not in the campaign (filter miss)', () => ({ body: redeem(open, wrongCode()), headers: fromAddress('192.0.2.10') }), 404, 'code_not_found'],
    ['a campaign that does not exist', () => ({ body: JSON.stringify({ campaignId: 'nope', code: 'SYN-0000-0000', customerId: customer() }) }), 404, 'campaign_not_found'],
    ['a paused campaign', () => ({ body: redeem(paused, paused.codes.standard![0]!) }), 409, 'campaign_not_active'],
    ['a claim where claims are off', () => ({ path: '/v1/claims', body: JSON.stringify({ campaignId: noClaims.campaign.id, customerId: customer() }) }), 403, 'claims_disabled'],
    ['a claim with an unknown tier', () => ({ path: '/v1/claims', body: JSON.stringify({ campaignId: open.campaign.id, customerId: customer(), tier: 'gold' }) }), 422, 'unknown_tier'],
    ['broken JSON', () => ({ body: '{"campaignId": ' }), 400, 'invalid_json'],
    ['JSON that is not an object or array (strict)', () => ({ body: '"just a string"' }), 400, 'invalid_json'],
    ['a number', () => ({ body: ' 42' }), 400, 'invalid_json'],
    ['only white space', () => ({ body: ' \n\t ' }), 400, 'invalid_json'],
    ['an empty body (body-parser: {})', () => ({ body: '' }), 400, 'invalid_request'],
    ['an array', () => ({ body: '[1,2]' }), 400, 'invalid_request'],
    ['a query injection object', () => ({ body: JSON.stringify({ campaignId: { $ne: null }, code: { $gt: '' }, customerId: 'x' }) }), 400, 'invalid_request'],
    ['wrong types', () => ({ body: JSON.stringify({ campaignId: open.campaign.id, code: 1234, customerId: true }) }), 400, 'invalid_request'],
    ['an unknown field', () => ({ body: redeem(open, realCode(), { admin: true }) }), 400, 'invalid_request'],
    ['a __proto__ field', () => ({ body: `{"campaignId":"${open.campaign.id}","code":"x","customerId":"y","__proto__":{"admin":true}}` }), 400, 'invalid_request'],
    ['a control character in the customer id', () => ({ body: JSON.stringify({ campaignId: open.campaign.id, code: realCode(), customerId: 'a\u0000b' }) }), 400, 'invalid_request'],
    ['a customer id of 300 characters', () => ({ body: JSON.stringify({ campaignId: open.campaign.id, code: realCode(), customerId: 'é'.repeat(300) }) }), 400, 'invalid_request'],
    ['a body over the limit', () => ({ body: JSON.stringify({ campaignId: open.campaign.id, code: 'x'.repeat(70_000), customerId: 'y' }) }), 413, 'payload_too_large'],
    ['text/plain', () => ({ body: redeem(open, realCode()), headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
    ['no content type', () => ({ body: redeem(open, realCode()), headers: { 'content-type': '' } }), 415, 'unsupported_media_type'],
    ['an unsupported charset', () => ({ body: redeem(open, 'NOT-A-CODE!'), headers: { 'content-type': 'application/json; charset=latin1' } }), 415, 'unsupported_media_type'],
    ['a gzip body of a bad code (Express inflates it)', () => ({ body: gzipSync(redeem(open, 'NOT-A-CODE!')), headers: { 'content-encoding': 'gzip' } }), 400, 'invalid_code_format'],
    ['a chunked body of a bad code', () => ({ body: redeem(open, 'NOT-A-CODE!'), chunked: true }), 400, 'invalid_code_format'],
    ['a bad code after a query string', () => ({ path: '/v1/redemptions?x=1', body: redeem(open, 'NOT-A-CODE!') }), 400, 'invalid_code_format'],
    ['a bad code, path in capitals', () => ({ path: '/V1/Redemptions', body: redeem(open, 'NOT-A-CODE!') }), 400, 'invalid_code_format'],
    ['a GET of a POST route', () => ({ method: 'GET', body: '' }), 405, 'method_not_allowed'],
    ['a key twice, an operator in the second', () => ({ body: `{"campaignId":"${open.campaign.id}","code":"${realCode()}","code":{"$ne":null},"customerId":"${customer()}"}` }), 400, 'invalid_json'],
    ['a key twice, the second escaped', () => ({ body: `{"campaignId":"${open.campaign.id}","code":"${realCode()}","\\u0063ode":"B","customerId":"${customer()}"}` }), 400, 'invalid_json'],
    ['a key twice in a chunked body', () => ({ body: `{"campaignId":"${open.campaign.id}","code":"A","code":"B"}`, chunked: true }), 400, 'invalid_json'],
    ['a key twice in a gzip body', () => ({ body: gzipSync(`{"campaignId":"${open.campaign.id}","code":"A","code":"B"}`), headers: { 'content-encoding': 'gzip' } }), 400, 'invalid_json'],
  ] as Array<[string, () => Exchange, number, string]>)('%s', async (_name, make, status, code) => {
    const answer = await same(make());
    expect(answer.status).toBe(status);
    expect(errorCode(answer)).toBe(code);
  });

  it('answers the same with a byte order mark, in charset=utf-8, with unicode', async () => {
    const body = JSON.stringify({ campaignId: open.campaign.id, code: 'NOT-A-CODE!', customerId: 'Ｍａｒｉｅ 🎁' });
    for (const ex of [
      { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]) },
      { body, headers: { 'content-type': 'Application/JSON; charset=UTF-8' } },
      { body, headers: { 'content-type': 'application/json; charset="utf-8"' } },
      { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
    ]) {
      const answer = await same(ex);
      expect(answer.status).toBe(400);
    }
  });

  it('accepts a real code alike: 202, the Location of the attempt, the attempt queued', async () => {
    const answer = await same({ body: redeem(open, realCode()), headers: fromAddress('192.0.2.200') });
    expect(answer.status).toBe(202);
    expect(answer.headers.location).toMatch(/^\/v1\/attempts\/att_/);
    expect(await lane.queue.count()).toBe(await plain.queue.count());
  });

  it('accepts a real code typed full-width, with zero-width characters, typographic dashes or without its separators, alike: 202, queued in its canonical form', async () => {
    const fullWidth = (s: string): string => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    const spellings = [
      (c: string) => fullWidth(c.toLowerCase()),
      (c: string) => `\u200b${c.slice(0, 3)}\u200d${c.slice(3)}\ufeff`,
      (c: string) => `${c}\u2060\u200c`,
      // As a page shows it (non-breaking hyphens keep it on one line), or a right-to-left page with an en dash.
      (c: string) => c.replace(/-/g, '\u2011'),
      (c: string) => `\u200f${c.replace(/-/g, '\u2013')}\u200e`,
      // Typed without its separators, or with spaces for them.
      (c: string) => c.replace(/-/g, '').toLowerCase(),
      (c: string) => c.replace(/-/g, ' '),
    ];
    expect(realCode()).toContain('-'); // the campaign's codes have separators to leave out
    for (const [i, spell] of spellings.entries()) {
      const code = realCode();
      const answer = await same({ body: redeem(open, spell(code)), headers: fromAddress(`192.0.2.${210 + i}`) });
      expect(answer.status).toBe(202);
      const attemptId = answer.headers.location!.split('/').pop()!;
      expect((await lane.queue.getJob(attemptId))?.data).toMatchObject({ code });
    }
    // A wrong code typed full-width is looked up in the filter in its canonical form: a filter miss, not a format error.
    const missed = await same({ body: redeem(open, fullWidth(wrongCode())), headers: fromAddress('192.0.2.220') });
    expect([missed.status, errorCode(missed)]).toEqual([404, 'code_not_found']);
    // Control characters stay refused.
    const control = await same({ body: redeem(open, `${realCode()}\u0007`), headers: fromAddress('192.0.2.221') });
    expect([control.status, errorCode(control)]).toEqual([400, 'invalid_request']);
  });

  it('refuses a blocked address before reading its body (429 + Retry-After), and a blocked subnet', async () => {
    // Wrong codes from one address until its budget (2) is spent, on both.
    for (let i = 0; i < 3; i++) await same({ body: redeem(open, wrongCode()), headers: fromAddress('198.51.100.9') });
    const blocked = await same({ body: redeem(open, realCode()), headers: fromAddress('198.51.100.9') });
    expect(blocked.status).toBe(429);
    expect(errorCode(blocked)).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Not even a readable body is looked at: the source is refused first.
    expect((await same({ body: '{broken', headers: fromAddress('198.51.100.9') })).status).toBe(429);

    // A subnet: wrong codes from several of its addresses (subnet budget 4, 1 each: no address budget spent).
    for (let i = 1; i <= 5; i++) await same({ body: redeem(open, wrongCode()), headers: fromAddress(`203.0.113.${i}`) });
    const fresh = await same({ body: redeem(open, realCode()), headers: fromAddress('203.0.113.77') });
    expect(fresh.status).toBe(429);
  });

  it('counts the same metrics: requests by route and status, rejections by reason', async () => {
    const [a, b] = await Promise.all([lane, plain].map(async (app) => (await fetch(`${app.internalUrl}/metrics`)).text()));
    const pick = (text: string, name: string) =>
      parseMetrics(text)
        .filter((s) => s.name === name)
        .map((s) => `${JSON.stringify(s.labels)} ${s.value}`)
        .sort();
    for (const name of ['dropgate_intake_requests_total', 'dropgate_intake_rejected_total', 'dropgate_intake_enqueued_total', 'dropgate_intake_request_duration_seconds_count']) {
      expect(pick(a!, name)).toEqual(pick(b!, name));
    }
    expect(counterValue(a!, 'dropgate_intake_rejected_total', { reason: 'claims_disabled' })).toBe(1);
    expect(counterValue(a!, 'dropgate_intake_requests_total', { route: '/v1/redemptions', status: '429' })).toBeGreaterThan(0);
  });
});

describe('overload in the fast lane', () => {
  let capped: RunningIntake;

  beforeAll(async () => {
    capped = await startIntake({ store, env: { ...ENV, QUEUE_PREFIX: `${filePrefix}-capped`, SHED_MAX_IN_FLIGHT: '1' } });
  });

  afterAll(async () => {
    await capped?.close();
  });

  it('answers 503 overloaded + Retry-After before reading the body when SHED_MAX_IN_FLIGHT requests are in', async () => {
    // One request in flight: its headers are in, its body is not complete.
    let finishHeld!: () => void;
    const held = new Promise<Answer>((resolve, reject) => {
      const req = request(new URL('/v1/redemptions', capped.url), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '200' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      const start = '{"campaignId":';
      const rest = '"nope","code":"SYN-0000-0000","customerId":"held"';
      req.write(start);
      finishHeld = () => req.end(`${rest}${' '.repeat(200 - start.length - rest.length - 1)}}`);
    });
    await waitFor('the held request to count as in flight', () => (capped.shedder.inFlight === 1 ? true : undefined), 5000, 10);

    // The next one is shed at once, though it never sends a byte of its body.
    const shed = await new Promise<Answer>((resolve, reject) => {
      const req = request(new URL('/v1/redemptions', capped.url), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '50' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          req.destroy();
        });
      });
      req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
      req.flushHeaders();
    });
    expect(shed.status).toBe(503);
    expect(errorCode(shed)).toBe('overloaded');
    expect(shed.headers['retry-after']).toBe('1');

    finishHeld();
    const first = await held;
    expect(first.status).toBe(404);
    expect(errorCode(first)).toBe('campaign_not_found');
    await waitFor('the in-flight count to drop', () => (capped.shedder.inFlight === 0 ? true : undefined), 5000, 10);
    expect((await send(capped.url, { body: redeem(open, 'NOT-A-CODE!') })).status).toBe(400);
    const metrics = await (await fetch(`${capped.internalUrl}/metrics`)).text();
    expect(counterValue(metrics, 'dropgate_intake_requests_total', { route: '/v1/redemptions', status: '503' })).toBe(1);
  });
});
