import { BlockMirror } from './block-mirror';
import { clientSource, subnetOf } from './client-source';
import { blockSecondsFor, DEFAULT_GUESS_BUDGET, guessBudgetWith } from './guess-budget-limits';

describe('escalation arithmetic', () => {
  it('gives the nth block the nth duration, the last one repeating', () => {
    const blocks = [60, 600, 3600];
    expect([1, 2, 3, 4, 10].map((strike) => blockSecondsFor(strike, blocks))).toEqual([60, 600, 3600, 3600, 3600]);
    expect(blockSecondsFor(0, blocks)).toBe(60); // a strike count is at least 1
    expect(blockSecondsFor(1, [])).toBe(0);
  });

  it('defaults meet the promises: a few typos pass; one address within 60 guesses; a subnet within 200', () => {
    expect(DEFAULT_GUESS_BUDGET.customerGuesses).toBeGreaterThanOrEqual(3 + 1);
    expect(DEFAULT_GUESS_BUDGET.addressGuesses).toBeGreaterThanOrEqual(3 + 1);
    // blocked AT guess budget+1: 5/s for 12 s = 60 guesses, all inside the window
    expect(DEFAULT_GUESS_BUDGET.addressGuesses + 1).toBeLessThanOrEqual(60);
    expect(DEFAULT_GUESS_BUDGET.windowS).toBeGreaterThanOrEqual(60 / 5);
    expect(DEFAULT_GUESS_BUDGET.subnetGuesses + 1).toBeLessThanOrEqual(200);
    expect(DEFAULT_GUESS_BUDGET.blockS).toEqual([60, 600, 3600]);
  });

  it('takes campaign overrides over the defaults and refuses ones that would switch budgets off', () => {
    expect(guessBudgetWith(DEFAULT_GUESS_BUDGET, { addressGuesses: 5 })).toEqual({ ...DEFAULT_GUESS_BUDGET, addressGuesses: 5 });
    expect(guessBudgetWith(DEFAULT_GUESS_BUDGET, undefined)).toBe(DEFAULT_GUESS_BUDGET);
    expect(() => guessBudgetWith(DEFAULT_GUESS_BUDGET, { addressGuesses: 0 })).toThrow(RangeError);
    expect(() => guessBudgetWith(DEFAULT_GUESS_BUDGET, { subnetGuesses: 1.5 })).toThrow(RangeError);
    expect(() => guessBudgetWith(DEFAULT_GUESS_BUDGET, { blockS: [] })).toThrow(RangeError);
    expect(() => guessBudgetWith(DEFAULT_GUESS_BUDGET, { blockS: [60, -1] })).toThrow(RangeError);
  });
});

describe('client source', () => {
  it('takes IPv4 /24 and IPv6 /64 as the subnet; IPv4-mapped IPv6 is the IPv4 address', () => {
    expect(subnetOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(subnetOf('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(subnetOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(subnetOf('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(subnetOf('not an address')).toBe('not an address');
  });

  it('hashes: same subnet, different addresses; never the address in clear', () => {
    const a = clientSource('198.51.100.1');
    const b = clientSource('198.51.100.2');
    const c = clientSource('198.51.101.1');
    expect(a.subnet).toBe(b.subnet);
    expect(a.address).not.toBe(b.address);
    expect(c.subnet).not.toBe(a.subnet);
    expect(JSON.stringify([a, b, c])).not.toMatch(/198|51|100/);
    expect(clientSource('198.51.100.1')).toEqual(a);
  });
});

describe('block mirror', () => {
  it('holds a block until it ends, never shortens one, and forgets expired ones', () => {
    let now = 1_000;
    const mirror = new BlockMirror(10, () => now);
    mirror.block('k', 5_000);
    expect(mirror.msLeft('k')).toBe(5_000);
    mirror.block('k', 1_000); // shorter: ignored
    expect(mirror.msLeft('k')).toBe(5_000);
    now += 4_000;
    expect(mirror.msLeft('k')).toBe(1_000);
    now += 1_000;
    expect(mirror.msLeft('k')).toBe(0);
    expect(mirror.size).toBe(0);
    expect(mirror.msLeft('never')).toBe(0);
  });

  it('stays bounded under a flood of keys', () => {
    const mirror = new BlockMirror(100);
    for (let i = 0; i < 1_000; i++) mirror.block(`k${i}`, 60_000);
    expect(mirror.size).toBeLessThanOrEqual(100);
    expect(mirror.msLeft('k999')).toBeGreaterThan(0); // the newest are kept
  });
});
