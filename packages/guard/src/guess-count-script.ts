import type { Redis } from 'ioredis';
import { CONSUME_LUA } from './consume-lua';
import type { DistinctCustomerCaps } from './distinct-customers';

/**
 * Counts many wrong codes in ONE Redis call:
 *  - for every counter key, what rate-limiter-flexible's RateLimiterRedis `consume(key, n)` does (same key, same
 *    value, same expiry: `SET key 0 EX window NX`, `INCRBY key n`, `PTTL`, re-arming a lost expiry), so the keys stay
 *    those of `RateLimiterRedis` (its `block` and the worker's counting share them);
 *  - HINCRBY of the per-campaign counts;
 *  - the distinct-customer caps, per wrong code in order, as the rate guard's script counts them (rate-check-script.ts,
 *    the same keys): the (address, customer) "seen" key counts like a `penalty`; on a first sighting the address's and
 *    the subnet's caps are consumed, and the one that crosses its cap blocks its key.
 *
 * KEYS: the counter keys, the campaigns hash, then 3 per sighting (seen, customers of the address, of the subnet).
 * ARGV: number of counter keys, number of campaigns, the caps' window, per-address and per-subnet caps and block, then
 * per counter key its increment and window (s), then pairs of campaign id and count.
 * Answers `[consumed, pttl]` per counter key, then `[verdict, ms left]` per sighting: 0 under the caps, over the cap
 * of 4 the address, 5 the subnet, 6 both.
 */
const LUA = `
${CONSUME_LUA}
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local window, perAddress, perSubnet, block = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local out = {}
for i = 1, n do
  local key = KEYS[i]
  local duration = ARGV[6 + 2 * i]
  redis.call('set', key, 0, 'EX', duration, 'NX')
  local consumed = redis.call('incrby', key, ARGV[6 + 2 * i - 1])
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, duration)
    ttl = 1000 * duration
  end
  out[2 * i - 1] = consumed
  out[2 * i] = ttl
end
local base = 6 + 2 * n
for j = 1, m do
  redis.call('hincrby', KEYS[n + 1], ARGV[base + 2 * j - 1], ARGV[base + 2 * j])
end
for r = 0, (#KEYS - n - 1) / 3 - 1 do
  local k = n + 1 + 3 * r
  local verdict, left = 0, 0
  if count(KEYS[k + 1], window) == 1 then
    local overAddress, ttlAddress = consume(KEYS[k + 2], perAddress, window, block)
    local overSubnet, ttlSubnet = consume(KEYS[k + 3], perSubnet, window, block)
    if overAddress and overSubnet then verdict, left = 6, ttlAddress
    elseif overAddress then verdict, left = 4, ttlAddress
    elseif overSubnet then verdict, left = 5, ttlSubnet end
  end
  out[2 * n + 2 * r + 1] = verdict
  out[2 * n + 2 * r + 2] = left
end
return out
`;

const COMMAND = 'dropgateGuessCount';

type WithCommand = Redis & { [COMMAND](numKeys: number, ...args: (string | number)[]): Promise<number[]> };

/** One counter key's increment in a call. */
export interface CounterIncrement {
  key: string;
  points: number;
  windowS: number;
}

export interface CountedKey {
  /** The key's count after this call. */
  consumed: number;
  /** Milliseconds before the key expires (its window, or a block set on it). */
  msLeft: number;
}

/** A wrong code's customer, seen from its source: its three distinct-customer keys (`distinctCustomerKeys`). */
export type Sighting = [seen: string, ofAddress: string, ofSubnet: string];

/** 0 under the caps; over the cap of 4 the address, 5 the subnet, 6 both. */
export interface SightingAnswer {
  verdict: 0 | 4 | 5 | 6;
  /** Milliseconds the refusing key has left in Redis. */
  msLeft: number;
}

export interface GuessCount {
  counters: CounterIncrement[];
  campaignsKey: string;
  campaigns: Map<string, number>;
  /** Sightings to count against `caps` (none: the caps are not counted). */
  sightings?: { caps: DistinctCustomerCaps; keys: Sighting[] } | undefined;
}

/** Defines the script on `redis` once (EVALSHA, loaded on first use) and returns the call. */
export function guessCountScript(redis: Redis): (count: GuessCount) => Promise<{ counted: CountedKey[]; sightings: SightingAnswer[] }> {
  const client = redis as WithCommand;
  if (typeof client[COMMAND] !== 'function') redis.defineCommand(COMMAND, { lua: LUA });
  return async ({ counters, campaignsKey, campaigns, sightings }) => {
    const keys: string[] = counters.map((c) => c.key);
    keys.push(campaignsKey);
    for (const sighting of sightings?.keys ?? []) keys.push(...sighting);
    const caps = sightings?.caps;
    const args: (string | number)[] = [counters.length, campaigns.size, caps?.windowS ?? 0, caps?.perAddress ?? 0, caps?.perSubnet ?? 0, caps?.blockS ?? 0];
    for (const c of counters) args.push(c.points, c.windowS);
    for (const [id, n] of campaigns) args.push(id, n);
    const flat = await client[COMMAND](keys.length, ...keys, ...args);
    const n = counters.length;
    return {
      counted: counters.map((_, i) => ({ consumed: Number(flat[2 * i]), msLeft: Number(flat[2 * i + 1]) })),
      sightings: (sightings?.keys ?? []).map((_, r) => ({ verdict: Number(flat[2 * n + 2 * r]) as SightingAnswer['verdict'], msLeft: Number(flat[2 * n + 2 * r + 1]) })),
    };
  };
}
