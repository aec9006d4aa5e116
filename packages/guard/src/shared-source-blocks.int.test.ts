import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysByPrefix, redisReady, TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { BlockMirror, clientSource, createRateGuard, SharedSourceBlocks } from './index';

const prefix = `dgtest-${randomUUID().slice(0, 8)}`;
const redis = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });

beforeAll(() => redisReady(redis));
afterAll(async () => {
  await redis.quit();
  await deleteKeysByPrefix(`${prefix}:`);
});

describe('SharedSourceBlocks (real Redis)', () => {
  it('shares the source blocks a mirror takes, never the customer ones, and reads them for many sources in one MGET', async () => {
    const shared = new SharedSourceBlocks({ redis, prefix: `${prefix}:sb1` });
    const mirror = new BlockMirror();
    shared.follow(mirror);
    const bot = clientSource('198.51.100.7');
    const neighbour = clientSource('198.51.100.8'); // same /24
    const elsewhere = clientSource('192.0.2.1');
    const customer = clientSource('192.0.2.99');
    expect(await Promise.all([bot, neighbour, elsewhere].map((s) => shared.isBlocked(s)))).toEqual([false, false, false]);

    mirror.block(`address:${bot.address}`, 60_000);
    mirror.block(`customer:${customer.address}`, 60_000);
    await waitFor('the block in Redis', async () => ((await redis.exists(`${prefix}:sb1:address:${bot.address}`)) === 1 ? true : undefined), 2000, 10);
    const pttl = await redis.pttl(`${prefix}:sb1:address:${bot.address}`);
    expect(pttl).toBeGreaterThan(58_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await redis.exists(`${prefix}:sb1:customer:${customer.address}`)).toBe(0);

    const mget = jest.spyOn(redis, 'mget');
    expect(await Promise.all([bot, neighbour, elsewhere].map((s) => shared.isBlocked(s)))).toEqual([true, false, false]);
    expect(mget).toHaveBeenCalledTimes(1);
    mget.mockRestore();

    // A subnet block covers every address of the /24.
    mirror.block(`subnet:${bot.subnet}`, 30_000);
    await waitFor('the subnet block in Redis', async () => ((await shared.isBlocked(neighbour)) ? true : undefined), 2000, 10);
    expect(await shared.isBlocked(elsewhere)).toBe(false);
  });

  it('never shortens a longer block already shared (another process took it), and lengthens a shorter one', async () => {
    const shared = new SharedSourceBlocks({ redis, prefix: `${prefix}:sb2` });
    const key = `address:${clientSource('198.51.100.50').address}`;
    shared.publish(key, 600_000);
    shared.publish(key, 60_000);
    await waitFor('both writes', async () => ((await redis.pttl(`${prefix}:sb2:${key}`)) > 0 ? true : undefined), 2000, 10);
    await redis.ping(); // after the pipelines above (one connection, in order)
    expect(await redis.pttl(`${prefix}:sb2:${key}`)).toBeGreaterThan(590_000);
    const other = `subnet:${clientSource('198.51.100.60').subnet}`;
    shared.publish(other, 1_000);
    shared.publish(other, 120_000);
    await redis.ping();
    expect(await redis.pttl(`${prefix}:sb2:${other}`)).toBeGreaterThan(110_000);
  });

  it('a mirror tells its listener about new and lengthened blocks only, not about every refusal of a held one', () => {
    let now = 1_000_000;
    const mirror = new BlockMirror(100, () => now);
    const told: Array<[string, number]> = [];
    mirror.onBlock((key, ms) => told.push([key, ms]));
    mirror.block('address:a', 60_000);
    now += 10;
    mirror.block('address:a', 59_990); // the same block, as a refusal reports it
    mirror.block('address:a', 30_000); // shorter: ignored
    mirror.block('address:a', 600_000); // lengthened (a second strike)
    now += 700_000;
    mirror.block('address:a', 60_000); // expired, blocked anew
    expect(told).toEqual([
      ['address:a', 60_000],
      ['address:a', 600_000],
      ['address:a', 60_000],
    ]);
  });

  it('the rate guard blocking a subnet makes it readable by a worker at once', async () => {
    const mirror = new BlockMirror();
    const shared = new SharedSourceBlocks({ redis, prefix: `${prefix}:sb3` });
    shared.follow(mirror);
    const guard = createRateGuard({
      redis,
      prefix: `${prefix}:rl`,
      ipPoints: 1000,
      ipDurationS: 1,
      ipBlockS: 60,
      customerPoints: 1000,
      customerDurationS: 1,
      customerBlockS: 60,
      subnet: { points: 3, durationS: 10, blockS: 60 },
      mirror,
    });
    const ips = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'];
    const decisions = [];
    for (const ip of ips) decisions.push((await guard.check({ ip })).allowed);
    expect(decisions).toEqual([true, true, true, false]);
    const worker = new SharedSourceBlocks({ redis, prefix: `${prefix}:sb3` });
    // The first three were accepted before the block; a worker judging them now sees their subnet blocked.
    await waitFor('the subnet block shared', async () => ((await worker.isBlocked(clientSource(ips[0]!))) ? true : undefined), 2000, 10);
    expect(await worker.isBlocked(clientSource('203.0.114.1'))).toBe(false);
  });

  it('reads the distinct customers an address and its subnet named (the caps\' own counters) in the same MGET as the blocks', async () => {
    const guard = createRateGuard({
      redis,
      prefix: `${prefix}:rl4`,
      ipPoints: 1000,
      ipDurationS: 1,
      ipBlockS: 60,
      customerPoints: 1000,
      customerDurationS: 1,
      customerBlockS: 60,
      distinctCustomers: { perAddress: 10, perSubnet: 50, windowS: 600, blockS: 600 },
    });
    // One address names 3 customers (one of them twice: counted once); a neighbour in its /24 names 2 more.
    for (const [ip, customerId] of [['198.51.101.1', 'a'], ['198.51.101.1', 'b'], ['198.51.101.1', 'a'], ['198.51.101.1', 'c'], ['198.51.101.2', 'd'], ['198.51.101.2', 'e']] as const)
      expect((await guard.check({ ip, customerId })).allowed).toBe(true);
    const worker = new SharedSourceBlocks({ redis, prefix: `${prefix}:sb4`, distinctPrefix: `${prefix}:rl4` });
    const mget = jest.spyOn(redis, 'mget');
    const read = await Promise.all(['198.51.101.1', '198.51.101.2', '192.0.2.44'].map((ip) => worker.evidence(clientSource(ip))));
    expect(mget).toHaveBeenCalledTimes(1);
    mget.mockRestore();
    expect(read).toEqual([
      { blocked: false, addressCustomers: 3, subnetCustomers: 5 },
      { blocked: false, addressCustomers: 2, subnetCustomers: 5 },
      { blocked: false, addressCustomers: 0, subnetCustomers: 0 },
    ]);
    // Without the rate guard's prefix, blocks only.
    const blocksOnly = new SharedSourceBlocks({ redis, prefix: `${prefix}:sb4` });
    expect(await blocksOnly.evidence(clientSource('198.51.101.1'))).toEqual({ blocked: false, addressCustomers: 0, subnetCustomers: 0 });
  });
});
