import { spawn } from 'node:child_process';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appEntry, appEnv, requestJson, startSystem, type RunningSystem, openClaimsCampaign } from '@dropgate/testkit';

/**
 * The intake behind one reverse proxy (TRUST_PROXY=1), as spawned processes. The proxy here does what a real one
 * does: it appends the address it saw to whatever X-Forwarded-For the client sent. A client that sends its own chain
 * must not be able to pick its rate-limit identity: only the hop the proxy added counts.
 */

const RATE_IP_POINTS = 3;
/** Test-only header: which address the proxy "sees" for this client (so two real clients can be told apart). */
const SEEN_AS = 'x-test-seen-as';

/** A minimal reverse proxy: forwards to `target`, appending the client's (seen) address to X-Forwarded-For. */
function startProxy(target: string): Promise<Server> {
  const to = new URL(target);
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const seen = (req.headers[SEEN_AS] as string | undefined) ?? req.socket.remoteAddress ?? 'unknown';
    const headers = { ...req.headers };
    delete headers[SEEN_AS];
    const incoming = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = incoming ? `${String(incoming)}, ${seen}` : seen;
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('spoofed X-Forwarded-For behind one trusted proxy (spawned intake)', () => {
  let sys: RunningSystem;
  let proxy: Server;
  let proxyUrl = '';
  let campaignId = '';

  beforeAll(async () => {
    sys = await startSystem({
      workers: 0,
      env: { TRUST_PROXY: '1', RATE_IP_POINTS: String(RATE_IP_POINTS), RATE_IP_DURATION_S: '60', RATE_IP_BLOCK_S: '60', RATE_CUSTOMER_POINTS: '1000', CAMPAIGN_CACHE_TTL_MS: '200' },
    });
    proxy = await startProxy(sys.intakeUrl);
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    campaignId = await openClaimsCampaign(sys, 'proxy', 50);
  }, 120_000);

  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    await sys?.stop();
  }, 60_000);

  const claimVia = (seenAs: string, spoofed: string, i: number) =>
    requestJson(`${proxyUrl}/v1/claims`, { headers: { [SEEN_AS]: seenAs, 'x-forwarded-for': spoofed }, body: { campaignId, customerId: `c-${seenAs}-${i}` } });

  it('limits a client by the address the proxy saw, whatever chain it sends itself', async () => {
    const statuses: number[] = [];
    // Every request claims to come from a different address (and a different chain length).
    for (let i = 0; i < RATE_IP_POINTS + 3; i++) {
      const spoofed = Array.from({ length: 1 + (i % 3) }, (_, k) => `10.${i}.${k}.${(i * 7) % 250}`).join(', ');
      statuses.push((await claimVia('198.51.100.10', spoofed, i)).status);
    }
    expect(statuses).toEqual([...Array<number>(RATE_IP_POINTS).fill(202), 429, 429, 429]);

    // Another real client behind the same proxy is someone else: its own budget.
    expect((await claimVia('198.51.100.20', '198.51.100.10', 0)).status).toBe(202);
    // And nobody escapes by claiming, in the chain, to be that other client.
    expect((await claimVia('198.51.100.10', '198.51.100.20', 99)).status).toBe(429);
  });

  it('refuses TRUST_PROXY=true at start-up with a message saying what to set', async () => {
    const child = spawn(process.execPath, [appEntry('intake')], { env: appEnv({ TRUST_PROXY: 'true', PORT: '0', METRICS_PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/TRUST_PROXY must not be 'true'/);
    expect(stderr).toMatch(/number of proxies/);
  }, 30_000);
});
