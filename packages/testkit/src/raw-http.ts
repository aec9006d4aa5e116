import net from 'node:net';

/** A server's answer to bytes sent as given, read until it closed the connection. */
export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Closes our side (a `halfOpen` exchange keeps it open until then). */
  hangUp: () => void;
}

/**
 * Sends `request` byte for byte on a new connection (what `fetch` and node:http refuse to send: oversized or malformed
 * headers, a request cut short: a client too slow to finish it) and reads the answer until the server closes the
 * connection. Our side is never ended first: the server answers what it has.
 */
export function rawHttp(baseUrl: string, request: string, options: { timeoutMs?: number; halfOpen?: boolean } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // halfOpen: our side stays open after the server's end (a client that never closes); the answer is read at its end.
    const socket = net.connect({ host: hostname, port: Number(port), allowHalfOpen: options.halfOpen === true });
    const chunks: Buffer[] = [];
    socket.setTimeout(options.timeoutMs ?? 10_000, () => socket.destroy(new Error('the server did not close the connection in time')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on(options.halfOpen ? 'end' : 'close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split === -1 ? text.length : split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const body = split === -1 ? '' : text.slice(split + 4);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      socket.setTimeout(0);
      resolve({ hangUp: () => void socket.destroy(), status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body, json });
    });
    socket.write(request);
  });
}
