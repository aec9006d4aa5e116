import { randomBytes } from 'node:crypto';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { expectApiError, http, rawHttp, tempPgSchema, TEST_DATABASE_URL, type RawAnswer } from '@dropgate/testkit';
import { createCampaignWithCodes, type CampaignFixture } from '../test/campaign-fixture';
import { startIntake, stopIntakeTest, type RunningIntake } from '../test/intake-harness';

/**
 * The public intake's HTTP surface over real HTTP, built as main.ts builds it (real PostgreSQL store in a schema of
 * its own, real Redis under a random prefix): methods (405 / OPTIONS), the JSON rule for duplicate keys on both
 * paths (fast lane and Express), and what Node's HTTP parser refuses, answered in the API's error shape.
 */

const schema = tempPgSchema('dg_t');
const filePrefix = `dgt${randomBytes(4).toString('hex')}`;
let store: Store;
let drop: CampaignFixture;
let app: RunningIntake;

const OPEN_LIMITS = { RATE_IP_POINTS: '100000', RATE_CUSTOMER_POINTS: '100000', RATE_SUBNET_POINTS: '100000', RATE_ADDRESS_CUSTOMERS: '100000', RATE_SUBNET_CUSTOMERS: '100000' };

beforeAll(async () => {
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 4, applicationName: 'dropgate-intake-http-surface-test' });
  await store.migrate();
  drop = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 't-shirt', quantity: 20 }] });
  // The shortest timeouts the config allows: a slow client is refused in about a second.
  app = await startIntake({ store, env: { QUEUE_PREFIX: filePrefix, ...OPEN_LIMITS, HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1000' } });
});

afterAll(() => stopIntakeTest({ apps: [app], store, schema, prefix: filePrefix }));

describe('methods', () => {
  it.each([
    ['GET', '/v1/redemptions', 'POST, OPTIONS'],
    ['PUT', '/v1/claims', 'POST, OPTIONS'],
    ['DELETE', '/v1/claims', 'POST, OPTIONS'],
    ['POST', '/v1/campaigns/some_campaign', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/v1/attempts/att_aaaaaaaaaaaaaaaaaaaa', 'GET, HEAD, OPTIONS'],
    ['POST', '/healthz', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/openapi.json', 'GET, HEAD, OPTIONS'],
  ])('answers %s %s with 405 method_not_allowed and Allow: %s', async (method, path, allow) => {
    const res = await http(app.url, path, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
    expectApiError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe(allow);
  });

  it('answers OPTIONS on a known path with 204 and Allow, and on an unknown one with 404', async () => {
    for (const [path, allow] of [
      ['/v1/redemptions', 'POST, OPTIONS'],
      ['/v1/claims', 'POST, OPTIONS'],
      [`/v1/campaigns/${drop.campaign.id}`, 'GET, HEAD, OPTIONS'],
      ['/v1/attempts/att_aaaaaaaaaaaaaaaaaaaa', 'GET, HEAD, OPTIONS'],
      ['/healthz', 'GET, HEAD, OPTIONS'],
    ]) {
      const res = await http(app.url, path!, { method: 'OPTIONS' });
      expect({ path, status: res.status, allow: res.headers.get('allow'), body: res.text }).toEqual({ path, status: 204, allow, body: '' });
    }
    expectApiError(await http(app.url, '/v1/nope', { method: 'OPTIONS' }), 404, 'not_found');
  });

  it('still answers HEAD where GET is, and unknown paths with 404', async () => {
    expect((await http(app.url, `/v1/campaigns/${drop.campaign.id}`, { method: 'HEAD' })).status).toBe(200);
    expect((await http(app.url, '/healthz', { method: 'HEAD' })).status).toBe(200);
    expectApiError(await http(app.url, '/v1/nope', { method: 'POST', body: {} }), 404, 'not_found');
    expectApiError(await http(app.url, '/v1/claims/extra'), 404, 'not_found');
  });
});

describe('a key named twice in one JSON object', () => {
  const id = () => drop.campaign.id;
  const bodies: Array<[string, () => string]> = [
    ['an operator in the second copy', () => `{"campaignId":"${id()}","code":"SYN-AAAA-AAAA","code":{"$ne":null},"customerId":"dup-1"}`],
    ['two strings', () => `{"campaignId":"${id()}","code":"A","code":"B","customerId":"dup-2"}`],
    ['the second spelled with an escape', () => `{"campaignId":"${id()}","code":"SYN-AAAA-AAAA","\\u0063ode":"B","customerId":"dup-3"}`],
    ['in a nested object', () => `{"campaignId":"${id()}","customerId":"dup-4","x":{"a":1,"a":2}}`],
  ];

  it.each(bodies)('is 400 invalid_json through the fast lane and through Express: %s', async (_name, body) => {
    for (const path of ['/v1/redemptions', '/v1/redemptions?via=express']) {
      expectApiError(await http(app.url, path, { raw: body(), headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    }
    for (const path of ['/v1/claims', '/v1/claims?via=express']) {
      expectApiError(await http(app.url, path, { raw: body(), headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    }
  });

  it('is not what a key-like text inside a value is', async () => {
    const raw = `{"campaignId":"${id()}","customerId":"a:\\"campaignId\\":b"}`;
    for (const path of ['/v1/claims', '/v1/claims?via=express']) {
      expect((await http(app.url, path, { raw, headers: { 'content-type': 'application/json' } })).status).toBe(202);
    }
  });
});

describe("what Node's HTTP parser refuses, answered in the API's error shape", () => {
  function expectRefusal(res: RawAnswer, status: number, code: string): void {
    expect({ status: res.status, code: (res.json as { error?: { code?: string } } | undefined)?.error?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers.connection).toBe('close');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    expect(Object.keys(res.json as object)).toEqual(['error']);
  }

  it('headers too large: 431 headers_too_large', async () => {
    expectRefusal(await rawHttp(app.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'headers_too_large');
  });

  it('a malformed request: 400 bad_request', async () => {
    expectRefusal(await rawHttp(app.url, 'NOT HTTP AT ALL\r\n\r\n'), 400, 'bad_request');
    expectRefusal(await rawHttp(app.url, 'POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'), 400, 'bad_request');
  });

  it('headers not sent in time: 408 request_timeout', async () => {
    expectRefusal(await rawHttp(app.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n'), 408, 'request_timeout');
  });

  it('a body not sent in time: 408 request_timeout', async () => {
    const head = `POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"campaignId":`;
    expectRefusal(await rawHttp(app.url, head), 408, 'request_timeout');
  });
});
