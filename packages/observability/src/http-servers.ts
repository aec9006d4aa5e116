import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorMessage } from '@dropgate/core';
import { answerClientError } from '@dropgate/http';

export interface InternalEndpoints {
  /** Prometheus text. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** Resolves when the process can take work (its dependencies answer); rejects otherwise, saying why (`dependencyChecks`). */
  ready?: () => Promise<void>;
}

export interface HttpTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Connections beyond this are refused by Node (server.maxConnections); 0 = no cap. */
  maxConnections: number;
}

/** The HTTP_* variables as the config has them. */
export function httpTimeoutsFrom(config: {
  HTTP_HEADERS_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
  HTTP_MAX_CONNECTIONS: number;
}): HttpTimeouts {
  return {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: Math.max(config.HTTP_REQUEST_TIMEOUT_MS, config.HTTP_HEADERS_TIMEOUT_MS),
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
  };
}

/**
 * A server for an app facing clients, with the configured slow-client guards: a client must send its headers
 * within `headersTimeoutMs` and its whole request within `requestTimeoutMs` (checked every second, not Node's default
 * 30 s), idle keep-alive connections close after `keepAliveTimeoutMs`, and at most `maxConnections` are held.
 * What Node's parser refuses (a timeout, headers too large, a malformed request) is answered in the API's JSON errors.
 */
export function createPublicServer(handler: http.RequestListener, t: HttpTimeouts): Server {
  const server = http.createServer(
    { headersTimeout: t.headersTimeoutMs, requestTimeout: t.requestTimeoutMs, keepAliveTimeout: t.keepAliveTimeoutMs, connectionsCheckingInterval: 1000 },
    handler,
  );
  if (t.maxConnections > 0) server.maxConnections = t.maxConnections;
  server.on('clientError', answerClientError);
  return server;
}

/**
 * Stops a public server for a shutdown: no new connections, and whatever still arrives on a kept-alive connection
 * is answered with `Connection: close`, so the connection ends with that answer; idle ones are closed as they go idle
 * (every 100 ms). `server.close()` alone waits for kept-alive connections to go quiet, which a client that keeps them
 * busy (a load balancer, a load generator) never lets happen: the process kept serving until its shutdown deadline.
 * Resolves once every connection is gone; requests in flight are answered first.
 */
export function closeServer(server: Server): Promise<void> {
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  });
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  return new Promise<void>((resolve) =>
    server.close(() => {
      clearInterval(sweep);
      resolve();
    }),
  );
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A readiness check that takes longer than this is a no: a probe must not hang on a dependency that is away. */
const READY_TIMEOUT_MS = 2000;

function answersWithin(ms: number, check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([check(), late]).finally(() => clearTimeout(timer));
}

/**
 * The operator's port: `/metrics` (Prometheus) and `/readyz` (dependencies reachable), `/healthz` too, never on the
 * public port (a scraper's view of queue depths and outcomes is nobody else's business, and readiness probes must
 * not be a cheap way to make the process ping Redis). Plain node:http: nothing to parse, nothing to configure.
 */
export function createInternalServer(endpoints: InternalEndpoints): Server {
  return http.createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      endpoints.metrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body);
        },
        () => send(res, 500, { error: { code: 'internal_error', message: 'metrics unavailable' } }),
      );
    } else if (path === '/readyz') {
      answersWithin(READY_TIMEOUT_MS, endpoints.ready ?? (() => Promise.resolve())).then(
        () => send(res, 200, { status: 'ready' }),
        (err: unknown) => send(res, 503, { error: { code: 'unavailable', message: `not ready: ${errorMessage(err)}` } }),
      );
    } else if (path === '/healthz') {
      send(res, 200, { status: 'ok' });
    } else {
      send(res, 404, { error: { code: 'not_found', message: 'not found' } });
    }
  });
}

/**
 * A listener that cannot bind its port (taken by another process, or privileged): the message names the variable
 * that chose it, and `notRestartable` tells the process's supervisor that restarting cannot help.
 */
export class PortUnavailableError extends Error {
  readonly notRestartable = true;
  constructor(
    readonly variable: string,
    readonly port: number,
    readonly code: string,
  ) {
    super(
      code === 'EADDRINUSE'
        ? `${variable} ${port} is already in use (EADDRINUSE): stop what listens there, or set ${variable} to a free port`
        : `${variable} ${port} cannot be listened on (${code}): set ${variable} to another port`,
    );
    this.name = 'PortUnavailableError';
  }
}

/**
 * Starts listening; resolves with the bound port (0 picks one). Fails (EADDRINUSE, ...) instead of throwing later;
 * with `variable` (the setting that chose the port), a port in use or not allowed is a `PortUnavailableError`.
 */
export function listenOn(server: Server, port: number, host?: string, variable?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => {
      const code = err.code ?? /\b(EADDRINUSE|EACCES)\b/.exec(err.message)?.[1];
      reject(variable !== undefined && (code === 'EADDRINUSE' || code === 'EACCES') ? new PortUnavailableError(variable, port, code) : err);
    };
    server.once('error', fail);
    // No host: every interface (IPv6 and IPv4 where the system has both), as Express's app.listen(port).
    server.listen({ port, ...(host === undefined ? {} : { host }) }, () => {
      server.off('error', fail);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
