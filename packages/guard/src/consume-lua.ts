/**
 * rate-limiter-flexible's RateLimiterRedis consume, as Lua functions both guard scripts start with (one copy, so the
 * batched scripts and the limiters answering one call at a time cannot drift apart):
 *  - `count(key, duration)`: `SET key 0 EX duration NX`, `INCRBY key 1`, `PTTL`, re-arming a lost expiry;
 *    returns the points consumed and the ms left;
 *  - `consume(key, points, duration, block)`: a count; over the points, the request that crosses them blocks the key
 *    for `block` seconds (RateLimiterRedis `_block`); returns whether it is over, and the ms left.
 */
export const CONSUME_LUA = `
local function count(key, duration)
  redis.call('set', key, 0, 'EX', duration, 'NX')
  local consumed = redis.call('incrby', key, 1)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, duration)
    ttl = 1000 * duration
  end
  return consumed, ttl
end
local function consume(key, points, duration, block)
  local consumed, ttl = count(key, duration)
  if consumed <= points then return false, ttl end
  if block > 0 and consumed == points + 1 then redis.call('set', key, consumed, 'EX', block) end
  return true, ttl
end
`;
