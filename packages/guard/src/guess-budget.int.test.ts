import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysByPrefix, redisReady, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { BlockMirror, clientSource, createRateGuard, DEFAULT_GUESS_BUDGET, GuessBudget, type GuessBudgetLimits, type GuessVerdict } from './index';

const prefix = `dgtest-${randomUUID().slice(0, 8)}:gb`;
const redis = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });

beforeAll(() => redisReady(redis));
afterAll(async () => {
  await redis.quit();
  await deleteKeysByPrefix(`${prefix}:`);
});

const limits = (over: Partial<GuessBudgetLimits>): GuessBudgetLimits => ({ ...DEFAULT_GUESS_BUDGET, ...over });
let n = 0;
const newCustomer = (): string => `bot-${n++}`;

describe('GuessBudget (real Redis)', () => {
  it('blocks an address over budget, in Redis and in memory, whatever customer ids it rotates', async () => {
    const budget = new GuessBudget({ redis, prefix, limits: limits({ addressGuesses: 4 }) });
    const source = clientSource('203.0.113.10');
    const verdicts: GuessVerdict[] = [];
    for (let i = 0; i < 5; i++) verdicts.push(await budget.recordWrongGuess({ source, customerId: newCustomer(), campaignId: 'c1' }));
    expect(verdicts.slice(0, 4)).toEqual(Array(4).fill({ blocked: false }));
    expect(verdicts[4]).toEqual({ blocked: true, scope: 'address', retryAfterS: 60 });
    expect(budget.blocked(source)).toEqual({ blocked: true, scope: 'address', retryAfterS: 60 });
    expect(await redis.pttl(`${prefix}:address:${source.address}`)).toBeGreaterThan(55_000);
    // a neighbour in the same /24 is not blocked by the address budget
    expect(budget.blocked(clientSource('203.0.113.11'))).toEqual({ blocked: false });
    // per campaign counts (for metrics and the admin), never a block
    expect((await budget.campaignCounts()).c1).toBe(5);
  });

  it('a second process learns the block from Redis on its next guess from that source', async () => {
    const first = new GuessBudget({ redis, prefix, limits: limits({ addressGuesses: 2 }) });
    const second = new GuessBudget({ redis, prefix, limits: limits({ addressGuesses: 2 }) });
    const source = clientSource('203.0.113.20');
    for (let i = 0; i < 3; i++) await first.recordWrongGuess({ source, customerId: newCustomer(), campaignId: 'c1' });
    expect(second.blocked(source)).toEqual({ blocked: false });
    const verdict = await second.recordWrongGuess({ source, customerId: newCustomer(), campaignId: 'c1' });
    expect(verdict).toMatchObject({ blocked: true, scope: 'address' });
    expect(second.blocked(source)).toMatchObject({ blocked: true, scope: 'address' });
  });

  it('escalates: each new block of the same key lasts the next duration', async () => {
    const budget = new GuessBudget({ redis, prefix, limits: limits({ addressGuesses: 2, blockS: [1, 2, 3] }) });
    const source = clientSource('203.0.113.30');
    const blocks: number[] = [];
    for (let round = 0; round < 4; round++) {
      let verdict: GuessVerdict = { blocked: false };
      for (let i = 0; i < 3 && !verdict.blocked; i++) verdict = await budget.recordWrongGuess({ source, customerId: newCustomer(), campaignId: 'c2' });
      expect(verdict).toMatchObject({ blocked: true, scope: 'address' });
      if (verdict.blocked) blocks.push(verdict.retryAfterS);
      // wait the block out (Redis and memory)
      await waitFor('block over', async () => ((await redis.exists(`${prefix}:address:${source.address}`)) === 0 && !budget.blocked(source).blocked ? true : undefined), 5000, 50);
    }
    expect(blocks).toEqual([1, 2, 3, 3]);
    expect(Number(await redis.get(`${prefix}:strike:address:${source.address}`))).toBe(4);
  });

  it('counts a customer on its own (a job from an intake without a source)', async () => {
    const budget = new GuessBudget({ redis, prefix, limits: limits({ customerGuesses: 2 }) });
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push(await budget.recordWrongGuess({ customerId: 'Mallory', campaignId: 'c3' }));
    expect(verdicts[2]).toMatchObject({ blocked: true, scope: 'customer' });
    expect(budget.blocked(clientSource('192.0.2.1'), 'Mallory')).toMatchObject({ blocked: true, scope: 'customer' });
    expect(budget.blocked(clientSource('192.0.2.1'), 'Alice')).toEqual({ blocked: false });
    const keys = await redis.keys(`${prefix}:customer:*`);
    for (const key of keys) expect(key).not.toMatch(/Mallory/);
  });

  it("takes a campaign's overrides (null = the configured limit)", async () => {
    const budget = new GuessBudget({ redis, prefix, limits: limits({ addressGuesses: 50 }) });
    const source = clientSource('203.0.113.40');
    const override = { addressGuesses: 2, subnetGuesses: null };
    expect(budget.limitsWith(override)).toEqual(limits({ addressGuesses: 2 }));
    expect(budget.limitsWith(override)).toBe(budget.limitsWith({ addressGuesses: 2 })); // memoised
    expect(budget.limitsWith({ addressGuesses: null })).toBe(budget.limits);
    const verdicts: GuessVerdict[] = [];
    for (let i = 0; i < 3; i++) verdicts.push(await budget.recordWrongGuess({ source, customerId: newCustomer(), campaignId: 'strict' }, override));
    expect(verdicts.map((v) => v.blocked)).toEqual([false, false, true]);
  });

  it('never throws when Redis fails: the guess is just not counted', async () => {
    const down = new Redis({ host: '127.0.0.1', port: 1, enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    const errors: unknown[] = [];
    const budget = new GuessBudget({ redis: down, prefix, onError: (e) => errors.push(e) });
    expect(await budget.recordWrongGuess({ source: clientSource('192.0.2.9'), customerId: 'x', campaignId: 'c' })).toEqual({ blocked: false });
    expect(errors.length).toBe(1);
    down.disconnect();
  });

  describe('counting concurrent wrong codes in one Redis call', () => {
    it('gives each its own verdict, as if counted one after another: exactly one spends the budget and sets the block', async () => {
      const batches: number[] = [];
      const budget = new GuessBudget({ redis, prefix, limits: limits({ addressGuesses: 5 }), onBatch: (size) => batches.push(size) });
      const source = clientSource('198.18.0.10');
      const verdicts = await Promise.all(Array.from({ length: 8 }, () => budget.recordWrongGuess({ source, customerId: newCustomer(), campaignId: 'batch' })));
      expect(batches).toEqual([8]);
      expect(verdicts.slice(0, 5)).toEqual(Array(5).fill({ blocked: false }));
      // the 6th spent the budget (a first strike: 60 s); the 7th and 8th met the count already over it
      expect(verdicts[5]).toEqual({ blocked: true, scope: 'address', retryAfterS: 60 });
      for (const v of verdicts.slice(6)) expect(v).toMatchObject({ blocked: true, scope: 'address' });
      expect(Number(await redis.get(`${prefix}:strike:address:${source.address}`))).toBe(1);
      expect(await redis.pttl(`${prefix}:address:${source.address}`)).toBeGreaterThan(55_000);
      expect((await budget.campaignCounts()).batch).toBe(8);
      expect(budget.blocked(source)).toEqual({ blocked: true, scope: 'address', retryAfterS: 60 });
    });

    it("counts on the same keys as one-by-one counting: a batch's count carries over to the next call and to another process", async () => {
      const batched = new GuessBudget({ redis, prefix, limits: limits({ subnetGuesses: 6 }) });
      const other = new GuessBudget({ redis, prefix, limits: limits({ subnetGuesses: 6 }), batch: { maxSize: 1 } });
      // six addresses of one /24, one wrong code each, all in one call: the subnet's budget is exactly spent
      const sources = Array.from({ length: 6 }, (_, i) => clientSource(`198.18.1.${i + 1}`));
      const verdicts = await Promise.all(sources.map((source) => batched.recordWrongGuess({ source, customerId: newCustomer(), campaignId: 'batch' })));
      expect(verdicts.every((v) => !v.blocked)).toBe(true);
      expect(Number(await redis.get(`${prefix}:subnet:${sources[0]!.subnet}`))).toBe(6);
      // the next wrong code from that /24, counted alone by another process, spends it
      const seventh = await other.recordWrongGuess({ source: clientSource('198.18.1.99'), customerId: newCustomer(), campaignId: 'batch' });
      expect(seventh).toEqual({ blocked: true, scope: 'subnet', retryAfterS: 60 });
      expect(batched.blocked(clientSource('198.18.1.200'))).toEqual({ blocked: false }); // not mirrored here yet...
      const eighth = await batched.recordWrongGuess({ source: clientSource('198.18.1.200'), customerId: newCustomer(), campaignId: 'batch' });
      expect(eighth).toMatchObject({ blocked: true, scope: 'subnet' }); // ...but the next count finds it in Redis
      expect(batched.blocked(clientSource('198.18.1.201'))).toMatchObject({ blocked: true, scope: 'subnet' });
    });

    it('applies each wrong code its own campaign limits within one call', async () => {
      const budget = new GuessBudget({ redis, prefix, limits: limits({ customerGuesses: 50 }) });
      const strict = { customerGuesses: 2 };
      const verdicts = await Promise.all([
        budget.recordWrongGuess({ customerId: 'shared-customer', campaignId: 'lenient' }),
        budget.recordWrongGuess({ customerId: 'shared-customer', campaignId: 'lenient' }),
        budget.recordWrongGuess({ customerId: 'shared-customer', campaignId: 'strict' }, strict),
        budget.recordWrongGuess({ customerId: 'shared-customer', campaignId: 'lenient' }),
      ]);
      // the 3rd wrong code of this customer is over the strict campaign's 2 (and blocks the customer), the 4th is
      // within the lenient campaign's 50 (as one-by-one counting answers it; the block is held in memory and Redis)
      expect(verdicts.map((v) => v.blocked)).toEqual([false, false, true, false]);
      expect(budget.blocked(clientSource('192.0.2.50'), 'shared-customer')).toMatchObject({ blocked: true, scope: 'customer' });
    });

    it('a failed call counts each wrong code again on its own, and still never throws', async () => {
      const down = new Redis({ host: '127.0.0.1', port: 1, enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
      down.on('error', () => undefined);
      const errors: unknown[] = [];
      const batches: boolean[] = [];
      const budget = new GuessBudget({ redis: down, prefix, onError: (e) => errors.push(e), onBatch: (_size, fellBack) => batches.push(fellBack) });
      const verdicts = await Promise.all([1, 2, 3].map((i) => budget.recordWrongGuess({ source: clientSource(`192.0.2.${i}`), customerId: 'x', campaignId: 'c' })));
      expect(verdicts).toEqual(Array(3).fill({ blocked: false }));
      expect(batches).toEqual([true]);
      expect(errors.length).toBe(3);
      down.disconnect();
    });
  });
});

describe("GuessBudget: wrong codes' customer ids count toward the distinct-customer caps (real Redis)", () => {
  const rl = `${prefix}-rl`;
  const caps = { perAddress: 3, perSubnet: 5, windowS: 60, blockS: 120 };
  const generous = limits({ addressGuesses: 1000, subnetGuesses: 1000, customerGuesses: 1000 });
  afterAll(() => deleteKeysByPrefix(`${rl}:`));

  it('blocks an address guessing with more new customer ids than its cap (a repeated id is free), in Redis and in memory', async () => {
    const mirror = new BlockMirror();
    const budget = new GuessBudget({ redis, prefix, limits: generous, mirror, distinctCustomers: { ...caps, prefix: rl } });
    const source = clientSource('198.18.7.1');
    const guess = (customerId: string) => budget.recordWrongGuess({ source, customerId, campaignId: 'distinct' });
    expect([await guess('a'), await guess('b'), await guess('a'), await guess('c'), await guess('c')]).toEqual(Array(5).fill({ blocked: false }));
    expect(await guess('d')).toEqual({ blocked: true, scope: 'address', retryAfterS: 120 });
    expect(mirror.msLeft(GuessBudget.key('address', source.address))).toBeGreaterThan(110_000);
    expect(await redis.pttl(`${rl}:customers-address:${source.address}`)).toBeGreaterThan(110_000);
  });

  it('shares the keys with the rate guard: ids named with wrong codes use up the cap for real codes, and the other way', async () => {
    const budget = new GuessBudget({ redis, prefix, limits: generous, distinctCustomers: { ...caps, prefix: rl } });
    const guard = createRateGuard({ redis, prefix: rl, ipPoints: 1000, ipDurationS: 10, ipBlockS: 60, customerPoints: 1000, customerDurationS: 10, customerBlockS: 60, distinctCustomers: caps });
    const ip = '198.18.8.1';
    const source = clientSource(ip);
    await budget.recordWrongGuess({ source, customerId: 'w1', campaignId: 'distinct' });
    await budget.recordWrongGuess({ source, customerId: 'w2', campaignId: 'distinct' });
    expect(await guard.check({ ip, customerId: 'w1' })).toEqual({ allowed: true }); // seen already: no new point
    expect(await guard.check({ ip, customerId: 'r3' })).toEqual({ allowed: true }); // the third distinct id
    expect(await guard.check({ ip, customerId: 'r4' })).toEqual({ allowed: false, reason: 'customers', retryAfterS: 120 });
    // a subnet rotating addresses, one new id per wrong code, is blocked past its cap (5)
    const verdicts: GuessVerdict[] = [];
    for (let i = 1; i <= 6; i++) verdicts.push(await budget.recordWrongGuess({ source: clientSource(`198.18.9.${i}`), customerId: `s${i}`, campaignId: 'distinct' }));
    expect(verdicts.map((v) => (v.blocked ? v.scope : 'no'))).toEqual(['no', 'no', 'no', 'no', 'no', 'subnet']);
  });

  it('counts no distinct customers without the caps (the worker: the intake counted the accepted request)', async () => {
    const budget = new GuessBudget({ redis, prefix, limits: generous });
    const source = clientSource('198.18.10.1');
    for (let i = 0; i < 6; i++) expect(await budget.recordWrongGuess({ source, customerId: `n${i}`, campaignId: 'distinct' })).toEqual({ blocked: false });
    expect(await redis.exists(`${rl}:customers-address:${source.address}`)).toBe(0);
  });
});
