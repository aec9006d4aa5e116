import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import { waitFor } from './wait-for';

interface Envelope {
  header: Record<string, unknown>;
  items: Array<{ header: Record<string, unknown>; payload: Record<string, unknown> }>;
}

export interface SentryEvent {
  event_id: string;
  environment?: string;
  tags?: Record<string, string>;
  exception?: { values?: Array<{ type?: string; value?: string }> };
}

/** Sentry's ingest, reduced to what tests check: keeps every envelope POSTed to /api/<project>/envelope/. */
export class SentryIngest {
  readonly raw: string[] = [];
  readonly paths: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    void this.read(req).then(
      (body) => {
        this.paths.push(req.url ?? '');
        this.raw.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      () => res.writeHead(400).end(),
    );
  });

  private async read(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const encoding = req.headers['content-encoding'];
    // The SDK may compress (gzip/deflate) or not; sniff the gzip magic too.
    if (encoding === 'gzip' || (body[0] === 0x1f && body[1] === 0x8b)) return gunzipSync(body).toString('utf8');
    if (encoding === 'deflate') return inflateSync(body).toString('utf8');
    return body.toString('utf8');
  }

  /** Listens on a free port of 127.0.0.1; returns the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** A DSN that sends here (once listening). */
  get dsn(): string {
    return `http://publickey@127.0.0.1:${(this.server.address() as AddressInfo).port}/1`;
  }

  /** Every error event received so far (envelopes are newline-delimited JSON: header, then item header + payload pairs). */
  events(): SentryEvent[] {
    return this.raw.flatMap((text) => parseEnvelope(text).items.filter((i) => i.header.type === 'event').map((i) => i.payload as unknown as SentryEvent));
  }

  /** The first error event that matches, waiting for it up to `timeoutMs` (polling what arrived, no blind sleep). */
  waitForEvent(what: string, match: (e: SentryEvent) => boolean, timeoutMs = 10_000): Promise<SentryEvent> {
    return waitFor(what, () => this.events().find(match), timeoutMs, 25);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function parseEnvelope(text: string): Envelope {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = JSON.parse(lines[0]!) as Record<string, unknown>;
  const items: Envelope['items'] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    items.push({ header: JSON.parse(lines[i]!) as Record<string, unknown>, payload: JSON.parse(lines[i + 1]!) as Record<string, unknown> });
  }
  return { header, items };
}
