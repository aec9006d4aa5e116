import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import proxyaddr from 'proxy-addr';
import type { ClientSource } from '@dropgate/guard';
import { answerError, bodyErrors, parseJsonBody, type ErrorHandlerOptions } from '@dropgate/http';
import type { AttemptCall, AttemptHandlers } from './attempt-handlers';
import type { IntakeDeps, IntakeSettings } from './intake-deps';
import { INTAKE_ROUTES } from './intake-routes';
import type { RequestMeter } from './request-meter';

export interface FastLaneParts {
  /** The Express app: answers every request the lane does not take, exactly as without the lane. */
  app: Express;
  handlers: AttemptHandlers;
  meter: RequestMeter;
  shedder?: IntakeDeps['shedder'];
  settings: Pick<IntakeSettings, 'bodyLimitBytes' | 'trustProxy'>;
  onUnexpected: ErrorHandlerOptions<IncomingMessage>['onUnexpected'];
}

type Handle = (body: unknown, call: AttemptCall) => Promise<void>;

/** `Content-Type`s the lane reads itself: JSON in UTF-8 (any other charset, or an encoding, goes through Express). */
const PLAIN_JSON = /^application\/json(?:[ \t]*;[ \t]*charset=(?:utf-8|"utf-8"))?$/i;

/**
 * The intake's front door: a plain `node:http` listener that answers `POST /v1/redemptions` and `POST /v1/claims` in
 * their usual shape (exact path, `Content-Length`, JSON in UTF-8, no `Content-Encoding`) without Express's router and
 * body parser, which cost more than everything else a bot's request needs. It does what the Express route does, in the
 * same order and with the same pieces: request metrics, load shedding before the body, the blocked-source check before
 * the body, a body read with the same limit and the same JSON rule (`parseJsonBody`: body-parser's strict mode, BOM dropped,
 * empty body = `{}`, no key twice), then the very route handlers (attempt-handlers.ts), errors answered by the same error handler.
 * Everything else (other routes, other spellings or encodings, chunked bodies) is handed to the Express app untouched.
 */
export function fastLane(parts: FastLaneParts): RequestListener {
  const { app, handlers, meter, shedder } = parts;
  const limit = parts.settings.bodyLimitBytes;
  const trust = trustOf(app, parts.settings.trustProxy);
  const errors: ErrorHandlerOptions<IncomingMessage> = { onUnexpected: parts.onUnexpected };
  const redeem: Handle = (body, call) => handlers.redeem(body, call);
  const claim: Handle = (body, call) => handlers.claim(body, call);
  const redeemPath = INTAKE_ROUTES.redeem.path;
  const claimPath = INTAKE_ROUTES.claim.path;

  return (req, res) => {
    const path = req.url ?? '';
    const handle = req.method !== 'POST' ? undefined : path === redeemPath ? redeem : path === claimPath ? claim : undefined;
    if (handle === undefined || !readable(req)) return void app(req, res);
    const start = process.hrtime.bigint();
    res.once('finish', () => meter.observe(path, res.statusCode, start));
    // What Express's router would catch: nothing thrown here may reach the server's 'request' emitter.
    try {
      if (shedder && !shedder.admit(res)) return;
      // As Express's req.ip (which falls back to 'unknown' too: a socket already gone has no address).
      const ip = (proxyaddr(req, trust) as string | undefined) ?? 'unknown';
      const source = handlers.admitSource(res, ip);
      if (source === undefined) return;
      // body-parser refuses a declared length over the limit before reading anything.
      if (Number(req.headers['content-length']) > limit) return answerError(bodyErrors.tooLarge(), req, res, errors);
      read(req, res, handle, ip, source);
    } catch (err) {
      answerError(err, req, res, errors);
    }
  };

  function read(req: IncomingMessage, res: ServerResponse, handle: Handle, ip: string, source: ClientSource): void {
    readBody(req, (text) => {
      let body: unknown;
      try {
        body = parseJsonBody(text);
      } catch (err) {
        return answerError(err, req, res, errors);
      }
      handle(body, { req, res, ip, source }).catch((err: unknown) => answerError(err, req, res, errors));
    });
  }
}

/** Whether the lane reads this request's body itself: the usual shape of a client's JSON request. */
function readable(req: IncomingMessage): boolean {
  const { headers } = req;
  const type = headers['content-type'];
  return (
    type !== undefined &&
    (type === 'application/json' || PLAIN_JSON.test(type)) &&
    headers['content-length'] !== undefined &&
    headers['content-encoding'] === undefined &&
    headers['transfer-encoding'] === undefined
  );
}

/** Reads the body (Node's parser delivers exactly `Content-Length` bytes); nothing is answered if the client leaves. */
function readBody(req: IncomingMessage, done: (text: string) => void): void {
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  req.on('data', (chunk: Buffer) => {
    if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.once('end', () => {
    const bytes = more ? Buffer.concat(more) : (first ?? Buffer.alloc(0));
    done(bytes.toString('utf8'));
  });
}

/**
 * Express's compiled `trust proxy` rule (one source: the app's own setting), remembered per address when it depends
 * only on the address (a list of proxies or subnets: each check parses the address), so the proxy's own address is
 * parsed once, not on every request.
 */
function trustOf(app: Express, setting: IntakeSettings['trustProxy']): (addr: string, hop: number) => boolean {
  const compiled = app.get('trust proxy fn') as (addr: string, hop: number) => boolean;
  // true, false or a hop count: the answer depends on the hop, and costs nothing to compute.
  if (typeof setting === 'boolean' || typeof setting === 'number') return compiled;
  const known = new Map<string, boolean>();
  return (addr, hop) => {
    let trusted = known.get(addr);
    if (trusted === undefined) {
      if (known.size >= 10_000) known.clear();
      known.set(addr, (trusted = compiled(addr, hop)));
    }
    return trusted;
  };
}
