import net from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1: for a server to listen on, or as an address nothing
 * listens on (e.g. an unreachable Redis).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
