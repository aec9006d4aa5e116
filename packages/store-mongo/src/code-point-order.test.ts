import { compareCodePoints } from './code-point-order';

describe('compareCodePoints', () => {
  it('orders by code point: digits, upper case, underscore, lower case; U+FF5E before U+1F600', () => {
    const keys = ['zeta', '😀', '～', 'a_b', 'Zeta', 'a1', 'ab', '_x', 'A', '9', ''];
    expect([...keys].sort(compareCodePoints)).toEqual(['', '9', 'A', 'Zeta', '_x', 'a1', 'a_b', 'ab', 'zeta', '～', '😀']);
    // What JavaScript's own comparison gets wrong: the emoji's first UTF-16 unit (0xD83D) is below U+FF5E.
    expect(['～', '😀'].sort()).toEqual(['😀', '～']);
  });

  it('is 0 only for equal strings', () => {
    expect(compareCodePoints('same', 'same')).toBe(0);
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
    expect(compareCodePoints('b', 'a')).toBeGreaterThan(0);
  });
});
