import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { captureException, closeSentry, flushSentry, initSentry } from './index';

/** A stand-in for Sentry's ingest endpoint: keeps every envelope it receives. */
class FakeIngest {
  readonly envelopes: string[] = [];
  private readonly waiters: { match: (e: string) => boolean; resolve: (e: string) => void }[] = [];
  readonly server: Server = createServer((req, res) => {
    void this.read(req).then((body) => {
      this.envelopes.push(body);
      for (const w of [...this.waiters]) if (w.match(body)) w.resolve(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  private async read(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    return (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves with the first envelope (already received or to come) that matches; rejects after `timeoutMs`. */
  waitFor(match: (envelope: string) => boolean, timeoutMs: number): Promise<string> {
    const seen = this.envelopes.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching envelope within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('Sentry (real HTTP to a local ingest)', () => {
  const ingest = new FakeIngest();
  let port = 0;
  let consoleWarn: jest.SpyInstance;

  beforeAll(async () => {
    port = await ingest.listen();
    // Before any init: the SDK's console instrumentation then wraps the spy, and its own warnings reach it.
    consoleWarn = jest.spyOn(console, 'warn');
  });

  // Each test starts its own client, as each process does once: the previous one is closed first, else the SDK
  // warns that init was called more than once (the new client replacing one still active).
  afterEach(async () => {
    await closeSentry(2000);
    expect(consoleWarn).not.toHaveBeenCalled();
  });

  afterAll(async () => {
    consoleWarn.mockRestore();
    await ingest.close();
  });

  it('sends a captured error, tagged with the app, and flushes', async () => {
    expect(initSentry({ dsn: `http://publickey@127.0.0.1:${port}/1`, environment: 'test', app: 'intake-test' })).toBe(true);
    const message = `kaboom-${Date.now()}`;
    const eventId = captureException(new Error(message), { stage: 'enqueue' });
    expect(eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(await flushSentry(5000)).toBe(true);

    const envelope = await ingest.waitFor((e) => e.includes(message), 5000);
    const [header, , event] = envelope.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(header).toMatchObject({ event_id: eventId });
    expect(event).toMatchObject({
      event_id: eventId,
      environment: 'test',
      tags: { app: 'intake-test', stage: 'enqueue' },
      exception: { values: [expect.objectContaining({ type: 'Error', value: message })] },
    });
  });

  it('scrubs codes, customer ids and tokens from what it sends (beforeSend)', async () => {
    const adminToken = `admintoken-${Date.now()}-secret`;
    expect(initSentry({ dsn: `http://publickey@127.0.0.1:${port}/1`, environment: 'test', app: 'intake-test', secrets: [adminToken] })).toBe(true);
    const marker = `scrub-${Date.now()}`;
    // Built at run time: the SDK sends source lines around the throw, and these must not be in them literally.
    const customer = ['alice', 'example.com'].join('@');
    const code = ['SYN', '7KQ2', 'M4XP'].join('-');
    const jwt = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiJhbGljZSJ9', 'c2lnbmF0dXJl'].join('.');
    captureException(new Error(`${marker} customerId=${customer} code=${code} token ${jwt} admin ${adminToken}`));
    expect(await flushSentry(5000)).toBe(true);
    const envelope = await ingest.waitFor((e) => e.includes(marker), 5000);
    for (const leak of [customer, code, jwt, adminToken]) expect(envelope).not.toContain(leak);
    expect(envelope).toContain('[redacted]');
  });
});
