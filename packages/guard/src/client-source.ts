import { hash } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/**
 * Who sent a request, as the guard counts it: the address and its subnet (IPv4 /24, IPv6 /64: what one
 * household, host or cloud customer usually holds), each as a short hash. Hashes, not addresses, are what go into
 * Redis keys and attempt jobs (a worker counts a wrong code against the source without ever seeing its address).
 */
export interface ClientSource {
  address: string;
  subnet: string;
}

const CACHE_MAX = 100_000;
const cache = new Map<string, ClientSource>();

/** The source of `ip` (as Express gives it: IPv4, IPv6, or IPv4-mapped IPv6). Memoised: bots repeat addresses. */
export function clientSource(ip: string): ClientSource {
  let source = cache.get(ip);
  if (source !== undefined) return source;
  source = { address: shortHash(`a|${ip}`), subnet: shortHash(`s|${subnetOf(ip)}`) };
  // Dropped whole when full: cheaper than an LRU, and a flood of fresh addresses refills it with what is used.
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(ip, source);
  return source;
}

/** Plain dotted-decimal IPv4 (no leading zeros: "010.1.1.1" is octal to ipaddr.js and takes its slow path). */
const PLAIN_IPV4 = /^((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** "203.0.113.7" → "203.0.113.0/24"; "2001:db8:1:2:3::4" → "2001:db8:1:2::/64"; unparsable → itself. */
export function subnetOf(ip: string): string {
  // The common case without ipaddr.js's parse (bots rotate addresses: most requests miss the cache above).
  const plain = PLAIN_IPV4.exec(ip);
  if (plain) return `${plain[1]}.0/24`;
  if (!ipaddr.isValid(ip)) return ip;
  const parsed = ipaddr.process(ip); // IPv4-mapped IPv6 ("::ffff:1.2.3.4") counts as the IPv4 address
  if (parsed.kind() === 'ipv4') {
    const [a, b, c] = parsed.toByteArray();
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (parsed as ipaddr.IPv6).parts;
  return `${parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
}

/** Customer ids (often e-mail addresses) never appear in Redis keys: a short hash stands in for them. */
export function customerKey(customerId: string): string {
  return hash('sha256', customerId, 'base64url').slice(0, 22);
}

function shortHash(value: string): string {
  return hash('sha256', value, 'base64url').slice(0, 16);
}
