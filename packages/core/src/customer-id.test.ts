import { normalizeCustomerId } from './customer-id';

describe('normalizeCustomerId', () => {
  it('makes "Alice", "alice " and the full-width form one customer', () => {
    const forms = ['Alice', 'alice ', '\uFF21\uFF4C\uFF49\uFF43\uFF45', ' ALICE\u3000'];
    expect(new Set(forms.map(normalizeCustomerId))).toEqual(new Set(['alice']));
  });

  it('folds compatibility forms and composes accents', () => {
    expect(normalizeCustomerId('Jose\u0301')).toBe('jos\u00e9');
    expect(normalizeCustomerId('JOS\u00c9')).toBe('jos\u00e9');
    expect(normalizeCustomerId('\uFB01sh')).toBe('fish'); // the "fi" ligature
    expect(normalizeCustomerId('user\u00b2')).toBe('user2');
  });

  it('keeps different customers different', () => {
    expect(normalizeCustomerId('alice1')).not.toBe(normalizeCustomerId('alice'));
    expect(normalizeCustomerId('al ice')).toBe('al ice');
  });

  it('is idempotent, including on characters whose lower case is not NFKC-stable', () => {
    for (const raw of ['\u0130stanbul', '\u1E9E', 'K\u212A', '\u03A3\u0391\u03A3', 'Ǆ', '  \uFF41\u0301  ', 'ﬀ', 'ß']) {
      const once = normalizeCustomerId(raw);
      expect(normalizeCustomerId(once)).toBe(once);
    }
  });
});
