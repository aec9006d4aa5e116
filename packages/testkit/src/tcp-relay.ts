import net from 'node:net';

export interface TcpRelay {
  /** `target` with the relay's host and port: connect through the relay instead of to the server. */
  url: string;
  /** Connections made through the relay so far. */
  readonly connections: number;
  /**
   * The server gone, as its clients see it: every connection is reset and new ones are refused until `restore()`.
   * The server itself is untouched (a shared PostgreSQL is never stopped by a test).
   */
  cut(): Promise<void>;
  /** Takes connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP relay on a free port of 127.0.0.1 to a real server (`target`, any URL with a host and port, e.g. the test
 * PostgreSQL), that a test can cut and restore: a database outage for the processes behind it alone.
 */
export async function startTcpRelay(target: string): Promise<TcpRelay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const relay = net.createServer((client) => {
    connections++;
    const server = net.connect({ host: hostname, port: Number(port) });
    for (const [from, to] of [
      [client, server],
      [server, client],
    ] as const) {
      sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  const listen = (at: number): Promise<number> =>
    new Promise((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(at, '127.0.0.1', () => {
        relay.off('error', reject);
        resolve((relay.address() as net.AddressInfo).port);
      });
    });
  const stop = (): Promise<void> => {
    const closed = new Promise<void>((resolve) => (relay.listening ? relay.close(() => resolve()) : resolve()));
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    return closed;
  };
  const relayPort = await listen(0);
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(relayPort);
  return {
    url: url.toString(),
    get connections() {
      return connections;
    },
    cut: stop,
    restore: async () => void (await listen(relayPort)),
    close: stop,
  };
}
