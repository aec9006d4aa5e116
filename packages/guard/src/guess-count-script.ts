import type { Redis } from 'ioredis';

/**
 * Counts many wrong codes in ONE Redis call: for every counter key, what rate-limiter-flexible's RateLimiterRedis
 * `consume(key, n)` does (same key, same value, same expiry: `SET key 0 EX window NX`, `INCRBY key n`, `PTTL`,
 * re-arming a lost expiry), so the keys stay those of `RateLimiterRedis` (its `block` and the worker's counting
 * share them); then HINCRBY of the per-campaign counts.
 *
 * KEYS: the counter keys, then the campaigns hash. ARGV: per counter key its increment and window (s), then pairs of
 * campaign id and count. Answers `[consumed, pttl]` per counter key.
 */
const LUA = `
local n = #KEYS - 1
local out = {}
for i = 1, n do
  local key = KEYS[i]
  local window = ARGV[2 * i]
  redis.call('set', key, 0, 'EX', window, 'NX')
  local consumed = redis.call('incrby', key, ARGV[2 * i - 1])
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, window)
    ttl = 1000 * window
  end
  out[2 * i - 1] = consumed
  out[2 * i] = ttl
end
for j = 2 * n + 1, #ARGV, 2 do
  redis.call('hincrby', KEYS[n + 1], ARGV[j], ARGV[j + 1])
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

/** Defines the script on `redis` once (EVALSHA, loaded on first use) and returns the call. */
export function guessCountScript(redis: Redis): (counters: CounterIncrement[], campaignsKey: string, campaigns: Map<string, number>) => Promise<CountedKey[]> {
  const client = redis as WithCommand;
  if (typeof client[COMMAND] !== 'function') redis.defineCommand(COMMAND, { lua: LUA });
  return async (counters, campaignsKey, campaigns) => {
    const args: (string | number)[] = [counters.length + 1];
    for (const c of counters) args.push(c.key);
    args.push(campaignsKey);
    for (const c of counters) args.push(c.points, c.windowS);
    for (const [id, count] of campaigns) args.push(id, count);
    const [numKeys, ...rest] = args as [number, ...(string | number)[]];
    const flat = await client[COMMAND](numKeys, ...rest);
    return counters.map((_, i) => ({ consumed: Number(flat[2 * i]), msLeft: Number(flat[2 * i + 1]) }));
  };
}
