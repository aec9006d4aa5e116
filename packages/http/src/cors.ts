import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

export interface CorsPolicyOptions {
  /** The origins whose pages may call (as the browser sends `Origin`), or '*' for any. */
  origins: '*' | readonly string[];
  /** Methods a preflight may ask for. */
  methods: readonly string[];
  /** Request headers a page may send beyond the CORS-safelisted ones (Content-Type: application/json is not one). */
  allowHeaders: readonly string[];
  /** Response headers a page's script may read beyond the safelisted ones. */
  exposeHeaders: readonly string[];
  /** How long a browser may keep a preflight's answer (Chromium caps it at 7200 s, Firefox at 86400 s). */
  maxAgeS: number;
}

/**
 * CORS (the Fetch standard's protocol) in front of a Node request listener, for a public API a browser page of another
 * origin calls. No credentials: customers authenticate with an `Authorization` header the page sets, never cookies.
 * A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is answered here, before
 * anything else runs (load shedding, rate limits, body, routing); any other request of an allowed origin gets
 * `Access-Control-Allow-Origin` and the exposed headers and goes on. A request of another origin (or without one) is
 * passed on untouched, so the browser refuses its answer to the page.
 */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly allowed: ReadonlySet<string>;
  private readonly exposed: string;
  private readonly preflightHeaders: Record<string, string>;

  constructor(options: CorsPolicyOptions) {
    this.any = options.origins === '*';
    this.allowed = new Set(options.origins === '*' ? [] : options.origins);
    this.exposed = options.exposeHeaders.join(', ');
    this.preflightHeaders = {
      'Access-Control-Allow-Methods': options.methods.join(', '),
      'Access-Control-Allow-Headers': options.allowHeaders.join(', '),
      'Access-Control-Max-Age': String(options.maxAgeS),
    };
  }

  /** The listener with this policy in front of it. `onPreflight` sees every preflight answered here (metrics). */
  wrap(listener: RequestListener, onPreflight?: (req: IncomingMessage, res: ServerResponse) => void): RequestListener {
    return (req, res) => {
      if (this.apply(req, res)) return void onPreflight?.(req, res);
      listener(req, res);
    };
  }

  /** Sets the CORS headers of `req`'s answer; true when it was a preflight, answered (204) here. */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    // The answer depends on Origin unless every origin gets the same: caches (a CDN in front) must key on it.
    if (!this.any) res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin === undefined || !(this.any || this.allowed.has(origin))) return false;
    res.setHeader('Access-Control-Allow-Origin', this.any ? '*' : origin);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.writeHead(204, this.preflightHeaders).end();
      return true;
    }
    if (this.exposed !== '') res.setHeader('Access-Control-Expose-Headers', this.exposed);
    return false;
  }
}
