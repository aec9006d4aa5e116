import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { deleteKeysByPrefix, freePort, redisReady, TEST_REDIS_URL } from '@dropgate/testkit';
import { BlockMirror, clientSource, createOpenGuard, createRateGuard, customerKey as customerKeyOf, type RateDecisionEvent, type RateGuardOptions } from './index';

const prefix = `dgtest-${randomUUID().slice(0, 8)}:rl`;

const limits: Omit<RateGuardOptions, 'redis' | 'prefix'> = {
  ipPoints: 1000,
  ipDurationS: 10,
  ipBlockS: 60,
  customerPoints: 1000,
  customerDurationS: 10,
  customerBlockS: 60,
};

/**
 * "At once", with room for a loaded 2-core machine: many times what these checks take (well under a millisecond
 * each), and still far below ioredis' 10 s connectTimeout, what a check that waited for a connection would take.
 */
const AT_ONCE_MS = 1000;

describe('createRateGuard (real Redis)', () => {
  const redis = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });

  beforeAll(() => redisReady(redis));

  afterAll(async () => {
    await redis.quit();
    await deleteKeysByPrefix(`${prefix}:`);
  });

  it('refuses an IP after its points, for the block duration, keyed under the prefix', async () => {
    const guard = createRateGuard({ ...limits, redis, prefix, ipPoints: 3, ipBlockS: 60 });
    const ip = '203.0.113.1';
    for (let i = 0; i < 3; i++) expect(await guard.check({ ip, customerId: `cust-${i}` })).toEqual({ allowed: true });
    const refused = await guard.check({ ip, customerId: 'cust-x' });
    expect(refused).toEqual({ allowed: false, reason: 'ip', retryAfterS: 60 });
    expect(await redis.pttl(`${prefix}:ip:${ip}`)).toBeGreaterThan(50_000);
    // the IP is checked first: a refused request costs the customer nothing
    expect(await redis.exists(`${prefix}:customer:cust-x`)).toBe(0);
    // another address is unaffected
    expect(await guard.check({ ip: '203.0.113.2', customerId: 'cust-y' })).toEqual({ allowed: true });
    expect(guard.stats()).toEqual({ allowed: 4, rejectedIp: 1, rejectedSubnet: 0, rejectedCustomer: 0, rejectedCustomers: 0, memoryBlocked: 0, insurance: 0 });
  });

  it('refuses a customer after its points, whatever the IP', async () => {
    const guard = createRateGuard({ ...limits, redis, prefix, customerPoints: 2, customerBlockS: 30 });
    expect(await guard.check({ ip: '198.51.100.1', customerId: 'greedy' })).toEqual({ allowed: true });
    expect(await guard.check({ ip: '198.51.100.2', customerId: 'greedy' })).toEqual({ allowed: true });
    const refused = await guard.check({ ip: '198.51.100.3', customerId: 'greedy' });
    expect(refused).toMatchObject({ allowed: false, reason: 'customer' });
    expect(refused.allowed === false && refused.retryAfterS).toBeGreaterThan(0);
    expect(await guard.check({ ip: '198.51.100.3', customerId: 'modest' })).toEqual({ allowed: true });
    expect(guard.stats()).toMatchObject({ allowed: 3, rejectedCustomer: 1 });
    // Customer ids (e-mail addresses, say) never appear in Redis keys.
    const keys = await redis.keys(`${prefix}:customer:*`);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) expect(key).not.toMatch(/greedy|modest/);
  });

  it('counts only the IP for a request that names no customer', async () => {
    const guard = createRateGuard({ ...limits, redis, prefix, ipPoints: 2, ipBlockS: 30 });
    const ip = '198.51.100.77';
    expect(await guard.check({ ip })).toEqual({ allowed: true });
    expect(await guard.check({ ip })).toEqual({ allowed: true });
    expect(await guard.check({ ip })).toMatchObject({ allowed: false, reason: 'ip' });
  });

  it('refuses an already-blocked IP from memory, without Redis', async () => {
    const own = new Redis(TEST_REDIS_URL); // a connection of its own, to cut
    own.on('error', () => undefined);
    await redisReady(own);
    const events: RateDecisionEvent[] = [];
    const guard = createRateGuard({ ...limits, redis: own, prefix, ipPoints: 2, onDecision: (e) => events.push(e) });
    const ip = '192.0.2.77';
    await guard.check({ ip, customerId: 'a' });
    await guard.check({ ip, customerId: 'b' });
    expect(await guard.check({ ip, customerId: 'c' })).toMatchObject({ allowed: false, reason: 'ip' });
    expect(events.map((e) => e.source)).toEqual(['redis', 'redis', 'redis']);

    const ended = new Promise<void>((resolve) => own.once('end', () => resolve()));
    own.disconnect();
    await ended;
    expect(own.status).toBe('end');
    const started = performance.now();
    const refused = await guard.check({ ip, customerId: 'd' });
    expect(performance.now() - started).toBeLessThan(AT_ONCE_MS);
    expect(refused).toMatchObject({ allowed: false, reason: 'ip' });
    expect(refused.allowed === false && refused.retryAfterS).toBeGreaterThan(55);
    expect(events[3]?.source).toBe('memory');
    expect(guard.stats()).toMatchObject({ rejectedIp: 2, memoryBlocked: 1, insurance: 0 });

    // Contrast: an address not blocked in memory needs Redis, which is gone, so the insurance limiter answers.
    expect(await guard.check({ ip: '192.0.2.78', customerId: 'e' })).toEqual({ allowed: true });
    expect(events[4]?.source).toBe('insurance');
  });

  it('still limits, per process, when Redis is unreachable from the start', async () => {
    const down = new Redis({ host: '127.0.0.1', port: await freePort(), enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const errors: Error[] = [];
    down.on('error', (e: Error) => errors.push(e));
    try {
      const events: RateDecisionEvent[] = [];
      const guard = createRateGuard({ ...limits, redis: down, prefix, ipPoints: 2, ipBlockS: 30, onDecision: (e) => events.push(e) });
      const ip = '192.0.2.200';
      const started = performance.now();
      expect(await guard.check({ ip, customerId: 'p' })).toEqual({ allowed: true });
      expect(await guard.check({ ip, customerId: 'q' })).toEqual({ allowed: true });
      expect(await guard.check({ ip, customerId: 'r' })).toEqual({ allowed: false, reason: 'ip', retryAfterS: 30 });
      expect(await guard.check({ ip, customerId: 's' })).toMatchObject({ allowed: false, reason: 'ip' });
      expect(performance.now() - started).toBeLessThan(2 * AT_ONCE_MS); // four checks
      expect(events.map((e) => e.source)).toEqual(['insurance', 'insurance', 'insurance', 'insurance']);
      expect(guard.stats()).toEqual({ allowed: 2, rejectedIp: 2, rejectedSubnet: 0, rejectedCustomer: 0, rejectedCustomers: 0, memoryBlocked: 0, insurance: 4 });
    } finally {
      down.disconnect();
    }
  });
});

describe('createRateGuard: subnets, distinct customers, the shared in-memory map (real Redis)', () => {
  const redis = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  beforeAll(() => redisReady(redis));
  afterAll(async () => {
    await redis.quit();
  });

  it('refuses a subnet over its points whatever address of it asks, and mirrors the block for the pre-body check', async () => {
    const mirror = new BlockMirror();
    const guard = createRateGuard({ ...limits, redis, prefix, mirror, subnet: { points: 3, durationS: 60, blockS: 45 } });
    for (let i = 1; i <= 3; i++) expect(await guard.check({ ip: `100.64.1.${i}`, customerId: `s-${i}` })).toEqual({ allowed: true });
    expect(await guard.check({ ip: '100.64.1.99', customerId: 's-4' })).toEqual({ allowed: false, reason: 'subnet', retryAfterS: 45 });
    expect(mirror.msLeft(`subnet:${clientSource('100.64.1.200').subnet}`)).toBeGreaterThan(40_000);
    expect(await guard.check({ ip: '100.64.2.1', customerId: 's-5' })).toEqual({ allowed: true });
    expect(guard.stats()).toMatchObject({ rejectedSubnet: 1 });
  });

  it('caps distinct customer ids per address (repeats of one customer are free), then blocks the address', async () => {
    const mirror = new BlockMirror();
    const guard = createRateGuard({ ...limits, redis, prefix, mirror, distinctCustomers: { perAddress: 3, perSubnet: 100, windowS: 60, blockS: 120 } });
    const ip = '100.64.3.7';
    for (let i = 0; i < 3; i++) expect(await guard.check({ ip, customerId: `d-${i}` })).toEqual({ allowed: true });
    for (let i = 0; i < 5; i++) expect(await guard.check({ ip, customerId: 'd-0' })).toEqual({ allowed: true }); // the same customers again
    const refused = await guard.check({ ip, customerId: 'd-new' });
    expect(refused).toEqual({ allowed: false, reason: 'customers', retryAfterS: 120 });
    expect(mirror.msLeft(`address:${clientSource(ip).address}`)).toBeGreaterThan(110_000);
    expect(guard.stats()).toMatchObject({ rejectedCustomers: 1 });
    // its neighbour is not blocked (the subnet cap is higher)
    expect(await guard.check({ ip: '100.64.3.8', customerId: 'd-other' })).toEqual({ allowed: true });
  });

  it('caps distinct customer ids per subnet across rotating addresses', async () => {
    const guard = createRateGuard({ ...limits, redis, prefix, distinctCustomers: { perAddress: 100, perSubnet: 4, windowS: 60, blockS: 30 } });
    const verdicts = [];
    for (let i = 1; i <= 5; i++) verdicts.push(await guard.check({ ip: `100.64.4.${i}`, customerId: `r-${i}` }));
    expect(verdicts.slice(0, 4).every((v) => v.allowed)).toBe(true);
    expect(verdicts[4]).toEqual({ allowed: false, reason: 'customers', retryAfterS: 30 });
  });

  it('mirrors an address over its request rate', async () => {
    const mirror = new BlockMirror();
    const guard = createRateGuard({ ...limits, redis, prefix, mirror, ipPoints: 1, ipBlockS: 60 });
    const ip = '100.64.5.5';
    await guard.check({ ip });
    expect(await guard.check({ ip })).toMatchObject({ allowed: false, reason: 'ip' });
    expect(mirror.msLeft(`address:${clientSource(ip).address}`)).toBeGreaterThan(55_000);
  });
});

describe('createRateGuard: concurrent checks in one Redis call (real Redis)', () => {
  const redis = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  beforeAll(() => redisReady(redis));
  afterAll(async () => {
    await redis.quit();
  });

  it('decides each check as if made alone in turn: the points go to the first, the rest are refused and blocked', async () => {
    const batches: number[] = [];
    const mirror = new BlockMirror();
    const guard = createRateGuard({ ...limits, redis, prefix, mirror, ipPoints: 3, ipBlockS: 60, onBatch: (size) => batches.push(size) });
    const ip = '100.65.0.1';
    const decisions = await Promise.all(Array.from({ length: 5 }, (_, i) => guard.check({ ip, customerId: `b-${i}` })));
    expect(batches).toEqual([5]);
    expect(decisions).toEqual([
      { allowed: true },
      { allowed: true },
      { allowed: true },
      { allowed: false, reason: 'ip', retryAfterS: 60 },
      { allowed: false, reason: 'ip', retryAfterS: 60 },
    ]);
    // blocked in Redis (for the other intakes) and in memory; the refused checks counted no customer
    expect(await redis.pttl(`${prefix}:ip:${ip}`)).toBeGreaterThan(55_000);
    expect(mirror.msLeft(`address:${clientSource(ip).address}`)).toBeGreaterThan(55_000);
    expect(await redis.exists(`${prefix}:customer:${customerKeyOf('b-3')}`)).toBe(0);
    expect(guard.stats()).toMatchObject({ allowed: 3, rejectedIp: 2, memoryBlocked: 0 });
    // the next check is refused from memory, with no call
    expect(await guard.check({ ip, customerId: 'b-5' })).toMatchObject({ allowed: false, reason: 'ip' });
    expect(batches).toEqual([5]);
    expect(guard.stats()).toMatchObject({ memoryBlocked: 1 });
  });

  it("counts on rate-limiter-flexible's own keys: its limiter reads what a batch counted", async () => {
    const guard = createRateGuard({ ...limits, redis, prefix, subnet: { points: 50, durationS: 30, blockS: 30 } });
    const ips = ['100.65.1.1', '100.65.1.2', '100.65.1.1'];
    await Promise.all(ips.map((ip, i) => guard.check({ ip, customerId: `k-${i}` })));
    const ipLimiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:ip`, points: limits.ipPoints, duration: limits.ipDurationS });
    const subnetLimiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:subnet`, points: 50, duration: 30 });
    expect((await ipLimiter.get('100.65.1.1'))?.consumedPoints).toBe(2);
    expect((await ipLimiter.get('100.65.1.2'))?.consumedPoints).toBe(1);
    const bySubnet = await subnetLimiter.get(clientSource('100.65.1.1').subnet);
    expect(bySubnet?.consumedPoints).toBe(3);
    expect(bySubnet?.msBeforeNext).toBeGreaterThan(25_000);
  });

  it('counts a customer once per address within a batch too, and caps distinct customers in order', async () => {
    const guard = createRateGuard({ ...limits, redis, prefix, distinctCustomers: { perAddress: 2, perSubnet: 100, windowS: 60, blockS: 90 } });
    const ip = '100.65.2.9';
    const decisions = await Promise.all(['a', 'a', 'b', 'a', 'c', 'b'].map((c) => guard.check({ ip, customerId: `dc-${c}` })));
    expect(decisions).toEqual([
      { allowed: true },
      { allowed: true }, // a again: free
      { allowed: true },
      { allowed: true },
      { allowed: false, reason: 'customers', retryAfterS: 90 }, // c: the third distinct one
      { allowed: true }, // b again: seen already, costs no distinct point
    ]);
  });

  it('checks each alone through rate-limiter-flexible (its insurance) when the batched call fails', async () => {
    const down = new Redis({ host: '127.0.0.1', port: await freePort(), enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    down.on('error', () => undefined);
    try {
      const batches: boolean[] = [];
      const events: RateDecisionEvent[] = [];
      const guard = createRateGuard({ ...limits, redis: down, prefix, ipPoints: 2, ipBlockS: 30, onBatch: (_size, fellBack) => batches.push(fellBack), onDecision: (e) => events.push(e) });
      const decisions = await Promise.all(['p', 'q', 'r'].map((c) => guard.check({ ip: '192.0.2.210', customerId: c })));
      expect(batches).toEqual([true]);
      expect(decisions).toEqual([{ allowed: true }, { allowed: true }, { allowed: false, reason: 'ip', retryAfterS: 30 }]);
      expect(events.map((e) => e.source)).toEqual(['insurance', 'insurance', 'insurance']);
    } finally {
      down.disconnect();
    }
  });
});

describe('createOpenGuard', () => {
  it('allows everything and counts it', async () => {
    const guard = createOpenGuard();
    expect(await guard.check({ ip: '1.2.3.4', customerId: 'x' })).toEqual({ allowed: true });
    expect(guard.stats().allowed).toBe(1);
  });
});
