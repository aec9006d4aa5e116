import net from 'node:net';
import { StoreClosedError } from '@dropgate/store';
import { createMongoStore } from './mongo-store';

/**
 * A closed store never opens a connection again. No MongoDB server is needed to see it: a TCP listener counts the
 * connections the driver makes to it (and cuts each at once, so every try fails fast).
 */
describe('a closed MongoDB store stays closed', () => {
  let server: net.Server;
  let port: number;
  let connections = 0;
  let connected: () => void = () => undefined;
  beforeAll(async () => {
    server = net.createServer((socket) => {
      connections++;
      connected();
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const openAndClose = async () => {
    const reached = new Promise<void>((resolve) => (connected = resolve));
    const store = createMongoStore({ url: `mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=200&directConnection=true`, dbName: 'dropgate_closed_test' });
    // Open for real (as a process at start): the store reaches the listener, which cuts it off.
    await expect(store.ping()).rejects.toThrow();
    await reached; // the event, not a count read at some moment: under load it may come after the ping gave up
    await store.close();
    // A connection the driver began before close() may still be announced by the listener one turn later.
    await new Promise((resolve) => setImmediate(resolve));
    return store;
  };

  it('ping and migrate after close fail at once with StoreClosedError, without a connection attempt', async () => {
    const store = await openAndClose();
    const before = connections;
    const started = Date.now();
    await expect(store.ping()).rejects.toThrow(StoreClosedError);
    await expect(store.ping()).rejects.toThrow(/^the mongo store is closed/);
    await expect(store.migrate()).rejects.toThrow(StoreClosedError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(connections).toBe(before);
  });

  it('a late call (a transaction, or a plain read) fails at once instead of buffering for a connection', async () => {
    const store = await openAndClose();
    const before = connections;
    const started = Date.now();
    await expect(store.campaigns.list()).rejects.toThrow(StoreClosedError);
    await expect(store.redemptions.redeem({ attemptId: 'a1', campaignId: 'c1', code: 'CODE', customerId: 'x', now: new Date() })).rejects.toThrow(StoreClosedError);
    await expect(store.codes.get('c1', 'CODE')).rejects.toThrow(/Connection was force closed/);
    // mongoose's buffering would have waited 10 s; the driver would have reached the listener.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(connections).toBe(before);
  });

  it('close is idempotent', async () => {
    const store = await openAndClose();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
