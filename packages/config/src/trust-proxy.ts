import { isIP } from 'node:net';
import { parsedVar } from './env-fields';

/**
 * What Express's `app.set('trust proxy', value)` accepts, minus the function form:
 * false (default) | true | a hop count | a list of addresses, subnets or the names loopback/linklocal/uniquelocal.
 * (The list is frozen at run time like the rest of the config; typed mutable so it fits Express's setting types.)
 */
export type TrustProxy = boolean | number | string[];

const PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isSubnet(entry: string): boolean {
  const slash = entry.indexOf('/');
  if (slash === -1) return isIP(entry) !== 0;
  const address = entry.slice(0, slash);
  const range = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0) return false;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4; // 10.0.0.0/255.0.0.0
}

/** Parses TRUST_PROXY; returns undefined when the value is not one of the accepted forms. */
export function parseTrustProxy(raw: string): TrustProxy | undefined {
  const value = raw.trim();
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops <= 100 ? hops : undefined;
  }
  const entries = value.split(',').map((e) => e.trim());
  if (entries.some((e) => e === '' || !(PRESETS.has(e) || isSubnet(e)))) return undefined;
  return entries;
}

const MESSAGE = "must be 'false', 'true', a hop count, or a comma-separated list of addresses/subnets/loopback/linklocal/uniquelocal";

export function trustProxyVar() {
  return parsedVar<TrustProxy>(parseTrustProxy, MESSAGE);
}
