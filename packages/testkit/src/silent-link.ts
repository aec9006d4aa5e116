import net from 'node:net';

export interface SilentLink {
  /** redis://127.0.0.1:<port>: connect through the link instead of to the server. */
  url: string;
  /**
   * Every connection made so far goes silent, as over a dead network path: nothing more is passed either way and
   * nothing is closed (no FIN, no RST reaches the client). Connections made afterwards pass normally.
   */
  cut(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay on a free port of 127.0.0.1 to a real server (`target`, e.g. the test Redis), for the one failure a
 * local server cannot show: a connection that dies silently (a peer or middlebox gone) and is noticed only by
 * whoever expects a reply.
 */
export async function startSilentLink(target: string): Promise<SilentLink> {
  const { hostname, port } = new URL(target);
  const links = new Set<{ client: net.Socket; server: net.Socket; silent: boolean }>();
  // allowHalfOpen: a client's FIN on a cut link is not answered with ours.
  const relay = net.createServer({ allowHalfOpen: true }, (client) => {
    const server = net.connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    const link = { client, server, silent: false };
    links.add(link);
    const pass = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (data) => void (link.silent || to.write(data)));
      from.on('end', () => void (link.silent || to.end()));
      from.on('error', () => undefined);
      from.on('close', () => {
        if (link.silent) return;
        to.destroy();
        links.delete(link);
      });
    };
    pass(client, server);
    pass(server, client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(relay.address() as net.AddressInfo).port}`,
    cut: () => {
      for (const link of links) link.silent = true;
    },
    close: async () => {
      for (const link of links) {
        link.client.destroy();
        link.server.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
