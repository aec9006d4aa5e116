import { parsedVar } from './env-fields';

/**
 * PUBLIC_CORS_ORIGINS: which web origins may call the public intake from a browser. Empty (the default): none, no
 * CORS header is ever sent. `*`: any origin, only because the operator wrote it. Otherwise a comma-separated list of
 * origins (`https://shop.example`, `http://localhost:8080`), compared with a browser's `Origin` header as it sends
 * it: scheme, host and port, lower case, the default port left out.
 */
export type CorsOrigins = '*' | string[];

const MESSAGE = "must be empty, '*', or a comma-separated list of origins such as https://shop.example (scheme://host[:port], no path)";

/** Parses PUBLIC_CORS_ORIGINS; undefined when an entry is not an origin. */
export function parseCorsOrigins(raw: string): CorsOrigins | undefined {
  const value = raw.trim();
  if (value === '') return [];
  if (value === '*') return '*';
  const origins: string[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const origin = originOf(entry);
    if (origin === undefined) return undefined;
    if (!origins.includes(origin)) origins.push(origin);
  }
  return origins;
}

/** The entry as a browser would send it in `Origin`, if it is an http(s) origin and nothing more. */
function originOf(entry: string): string | undefined {
  if (!URL.canParse(entry)) return undefined;
  const url = new URL(entry);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // No path, query, fragment or credentials: an origin is scheme, host and port only.
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
  return url.origin;
}

export function corsOriginsVar() {
  return parsedVar<CorsOrigins>(parseCorsOrigins, MESSAGE);
}
