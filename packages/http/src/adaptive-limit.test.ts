import { AdaptiveLimit } from './adaptive-limit';

/** A limit on a clock the test moves: `window(latencies, inFlight)` finishes those requests within one 100 ms window. */
function limitOf(settings: { max: number; min: number; targetMs: number }) {
  let t = 0;
  const limit = new AdaptiveLimit({ ...settings, windowMs: 100 }, () => t);
  const window = (latenciesMs: number[], inFlight: number, refused = false): number => {
    if (refused) limit.refused();
    for (const ms of latenciesMs) limit.finish(ms, inFlight);
    t += 100;
    // The first finish of the next window closes this one; it is then part of the next window.
    limit.finish(0, 0);
    return limit.limit;
  };
  return { limit, window };
}

const many = (n: number, ms: number): number[] => Array.from({ length: n }, () => ms);

describe('AdaptiveLimit', () => {
  it('starts at the ceiling', () => {
    expect(limitOf({ max: 64, min: 8, targetMs: 50 }).limit.limit).toBe(64);
  });

  it('cuts the limit by 10% for a window whose p99 is over the target while the limit is in use', () => {
    const { window } = limitOf({ max: 64, min: 8, targetMs: 50 });
    // 2 of 100 over the target: the window's p99 is over it.
    expect(window([...many(98, 10), 80, 80], 64)).toBe(57);
    expect(window([...many(98, 10), 80, 80], 57)).toBe(51);
  });

  it('keeps the limit when no more than 1% are over the target', () => {
    const { window } = limitOf({ max: 64, min: 8, targetMs: 50 });
    expect(window([...many(199, 10), 80, 80], 64, true)).toBe(64);
  });

  it('never goes under the floor', () => {
    const { window } = limitOf({ max: 64, min: 8, targetMs: 50 });
    let limit = 64;
    for (let i = 0; i < 50; i++) limit = window(many(100, 500), limit);
    expect(limit).toBe(8);
  });

  it('does not cut a limit nothing presses against (slow answers at low traffic)', () => {
    const { window } = limitOf({ max: 64, min: 8, targetMs: 50 });
    // Under half the limit in flight: a slow answer says nothing about concurrency.
    expect(window([500, 500], 31)).toBe(64);
    expect(window([500, 500], 32)).toBe(57);
  });

  it('grows back by about its square root per fast window while it holds requests back, up to the ceiling', () => {
    const { window } = limitOf({ max: 64, min: 8, targetMs: 50 });
    let limit = 64;
    for (let i = 0; i < 30; i++) limit = window(many(100, 500), limit);
    expect(limit).toBe(8);
    // Fast, but nobody refused and the limit not reached: no reason to grow.
    expect(window(many(100, 5), 4)).toBe(8);
    // Fast and refusing: 8 + 2, 10 + 3, 13 + 3, ...
    expect(window(many(100, 5), 8, true)).toBe(10);
    expect(window(many(100, 5), 10)).toBe(13);
    expect(window(many(100, 5), 13, true)).toBe(16);
    for (let i = 0; i < 20; i++) limit = window(many(100, 5), 64, true);
    expect(limit).toBe(64);
  });

  it('grows back while at most 1% are over the target (a steady trickle of slow answers does not pin a cut limit)', () => {
    const { window } = limitOf({ max: 64, min: 8, targetMs: 50 });
    let limit = 64;
    for (let i = 0; i < 30; i++) limit = window(many(100, 500), limit);
    expect(limit).toBe(8);
    expect(window([...many(199, 5), 80], 8, true)).toBe(10);
  });

  it('does not grow in a window with more than 1% over the target', () => {
    const { window } = limitOf({ max: 64, min: 8, targetMs: 50 });
    let limit = 64;
    for (let i = 0; i < 30; i++) limit = window(many(100, 500), limit);
    expect(window([...many(196, 5), 80, 80, 80, 80], 8, true)).toBe(8);
  });

  it('decides once per window, from the requests that finished in it', () => {
    let t = 0;
    const limit = new AdaptiveLimit({ max: 64, min: 8, targetMs: 50, windowMs: 100 }, () => t);
    for (let i = 0; i < 1000; i++) limit.finish(500, 64);
    expect(limit.limit).toBe(64); // the window has not ended
    t = 100;
    limit.finish(500, 64);
    expect(limit.limit).toBe(57);
    for (let i = 0; i < 1000; i++) limit.finish(500, 64);
    expect(limit.limit).toBe(57); // a new window: decided at its end, once
  });

  it('refuses settings with the floor above the ceiling', () => {
    expect(() => new AdaptiveLimit({ max: 4, min: 8, targetMs: 50 }, () => 0)).toThrow(/min/);
    expect(() => new AdaptiveLimit({ max: 4, min: 0, targetMs: 50 }, () => 0)).toThrow(/min/);
  });
});
