import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JobView } from '@dropgate/admin-client';
import { createPublicServer, listenOn } from '@dropgate/observability';
import { expectApiError, http, rawHttp, waitFor, type HttpResult, type RawAnswer } from '@dropgate/testkit';
import { listenAdmin, startAdminHarness, type AdminHarness } from '../test/admin-harness';
import { createAdminApp, type AdminDeps } from './app';

/**
 * The admin server's HTTP surface over real HTTP (real PostgreSQL store, real BullMQ admin jobs): methods on the API
 * and on the page's routes (405 / OPTIONS), duplicate JSON keys in bodies and in imported JSON lines, and what Node's
 * HTTP parser refuses, on the server main.ts makes (createPublicServer).
 */

const TOKEN = randomBytes(24).toString('base64url');
const noChanges: AdminDeps['changes'] = { publish: () => Promise.resolve({ receivers: 0, applied: 0 }) };
let harness: AdminHarness;
const as = (p: string, init: Parameters<AdminHarness['as']>[2] = {}): Promise<HttpResult> => harness.as(TOKEN, p, init);

const campaign = {
  name: 'surface',
  tiers: [{ name: 'standard', reward: 'x', quantity: 0 }],
  perCustomerLimit: 1,
  code: { prefix: 'SRF-', length: 8 },
  status: 'active',
};

beforeAll(async () => {
  harness = await startAdminHarness({ name: 'admin-http-surface-test', app: { token: TOKEN, page: { queues: [] } } });
});

afterAll(async () => {
  await harness?.close();
});

const expect405 = (res: HttpResult, allow: string): void => {
  expectApiError(res, 405, 'method_not_allowed');
  expect(res.headers.get('allow')).toBe(allow);
};

describe('methods on the admin API', () => {
  it.each([
    ['PUT', '/campaigns', 'GET, HEAD, POST, OPTIONS'],
    ['DELETE', '/campaigns/cmp_x', 'GET, HEAD, PATCH, OPTIONS'],
    ['GET', '/campaigns/cmp_x/status', 'POST, OPTIONS'],
    ['GET', '/campaigns/cmp_x/codes/import', 'POST, OPTIONS'],
    ['PATCH', '/jobs/some-job', 'GET, HEAD, OPTIONS'],
  ])('answers %s %s with 405 and Allow: %s', async (method, p, allow) => {
    expect405(await as(p, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) }), allow);
  });

  it('answers OPTIONS on a known route with 204 and Allow; unknown paths stay 404; the bearer token comes first', async () => {
    const res = await as('/campaigns/cmp_x', { method: 'OPTIONS' });
    expect({ status: res.status, allow: res.headers.get('allow'), body: res.text }).toEqual({ status: 204, allow: 'GET, HEAD, PATCH, OPTIONS', body: '' });
    expectApiError(await as('/nope', { method: 'OPTIONS' }), 404, 'not_found');
    expectApiError(await as('/campaigns/cmp_x/nope', { method: 'PUT', body: {} }), 404, 'not_found');
    expectApiError(await http(harness.url, '/admin/v1/campaigns', { method: 'PUT', body: {} }), 401, 'unauthorized');
    expect((await as('/campaigns', { method: 'HEAD' })).status).toBe(200);
  });

  it('answers a wrong method on /healthz, /readyz and /openapi.json with 405', async () => {
    for (const p of ['/healthz', '/readyz', '/openapi.json']) expect405(await http(harness.url, p, { method: 'POST', body: {} }), 'GET, HEAD, OPTIONS');
  });
});

describe('methods on the admin page', () => {
  it('answers a wrong method on the sign-in and the page with 405, OPTIONS with 204 (page not built)', async () => {
    expect405(await http(harness.url, '/session'), 'POST, DELETE, OPTIONS');
    expect405(await http(harness.url, '/', { method: 'POST', body: {} }), 'GET, HEAD, OPTIONS');
    const options = await http(harness.url, '/session', { method: 'OPTIONS' });
    expect({ status: options.status, allow: options.headers.get('allow') }).toEqual({ status: 204, allow: 'POST, DELETE, OPTIONS' });
    expectApiError(await http(harness.url, '/nope.js', { method: 'POST', body: {} }), 404, 'not_found');
  });

  it('answers a wrong method on bull-board (read-only) with 405 once signed in, OPTIONS with 204; GET still served', async () => {
    const signIn = await http(harness.url, '/session', { body: { token: TOKEN } });
    expect(signIn.status).toBe(204);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    for (const [method, p] of [
      ['POST', '/admin/queues'],
      ['PUT', '/admin/queues/api/queues/attempts/retry/failed'],
      ['DELETE', '/admin/queues/api/queues/attempts/clean/completed'],
    ] as const) {
      expect405(await http(harness.url, p, { method, headers: { cookie }, ...(method === 'DELETE' ? {} : { body: {} }) }), 'GET, HEAD, OPTIONS');
    }
    const options = await http(harness.url, '/admin/queues/api/queues', { method: 'OPTIONS', headers: { cookie } });
    expect({ status: options.status, allow: options.headers.get('allow') }).toEqual({ status: 204, allow: 'GET, HEAD, OPTIONS' });
    expect((await http(harness.url, '/admin/queues/api/queues', { headers: { cookie } })).status).toBe(200);
    // The session comes first, as the bearer token does on the API.
    expectApiError(await http(harness.url, '/admin/queues/api/queues', { method: 'PUT', body: {} }), 401, 'unauthorized');
  });

  it("answers a wrong method on each built file with 405 (the built page's files)", async () => {
    const publicDir = mkdtempSync(path.join(tmpdir(), 'dg-admin-page-'));
    mkdirSync(path.join(publicDir, 'assets'));
    writeFileSync(path.join(publicDir, 'index.html'), '<!doctype html><title>admin</title>');
    writeFileSync(path.join(publicDir, 'assets', 'page.js'), 'void 0;');
    const server = await listenAdmin({ store: harness.store, jobs: harness.jobs.queue, token: TOKEN, page: { queues: [], publicDir } });
    try {
      expect((await http(server.url, '/assets/page.js')).status).toBe(200);
      expect((await http(server.url, '/', { method: 'HEAD' })).status).toBe(200);
      for (const p of ['/', '/index.html', '/assets/page.js']) expect405(await http(server.url, p, { method: 'POST', body: {} }), 'GET, HEAD, OPTIONS');
      expect((await http(server.url, '/assets/page.js', { method: 'OPTIONS' })).status).toBe(204);
      expectApiError(await http(server.url, '/assets/other.js', { method: 'POST', body: {} }), 404, 'not_found');
    } finally {
      await server.close();
      rmSync(publicDir, { recursive: true, force: true });
    }
  });
});

describe('a key named twice in one JSON object', () => {
  it('is 400 invalid_json in an API body and in the sign-in', async () => {
    const body = JSON.stringify(campaign).replace('"name":"surface"', '"name":"surface","name":{"$ne":null}');
    expectApiError(await as('/campaigns', { raw: body, headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    expectApiError(await http(harness.url, '/session', { raw: `{"token":"x","token":"${TOKEN}"}`, headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    expect((await as('/campaigns', { body: campaign })).status).toBe(201);
  });

  it('makes an imported JSON line malformed', async () => {
    const created = await as('/campaigns', { body: campaign });
    const id = (created.json as { id: string }).id;
    const lines = ['{"code":"SRF-AAAAAAAA"}', '{"code":"SRF-BBBBBBBB","code":"SRF-CCCCCCCC"}', '{"code":"SRF-DDDDDDDD","tier":"standard","tier":"gold"}'].join('\n');
    const res = await as(`/campaigns/${id}/codes/import?tier=standard`, { method: 'POST', raw: lines, headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.status).toBe(202);
    const { jobId } = res.json as { jobId: string };
    const job = await waitFor('the import job', async () => {
      const view = (await as(`/jobs/${jobId}`)).json as JobView;
      return view.state === 'completed' || view.state === 'failed' ? view : undefined;
    }, 30_000, 50);
    const report = job.result as unknown as { lines: number; inserted: number; malformed: number; firstMalformed: Array<{ line: number; problem: string }> };
    expect({ lines: report.lines, inserted: report.inserted, malformed: report.malformed }).toEqual({ lines: 3, inserted: 1, malformed: 2 });
    expect(report.firstMalformed).toEqual([
      { line: 2, problem: 'not JSON: a key twice in one object' },
      { line: 3, problem: 'not JSON: a key twice in one object' },
    ]);
  });
});

describe("what Node's HTTP parser refuses, answered in the API's error shape (the server main.ts makes)", () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = createAdminApp({ store: harness.store, jobs: harness.jobs.queue, token: TOKEN, changes: noChanges, trustProxy: false, bodyLimitBytes: 64 * 1024, onUnexpected: () => undefined });
    // The shortest timeouts the config allows: a slow client is refused in about a second.
    server = createPublicServer(app, { headersTimeoutMs: 1000, requestTimeoutMs: 1000, keepAliveTimeoutMs: 5000, maxConnections: 0 });
    url = `http://127.0.0.1:${await listenOn(server, 0, '127.0.0.1')}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function expectRefusal(res: RawAnswer, status: number, code: string): void {
    expect({ status: res.status, code: (res.json as { error?: { code?: string } } | undefined)?.error?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers.connection).toBe('close');
  }

  it('answers 431 headers_too_large, 400 bad_request and 408 request_timeout', async () => {
    expectRefusal(await rawHttp(url, `GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'headers_too_large');
    expectRefusal(await rawHttp(url, 'GET /healthz HTTP/9.9 nonsense\r\n\r\n'), 400, 'bad_request');
    expectRefusal(await rawHttp(url, `GET /admin/v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n`), 408, 'request_timeout');
    expect((await http(url, '/healthz')).status).toBe(200);
  });

  it('closes the connection after its answer, even for a client that keeps its side open', async () => {
    // Timeouts as configured by default: nothing but the answer itself closes these connections for 30 s.
    const app = createAdminApp({ store: harness.store, jobs: harness.jobs.queue, token: TOKEN, changes: noChanges, trustProxy: false, bodyLimitBytes: 64 * 1024, onUnexpected: () => undefined });
    const patient = createPublicServer(app, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, maxConnections: 0 });
    const sockets: Socket[] = [];
    patient.on('connection', (socket: Socket) => void sockets.push(socket));
    const patientUrl = `http://127.0.0.1:${await listenOn(patient, 0, '127.0.0.1')}`;
    const answers: RawAnswer[] = [];
    try {
      for (let i = 0; i < 3; i++) answers.push(await rawHttp(patientUrl, 'NOT HTTP AT ALL\r\n\r\n', { halfOpen: true }));
      for (const res of answers) expectRefusal(res, 400, 'bad_request');
      await waitFor('the server to close its side', () => (sockets.length === 3 && sockets.every((s) => s.destroyed) ? true : undefined), 5000, 20);
    } finally {
      for (const res of answers) res.hangUp();
      patient.closeAllConnections();
      await new Promise<void>((resolve) => patient.close(() => resolve()));
    }
  });
});
