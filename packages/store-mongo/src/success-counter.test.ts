import { grantUnderTarget, newShards, stopAtTarget } from './success-counter';
import { COUNTER_SHARDS } from './models';

describe('grantUnderTarget', () => {
  it('grants everything without a target', () => {
    expect(grantUnderTarget(1_000_000, null, 32)).toBe(32);
  });

  it('grants what still fits below the target, never more, never below zero', () => {
    expect(grantUnderTarget(0, 10, 4)).toBe(4);
    expect(grantUnderTarget(8, 10, 4)).toBe(2);
    expect(grantUnderTarget(10, 10, 4)).toBe(0);
    expect(grantUnderTarget(12, 10, 4)).toBe(0); // a target lowered below the count
  });
});

describe('stopAtTarget', () => {
  it('stops an active or paused campaign that reaches its target', () => {
    expect(stopAtTarget({ status: 'active', target: 10 }, 10)).toEqual({ status: 'stopped', stopReason: 'target_reached' });
    expect(stopAtTarget({ status: 'paused', target: 10 }, 11)).toEqual({ status: 'stopped', stopReason: 'target_reached' });
  });

  it('leaves it alone below the target, without one, or when it is not running', () => {
    expect(stopAtTarget({ status: 'active', target: 10 }, 9)).toBeNull();
    expect(stopAtTarget({ status: 'active', target: null }, 1e9)).toBeNull();
    expect(stopAtTarget({ status: 'ended', target: 10 }, 10)).toBeNull();
    expect(stopAtTarget({ status: 'stopped', target: 10 }, 10)).toBeNull();
  });
});

describe('newShards', () => {
  it('makes every shard of a campaign at once, open only without a target', () => {
    const shards = newShards('cmp_x', true);
    expect(shards).toHaveLength(COUNTER_SHARDS);
    expect(new Set(shards.map((s) => s._id)).size).toBe(COUNTER_SHARDS);
    expect(shards.every((s) => s.campaignId === 'cmp_x' && s.n === 0 && s.open)).toBe(true);
    expect(newShards('cmp_y', false).some((s) => s.open)).toBe(false);
  });
});
