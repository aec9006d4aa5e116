import type { Server, ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import express from 'express';
import { LoadShedder } from './load-shedder';

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // hold the event loop, as a CPU-bound flood does
  }
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Samples short windows until one is calm (this machine is shared and loaded: a single window may not be). */
async function calmWindow(shedder: LoadShedder): Promise<void> {
  for (let i = 0; i < 50 && (i === 0 || shedder.shedding); i++) {
    await tick(200);
    shedder.sample();
  }
}

describe('LoadShedder', () => {
  let server: Server;
  let url = '';
  const changes: boolean[] = [];
  let parsed = 0;
  const shedder = new LoadShedder({ maxDelayMs: 100, windowMs: 60_000, retryAfterS: 2, onChange: (s) => changes.push(s) });

  beforeAll(async () => {
    shedder.start();
    const app = express();
    app.use(shedder.middleware());
    app.post(
      '/work',
      (req, _res, next) => {
        parsed += 1;
        next();
      },
      express.json(),
      (_req, res) => {
        res.status(202).json({ ok: true });
      },
    );
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    shedder.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = () => fetch(`${url}/work`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });

  it('lets requests through while the event loop keeps up', async () => {
    await calmWindow(shedder);
    expect(shedder.shedding).toBe(false);
    expect((await send()).status).toBe(202);
    expect(parsed).toBe(1);
  });

  it('answers 503 overloaded + Retry-After without reading the body while the loop lags, and recovers', async () => {
    // Several long stalls in one window: its p99 delay is far above 100 ms.
    for (let i = 0; i < 5; i++) {
      busy(400);
      await tick(1);
    }
    shedder.sample();
    expect(shedder.shedding).toBe(true);
    expect(shedder.delayMs).toBeGreaterThan(100);
    const res = await send();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({ error: { code: 'overloaded' } });
    expect(parsed).toBe(1); // never reached the route's body parsing

    await calmWindow(shedder);
    expect(shedder.shedding).toBe(false);
    expect((await send()).status).toBe(202);
    expect(changes.slice(-2)).toEqual([true, false]);
  });

  it('never sheds when off (0)', () => {
    const off = new LoadShedder({ maxDelayMs: 0 }).start();
    busy(300);
    off.sample();
    expect(off.shedding).toBe(false);
    off.stop();
  });
});

/**
 * An app behind `shedder` whose POST /hold requests wait until the test answers them (`holding`, in order; their
 * responses in `leaving`), listening on a free port for the describe block that calls it.
 */
function holdingServer(shedder: LoadShedder) {
  let server: Server;
  let url = '';
  const holding: Array<() => void> = [];
  const leaving: ServerResponse[] = [];
  beforeAll(async () => {
    const app = express();
    app.use(shedder.middleware());
    app.post('/hold', express.json(), (_req, res) => {
      leaving.push(res);
      holding.push(() => res.status(202).json({ ok: true }));
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    holding,
    leaving,
    /** Where it listens (once beforeAll has run). */
    url: () => url,
    send: () => fetch(`${url}/hold`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }),
  };
}

describe('LoadShedder: in-flight cap', () => {
  const shedder = new LoadShedder({ maxDelayMs: 0, maxInFlight: 3, retryAfterS: 2 });
  const { holding, leaving, url, send } = holdingServer(shedder);

  it('sheds at once what comes while the cap is reached, and lets requests in again as others finish', async () => {
    const first = [send(), send(), send()];
    for (let i = 0; i < 100 && holding.length < 3; i++) await tick(10);
    expect(shedder.inFlight).toBe(3);
    const started = performance.now();
    const shed = await send();
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('2');
    expect(await shed.json()).toEqual({ error: { code: 'overloaded', message: 'the server is overloaded; try again shortly' } });
    expect(performance.now() - started).toBeLessThan(1000); // answered, not queued behind the three
    expect(shedder.shed).toBe(1);

    holding.shift()!();
    expect((await first[0]!).status).toBe(202);
    for (let i = 0; i < 100 && shedder.inFlight > 2; i++) await tick(10);
    expect(shedder.inFlight).toBe(2);
    const fourth = send();
    for (let i = 0; i < 100 && holding.length < 3; i++) await tick(10);
    expect(shedder.inFlight).toBe(3);
    while (holding.length > 0) holding.shift()!();
    expect((await Promise.all([first[1]!, first[2]!, fourth])).map((r) => r.status)).toEqual([202, 202, 202]);
    for (let i = 0; i < 100 && shedder.inFlight > 0; i++) await tick(10);
    expect(shedder.inFlight).toBe(0);
  });

  it('frees the slot of a request that left (a long poll waiting), once, not again when it closes', async () => {
    const waiting = send();
    for (let i = 0; i < 100 && holding.length < 1; i++) await tick(10);
    expect(shedder.inFlight).toBe(1);
    const res = leaving.at(-1)!;
    shedder.leave(res);
    shedder.leave(res);
    expect(shedder.inFlight).toBe(0);
    holding.shift()!();
    expect((await waiting).status).toBe(202);
    for (let i = 0; i < 20; i++) await tick(5);
    expect(shedder.inFlight).toBe(0);
  });

  it('counts a request whose client went away as finished', async () => {
    const aborted = new AbortController();
    const gone = send();
    void gone.catch(() => undefined);
    const cut = fetch(`${url()}/hold`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":2}', signal: aborted.signal }).catch(() => undefined);
    for (let i = 0; i < 100 && holding.length < 2; i++) await tick(10);
    expect(shedder.inFlight).toBe(2);
    aborted.abort();
    await cut;
    for (let i = 0; i < 100 && shedder.inFlight > 1; i++) await tick(10);
    expect(shedder.inFlight).toBe(1);
    while (holding.length > 0) holding.shift()!();
    expect((await gone).status).toBe(202);
  });

});

describe('LoadShedder: adaptive in-flight cap', () => {
  let now = 0;
  const shedder = new LoadShedder({ maxDelayMs: 0, maxInFlight: 4, adaptive: { targetLatencyMs: 50, minInFlight: 1, windowMs: 100 }, now: () => now });
  const { holding, send } = holdingServer(shedder);
  // Up to 10 s (a loaded machine), then a failure that says so: a request sent before the others are held could be
  // let in and held for ever instead of refused.
  const heldCount = async (n: number): Promise<void> => {
    for (let i = 0; i < 1000 && holding.length < n; i++) await tick(10);
    expect(holding.length).toBe(n);
  };

  it('lets in fewer at once after what it let in took longer than the target', async () => {
    expect(shedder.inFlightLimit).toBe(4);
    const first = [send(), send(), send(), send()];
    await heldCount(4);
    expect((await send()).status).toBe(503);
    // They took 500 ms by the shedder's clock, with the cap full: the window's p99 is over the 50 ms target.
    now = 500;
    while (holding.length > 0) holding.shift()!();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([202, 202, 202, 202]);
    for (let i = 0; i < 100 && shedder.inFlight > 0; i++) await tick(10);
    expect(shedder.inFlightLimit).toBe(3);

    const second = [send(), send(), send()];
    await heldCount(3);
    expect(shedder.inFlight).toBe(3);
    expect((await send()).status).toBe(503);
    while (holding.length > 0) holding.shift()!();
    expect((await Promise.all(second)).map((r) => r.status)).toEqual([202, 202, 202]);
  });
});

describe('LoadShedder: pipelined requests', () => {
  let pipedServer: Server;
  const piped = new LoadShedder({ maxDelayMs: 0, maxInFlight: 100 });
  const held: Array<() => void> = [];
  const serverSockets = new Set<Socket>();

  beforeAll(async () => {
    const app = express();
    app.use(piped.middleware());
    app.post('/hold', express.json(), (req, res) => {
      serverSockets.add(req.socket);
      held.push(() => res.status(202).json({ ok: true }));
    });
    pipedServer = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  });

  afterAll(async () => {
    pipedServer.closeAllConnections();
    await new Promise((resolve) => pipedServer.close(resolve));
  });

  it('counts pipelined requests whose connection closed before their turn to answer as finished', async () => {
    // Several requests in one write on one connection: Node lets them all in at once, but only the first response has
    // the socket; the others wait their turn and are never closed if the connection dies first.
    const socket = connect((pipedServer.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.on('error', () => undefined);
    // More than a socket's default listener limit (10): one listener per connection, not per request.
    socket.write('POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'.repeat(12));
    for (let i = 0; i < 100 && held.length < 12; i++) await tick(10);
    expect(piped.inFlight).toBe(12);
    expect(serverSockets.size).toBe(1);
    for (const s of serverSockets) expect(s.listenerCount('close')).toBeLessThanOrEqual(s.getMaxListeners() - 5);
    socket.destroy();
    for (let i = 0; i < 100 && piped.inFlight > 0; i++) await tick(10);
    expect(piped.inFlight).toBe(0);
    while (held.length > 0) held.shift()!();
    await tick(50);
    expect(piped.inFlight).toBe(0); // answered late: not released twice

    // Pipelined and answered on a live connection: released once each, not again when the connection closes.
    const live = connect((pipedServer.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => live.once('connect', resolve));
    let answers = '';
    live.on('data', (chunk: Buffer) => (answers += chunk.toString()));
    live.write('POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'.repeat(2));
    for (let i = 0; i < 100 && held.length < 2; i++) await tick(10);
    expect(piped.inFlight).toBe(2);
    while (held.length > 0) held.shift()!();
    for (let i = 0; i < 100 && answers.split('HTTP/1.1 202').length < 3; i++) await tick(10);
    expect(piped.inFlight).toBe(0);
    live.destroy();
    await tick(50);
    expect(piped.inFlight).toBe(0);
  });
});

describe('LoadShedder: an adaptive cap it cannot honour', () => {
  it('is refused, not ignored (no cap) nor clamped (floor above the cap)', () => {
    expect(() => new LoadShedder({ maxDelayMs: 0, maxInFlight: 0, adaptive: { targetLatencyMs: 50, minInFlight: 1 } })).toThrow(/needs a maxInFlight cap/);
    expect(() => new LoadShedder({ maxDelayMs: 0, maxInFlight: 4, adaptive: { targetLatencyMs: 50, minInFlight: 8 } })).toThrow(/min \(8\) <= max \(4\)/);
    expect(new LoadShedder({ maxDelayMs: 0, maxInFlight: 4, adaptive: { targetLatencyMs: 50, minInFlight: 4 } }).inFlightLimit).toBe(4);
  });
});
