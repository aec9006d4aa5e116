import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, createPublicServer } from './index';

/**
 * Shutting a public server down while a client keeps its kept-alive connections busy (a load balancer, `npm run
 * load`): `server.close()` alone waited for them to go quiet, so the intake served on until its shutdown deadline.
 */
describe('closeServer', () => {
  let server: Server;
  let served = 0;
  let agent: http.Agent;

  beforeEach(async () => {
    served = 0;
    // Each answer takes 30 ms: there is always a request in flight on each connection.
    server = createPublicServer((_req, res) => void setTimeout(() => (served++, res.end('ok')), 30), {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 0,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  });

  afterEach(() => {
    agent.destroy();
    server.closeAllConnections();
  });

  it('ends even while kept-alive connections stay busy, answering what is in flight', async () => {
    const port = (server.address() as AddressInfo).port;
    let stop = false;
    let answered = 0;
    const statuses = new Set<number>();
    const client = async (): Promise<void> => {
      while (!stop) {
        await new Promise<void>((resolve) => {
          const req = http.get({ host: '127.0.0.1', port, agent }, (res) => {
            statuses.add(res.statusCode ?? 0);
            res.resume();
            res.on('end', () => (answered++, resolve()));
          });
          // Refused once the server stopped listening: what a client of a stopped process sees.
          req.on('error', () => void setTimeout(resolve, 5));
        });
      }
    };
    const clients = [client(), client()];
    while (answered < 10) await new Promise((resolve) => setTimeout(resolve, 10));

    const startedAt = Date.now();
    const closed = await Promise.race([closeServer(server).then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 3000))]);
    const tookMs = Date.now() - startedAt;
    stop = true;
    await Promise.all(clients);
    expect(closed).toBe(true);
    expect(tookMs).toBeLessThan(1000);
    // The requests in flight when it began were answered, not dropped.
    expect(answered).toBe(served);
    expect([...statuses]).toEqual([200]);
  });
});
