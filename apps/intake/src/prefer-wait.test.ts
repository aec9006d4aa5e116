import { preferredWaitSeconds } from './prefer-wait';

describe('preferredWaitSeconds', () => {
  it('reads wait=N, capped at the maximum', () => {
    expect(preferredWaitSeconds('wait=3', 10)).toBe(3);
    expect(preferredWaitSeconds('return=minimal, wait="12"', 10)).toBe(10);
    expect(preferredWaitSeconds('wait=abc', 10)).toBe(0);
    expect(preferredWaitSeconds(undefined, 10)).toBe(0);
  });

  it('caps a wait too big for a number or a timer, never more than the maximum', () => {
    expect(preferredWaitSeconds('wait=99999999999999999999', 10)).toBe(10);
    expect(preferredWaitSeconds(`wait=${'9'.repeat(400)}`, 10)).toBe(10);
    expect(preferredWaitSeconds('wait=0000000000000000000005', 10)).toBe(5);
  });
});
