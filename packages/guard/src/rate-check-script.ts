import type { Redis } from 'ioredis';
import { CONSUME_LUA } from './consume-lua';
import type { DistinctCustomerCaps } from './distinct-customers';

/**
 * The rate guard's Redis side for MANY requests in one call: per request, in order, what its rate-limiter-flexible
 * limiters do one call at a time (same keys, same values, same expiries), so the two ways agree and share state:
 *  - a consume is RateLimiterRedis's: `SET key 0 EX duration NX`, `INCRBY key 1`, re-arm a lost expiry; over the
 *    points, the request that crosses them blocks the key (`SET key consumed EX block`, RateLimiterRedis `_block`);
 *  - address, then subnet, then customer; a refusal stops there (nothing after it is counted);
 *  - distinct customers: the (address, customer) "seen" key counts like a `penalty`; on a first sighting both the
 *    address's and the subnet's distinct-customer keys are consumed.
 *
 * KEYS: 6 per request (ip, subnet, customer, seen, customers-address, customers-subnet). ARGV: 13 settings (points,
 * duration, block of ip, subnet and customer; the distinct window, per-address and per-subnet caps, their block),
 * then per request 1 when it names a customer. Answers per request `[verdict, ms left of the refusing key]`:
 * 0 allowed, 1 ip, 2 subnet, 3 customer, 4 distinct per address, 5 distinct per subnet, 6 both.
 */
const LUA = `
${CONSUME_LUA}
local g = {}
for i = 1, 13 do g[i] = tonumber(ARGV[i]) end
local out = {}
for r = 0, #KEYS / 6 - 1 do
  local k = r * 6
  local verdict, left = 0, 0
  local over, ttl = consume(KEYS[k + 1], g[1], g[2], g[3])
  if over then
    verdict, left = 1, ttl
  else
    if g[4] > 0 then over, ttl = consume(KEYS[k + 2], g[4], g[5], g[6]) else over = false end
    if over then
      verdict, left = 2, ttl
    elseif ARGV[14 + r] == '1' then
      over, ttl = consume(KEYS[k + 3], g[7], g[8], g[9])
      if over then
        verdict, left = 3, ttl
      elseif g[10] > 0 and count(KEYS[k + 4], g[10]) == 1 then
        local overAddress, ttlAddress = consume(KEYS[k + 5], g[11], g[10], g[13])
        local overSubnet, ttlSubnet = consume(KEYS[k + 6], g[12], g[10], g[13])
        if overAddress and overSubnet then verdict, left = 6, ttlAddress
        elseif overAddress then verdict, left = 4, ttlAddress
        elseif overSubnet then verdict, left = 5, ttlSubnet end
      end
    end
  end
  out[2 * r + 1] = verdict
  out[2 * r + 2] = left
end
return out
`;

const COMMAND = 'dropgateRateCheck';

type WithCommand = Redis & { [COMMAND](numKeys: number, ...args: (string | number)[]): Promise<number[]> };

/** One key space's settings as the script takes them (points 0: the key space is off). */
export interface KeySpaceSettings {
  points: number;
  durationS: number;
  blockS: number;
}

export interface RateScriptSettings {
  ip: KeySpaceSettings;
  subnet: KeySpaceSettings | undefined;
  customer: KeySpaceSettings;
  distinct: DistinctCustomerCaps | undefined;
}

/** One request's six Redis keys (unused ones repeat the ip key: the script never touches them). */
export interface RateScriptRequest {
  keys: [ip: string, subnet: string, customer: string, seen: string, customersOfAddress: string, customersOfSubnet: string];
  hasCustomer: boolean;
}

/** 0 allowed; refused by 1 ip, 2 subnet, 3 customer, 4 distinct customers of the address, 5 of the subnet, 6 both. */
export type RateScriptVerdict = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface RateScriptAnswer {
  verdict: RateScriptVerdict;
  /** Milliseconds the refusing key has left in Redis (what a refusal without a block duration answers). */
  msLeft: number;
}

/** Defines the script on `redis` once (EVALSHA, loaded on first use) and returns the call for a batch of requests. */
export function rateCheckScript(redis: Redis, settings: RateScriptSettings): (requests: readonly RateScriptRequest[]) => Promise<RateScriptAnswer[]> {
  const client = redis as WithCommand;
  if (typeof client[COMMAND] !== 'function') redis.defineCommand(COMMAND, { lua: LUA });
  const { ip, subnet, customer, distinct } = settings;
  const fixed = [
    ip.points,
    ip.durationS,
    ip.blockS,
    subnet?.points ?? 0,
    subnet?.durationS ?? 0,
    subnet?.blockS ?? 0,
    customer.points,
    customer.durationS,
    customer.blockS,
    distinct?.windowS ?? 0,
    distinct?.perAddress ?? 0,
    distinct?.perSubnet ?? 0,
    distinct?.blockS ?? 0,
  ];
  return async (requests) => {
    const args: (string | number)[] = [];
    for (const r of requests) args.push(...r.keys);
    args.push(...fixed);
    for (const r of requests) args.push(r.hasCustomer ? 1 : 0);
    const flat = await client[COMMAND](requests.length * 6, ...args);
    return requests.map((_, i) => ({ verdict: Number(flat[2 * i]) as RateScriptVerdict, msLeft: Number(flat[2 * i + 1]) }));
  };
}
