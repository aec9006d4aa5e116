import type { CorsOrigins } from '@dropgate/config';
import { CorsPolicy } from '@dropgate/http';

/**
 * CORS of the public API for the origins the operator allows (PUBLIC_CORS_ORIGINS); undefined when none: then no
 * CORS header is sent and nothing is added in front of the routes.
 */
export function publicCors(origins: CorsOrigins | readonly string[]): CorsPolicy | undefined {
  if (origins !== '*' && origins.length === 0) return undefined;
  return new CorsPolicy({
    origins,
    methods: ['GET', 'HEAD', 'POST'],
    // What the routes read: the JSON body, a customer token, a retry's key, a long poll.
    allowHeaders: ['Content-Type', 'Authorization', 'Idempotency-Key', 'Prefer'],
    // What a client acts on: where to poll, when to retry (429, 503), whether its wait was applied.
    exposeHeaders: ['Location', 'Retry-After', 'Preference-Applied'],
    // The longest Chromium keeps a preflight: a page's polls and retries cost one preflight per two hours.
    maxAgeS: 7200,
  });
}
