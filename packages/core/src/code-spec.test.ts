import {
  assertCodeSpaceFor,
  CHARSETS,
  codeLength,
  CODE_MAX_LENGTH,
  codeStrength,
  CodeSpecError,
  DEFAULT_CHARSET,
  isCaseInsensitive,
  matchesCodeSpec,
  MIN_GUESSES_PER_CODE,
  normalizeCode,
  PATTERN_SLOT,
  resolveCodeSpec,
  type CodeSpec,
  type CodeSpecInput,
} from './code-spec';
import { generateCodes } from './code-generator';

function specError(fn: () => unknown): CodeSpecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CodeSpecError);
    expect((e as CodeSpecError).name).toBe('CodeSpecError');
    return e as CodeSpecError;
  }
  throw new Error('expected a CodeSpecError, nothing was thrown');
}

const invalid = (input: CodeSpecInput): string => specError(() => resolveCodeSpec(input)).code;

describe('charsets', () => {
  it('default to the 31-symbol unambiguous alphabet', () => {
    expect(DEFAULT_CHARSET).toBe('unambiguous');
    expect(CHARSETS.unambiguous).toHaveLength(31);
    expect(PATTERN_SLOT).toBe('#');
  });

  it('leave out the look-alikes 0/O and 1/I/L from the unambiguous alphabet', () => {
    for (const c of '01OIL') expect(CHARSETS.unambiguous).not.toContain(c);
  });

  it.each(Object.entries(CHARSETS))('%s has no repeated symbols', (_name, charset) => {
    expect(new Set(charset).size).toBe(charset.length);
  });

  it('have the documented sizes', () => {
    expect(CHARSETS.alphanumeric).toHaveLength(36);
    expect(CHARSETS.alpha).toHaveLength(26);
    expect(CHARSETS.numeric).toHaveLength(10);
    expect(CHARSETS.hex).toHaveLength(16);
  });
});

describe('resolveCodeSpec()', () => {
  it('fills in the defaults', () => {
    expect(resolveCodeSpec({ length: 12 })).toEqual({
      length: 12,
      charset: CHARSETS.unambiguous,
      pattern: null,
      prefix: '',
      suffix: '',
    });
  });

  it.each(Object.keys(CHARSETS) as Array<keyof typeof CHARSETS>)('resolves the charset name %s to its alphabet', (name) => {
    expect(resolveCodeSpec({ length: 10, charset: name }).charset).toBe(CHARSETS[name]);
  });

  it('accepts a custom alphabet as is', () => {
    expect(resolveCodeSpec({ length: 10, charset: 'abcXYZ789!' }).charset).toBe('abcXYZ789!');
  });

  it('treats an alphabet that happens to be an Object.prototype key as a custom alphabet', () => {
    // "valueOf" has 7 distinct characters: a valid custom alphabet, not a lookup of CHARSETS.valueOf.
    expect(resolveCodeSpec({ length: 10, charset: 'valueOf' }).charset).toBe('valueOf');
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])('rejects %s (repeated / unprintable characters), not a crash', (charset) => {
    expect(invalid({ length: 10, charset })).toBe('invalid_code_spec');
  });

  it('refuses a spec whose codes could begin with a spreadsheet formula starter (= + - @ \')', () => {
    for (const input of [
      { length: 10, charset: 'ABCDEFGH-' },
      { length: 10, charset: "ABCDEFGH'" },
      { pattern: '####-####', charset: 'ABCDEFG=' },
      { length: 10, charset: 'ABCDEFG+@' },
      { prefix: '-DG', length: 10 },
      { pattern: '-####-####' },
    ]) {
      expect(specError(() => resolveCodeSpec(input)).message).toMatch(/spreadsheet/);
    }
    // The same characters further in are fine: only the first one counts.
    expect(resolveCodeSpec({ prefix: 'DG', length: 10, charset: "ABCDEFGH-=+@'" }).prefix).toBe('DG');
    expect(resolveCodeSpec({ pattern: 'A#-###', charset: 'ABCD-=' }).pattern).toBe('A#-###');
  });

  it('sets length from a pattern: SYN-####-#### has 8 random characters', () => {
    const spec = resolveCodeSpec({ pattern: 'SYN-####-####' });
    expect(spec).toEqual({ length: 8, charset: CHARSETS.unambiguous, pattern: 'SYN-####-####', prefix: '', suffix: '' });
    expect(codeLength(spec)).toBe(13);
  });

  it('accepts a pattern together with the matching length', () => {
    expect(resolveCodeSpec({ pattern: 'SYN-####-####', length: 8 }).length).toBe(8);
  });

  it.each([7, 9, 13, 4])('rejects length %p disagreeing with the 8 slots of the pattern', (length) => {
    const e = specError(() => resolveCodeSpec({ pattern: 'SYN-####-####', length }));
    expect(e.code).toBe('invalid_code_spec');
    expect(e.message).toContain(String(length));
  });

  it('treats pattern null like no pattern', () => {
    expect(resolveCodeSpec({ length: 10, pattern: null }).pattern).toBeNull();
  });

  it.each([
    ['too few slots', '###'],
    ['no slot at all', 'ABCD-EFGH'],
    ['a space', '#### ####'],
    ['a dot', '####.####'],
    ['a slash', '####/####'],
    ['a letter that upper-cases to ASCII', 'ß-####'],
    ['empty', ''],
  ])('rejects a pattern with %s', (_label, pattern) => {
    expect(invalid({ pattern })).toBe('invalid_code_spec');
  });

  it.each([3, 65, 0, -8, 8.5, Number.NaN])('rejects length %p', (length) => {
    expect(invalid({ length })).toBe('invalid_code_spec');
  });

  it('requires a length when there is no pattern', () => {
    expect(invalid({})).toBe('invalid_code_spec');
  });

  it.each([4, 64])('accepts length %p (the bounds)', (length) => {
    expect(resolveCodeSpec({ length }).length).toBe(length);
  });

  it.each([
    ['one symbol', 'A'],
    ['a repeated symbol', 'ABCA'],
    ['a space', 'AB CD'],
    ['the slot character', 'AB#C'],
    ['a non-ASCII symbol', 'ABCÉ'],
    ['a control character', 'AB\tC'],
    ['more than 94 symbols', 'x'.repeat(95)],
    ['empty', ''],
  ])('rejects a charset with %s', (_label, charset) => {
    expect(invalid({ length: 10, charset })).toBe('invalid_code_spec');
  });

  it('accepts all 94 printable ASCII symbols except # (93) as a charset', () => {
    let all = '';
    for (let c = 0x21; c <= 0x7e; c++) if (c !== 0x23) all += String.fromCharCode(c);
    // Behind a prefix: a code may not begin with a spreadsheet formula starter (see the refusal below).
    expect(resolveCodeSpec({ prefix: 'X', length: 10, charset: all }).charset).toHaveLength(93);
  });

  it.each([
    ['a space', 'DG '],
    ['a dot', 'DG.'],
    ['a slash', 'DG/'],
    ['a hash', 'DG#'],
    ['non-ASCII', 'DÉ-'],
    ['a letter that upper-cases to ASCII', 'ß'],
    ['17 characters', 'P'.repeat(17)],
  ])('rejects a prefix with %s', (_label, prefix) => {
    expect(invalid({ length: 10, prefix })).toBe('invalid_code_spec');
  });

  it.each([
    ['a space', ' X'],
    ['17 characters', 'S'.repeat(17)],
  ])('rejects a suffix with %s', (_label, suffix) => {
    expect(invalid({ length: 10, suffix })).toBe('invalid_code_spec');
  });

  it.each<[string, CodeSpecInput]>([
    ['64 random characters and a prefix', { length: 64, prefix: 'PROMO-' }],
    ['a suffix after 60', { length: 60, suffix: '-2026X' }],
    ['a long pattern', { pattern: '########-########-########-########-########-########-########-##' }],
    ['a pattern between prefix and suffix', { pattern: '####-####-####-####-####-####-####-####', prefix: 'SUMMER-DROP-2026', suffix: '-LIMITED-EDITION' }],
  ])('rejects a spec whose codes are longer than CODE_MAX_LENGTH (64), which no API takes as a code: %s', (_label, input) => {
    expect(CODE_MAX_LENGTH).toBe(64);
    expect(invalid(input)).toBe('invalid_code_spec');
  });

  it('accepts codes of exactly CODE_MAX_LENGTH characters, literals included', () => {
    const spec = resolveCodeSpec({ length: 58, prefix: 'PROMO-' });
    expect(codeLength(spec)).toBe(CODE_MAX_LENGTH);
    expect(codeLength(resolveCodeSpec({ pattern: '###############-###############-###############-###############' }))).toBe(CODE_MAX_LENGTH - 1);
  });

  it('accepts prefix and suffix of 16 letters, digits, "-" and "_"', () => {
    const spec = resolveCodeSpec({ length: 10, prefix: 'AB_cd-09AB_cd-09', suffix: '-X_1' });
    expect(spec.prefix).toHaveLength(16);
    expect(spec.suffix).toBe('-X_1');
  });

  it('upper-cases literals of a case-insensitive spec, so its codes survive normalisation', () => {
    const spec = resolveCodeSpec({ pattern: 'syn-####', prefix: 'dg-', suffix: '-x' });
    expect(spec).toMatchObject({ pattern: 'SYN-####', prefix: 'DG-', suffix: '-X' });
  });

  it('keeps the case of literals when the alphabet is case-sensitive', () => {
    const spec = resolveCodeSpec({ length: 8, charset: 'abcdefgh', prefix: 'dg-', suffix: '-X' });
    expect(spec).toMatchObject({ prefix: 'dg-', suffix: '-X' });
  });

  it('throws CodeSpecError with code invalid_code_spec (an Error subclass)', () => {
    const e = specError(() => resolveCodeSpec({ length: 1 }));
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('invalid_code_spec');
  });
});

describe('codeLength() and isCaseInsensitive()', () => {
  it('counts prefix + random characters + suffix', () => {
    expect(codeLength(resolveCodeSpec({ length: 10, prefix: 'DG-', suffix: '-X' }))).toBe(15);
  });

  it('counts the whole pattern including literals', () => {
    expect(codeLength(resolveCodeSpec({ pattern: 'AB-##-##-##', prefix: 'P' }))).toBe(12);
  });

  it.each([
    ['unambiguous', true],
    ['numeric', true],
    ['hex', true],
    ['abcdef', false],
    ['ABCdef', false],
  ])('charset %s is case-insensitive: %s', (charset, expected) => {
    expect(isCaseInsensitive(resolveCodeSpec({ length: 10, charset }))).toBe(expected);
  });
});

describe('normalizeCode()', () => {
  const upper = resolveCodeSpec({ length: 10, prefix: 'DG-' });
  const lower = resolveCodeSpec({ length: 10, charset: 'abcdefghjk' });

  it('trims surrounding whitespace and upper-cases for an upper-case alphabet', () => {
    expect(normalizeCode(upper, '  dg-abc23xyz45 \n')).toBe('DG-ABC23XYZ45');
  });

  it('does not touch inner characters beyond case', () => {
    expect(normalizeCode(upper, 'dg - ab')).toBe('DG - AB');
  });

  it('folds full-width characters (NFKC) and drops zero-width ones before upper-casing', () => {
    expect(normalizeCode(upper, 'ｄｇ－ＡＢＣ２３ｘｙｚ４５')).toBe('DG-ABC23XYZ45');
    expect(normalizeCode(upper, '\u200bDG-\u200cABC\u200d23\u2060XYZ45\ufeff')).toBe('DG-ABC23XYZ45');
    expect(normalizeCode(upper, ' \u3000ｄｇ-abc23xyz45\u200b ')).toBe('DG-ABC23XYZ45');
    expect(matchesCodeSpec(upper, normalizeCode(upper, 'ＤＧ－ＡＢＣ２３ＸＹＺ４５'))).toBe(true);
    // Folded for a case-sensitive alphabet too, keeping the case.
    expect(normalizeCode(lower, 'Ａｂ\u200bｃ')).toBe('Abc');
  });

  it('reads the dashes a page or a word processor shows for "-" as "-", and drops direction marks', () => {
    // Non-breaking hyphen (a code kept on one line), hyphen, figure dash, en and em dashes, horizontal bar, minus sign.
    for (const dash of ['\u2011', '\u2010', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212']) {
      expect(normalizeCode(upper, `dg${dash}abc23xyz45`)).toBe('DG-ABC23XYZ45');
    }
    // Copied from a right-to-left page: LRM/RLM, ALM, an embedding, an isolate around the code.
    expect(normalizeCode(upper, '\u200fDG-ABC23XYZ45\u200e')).toBe('DG-ABC23XYZ45');
    expect(normalizeCode(upper, '\u061c\u202aDG-ABC23XYZ45\u202c')).toBe('DG-ABC23XYZ45');
    expect(normalizeCode(upper, '\u2067DG\u2011ABC23XYZ45\u2069')).toBe('DG-ABC23XYZ45');
  });

  it('lays out a code typed without its separators, or with spaces or other dashes for them', () => {
    const grouped = resolveCodeSpec({ pattern: 'SYN-####-####' });
    for (const typed of ['syn7kq2m4xp', 'SYN 7KQ2 M4XP', ' syn-7kq2 m4xp ', 'SYN7KQ2-M4XP', 'SYN_7KQ2_M4XP', 'S Y N 7 K Q 2 M 4 X P'])
      expect(normalizeCode(grouped, typed)).toBe('SYN-7KQ2-M4XP');
    // A prefix and a suffix with separators of their own.
    const framed = resolveCodeSpec({ prefix: 'DG-', pattern: '####_####', suffix: '-X' });
    expect(normalizeCode(framed, 'dgabcdefghx')).toBe('DG-ABCD_EFGH-X');
    expect(matchesCodeSpec(framed, normalizeCode(framed, 'DG ABCD EFGH X'))).toBe(true);
    // Letters of the layout must be typed as they are: a wrong literal, one character too many or too few is left
    // unchanged, for the format check to refuse.
    for (const typed of ['SYX7KQ2M4XP', 'SYN7KQ2M4XPQ', 'SYN7KQ2M4X', 'SYN-7KQ2-M4X-P2']) {
      expect(matchesCodeSpec(grouped, normalizeCode(grouped, typed))).toBe(false);
    }
    // A "-" the alphabet itself holds is a character of the code, never dropped.
    const dashed = resolveCodeSpec({ prefix: 'X', length: 6, charset: 'AB-' });
    expect(normalizeCode(dashed, 'XA-B-AB')).toBe('XA-B-AB');
    expect(normalizeCode(dashed, 'XA B-ABA')).toBe('XAB-ABA');
    expect(matchesCodeSpec(dashed, normalizeCode(dashed, 'XA B-AB'))).toBe(false);
  });

  it('lays out no two codes alike: every generated code, typed without separators, is itself again', () => {
    const grouped = resolveCodeSpec({ pattern: 'SYN-####-####' });
    const codes = generateCodes(grouped, 2_000);
    const typedBack = codes.map((c) => normalizeCode(grouped, c.replace(/-/g, '').toLowerCase()));
    expect(typedBack).toEqual(codes);
  });

  it('leaves control characters and other non-ASCII alone (the format refuses them)', () => {
    expect(normalizeCode(upper, 'DG-ABC\u000023XYZ45')).toBe('DG-ABC\u000023XYZ45');
    expect(matchesCodeSpec(upper, normalizeCode(upper, 'DG-ABCé3XYZ45'))).toBe(false);
  });

  it('keeps the case for a case-sensitive alphabet', () => {
    expect(normalizeCode(lower, '  AbCdE  ')).toBe('AbCdE');
  });

  it('makes a generated code match even when typed in lower case', () => {
    const spec = resolveCodeSpec({ length: 10, prefix: 'dg-', pattern: null });
    const [code] = generateCodes(spec, 1);
    expect(matchesCodeSpec(spec, normalizeCode(spec, ` ${code!.toLowerCase()} `))).toBe(true);
    expect(normalizeCode(spec, code!.toLowerCase())).toBe(code);
  });
});

describe('matchesCodeSpec()', () => {
  const plain = resolveCodeSpec({ length: 10, prefix: 'DG-' });
  const patterned = resolveCodeSpec({ pattern: 'SYN-####-####', suffix: '_X' });

  it('accepts well-formed codes', () => {
    expect(matchesCodeSpec(plain, 'DG-ABCDEFGH23')).toBe(true);
    expect(matchesCodeSpec(patterned, 'SYN-ABCD-2345_X')).toBe(true);
  });

  it('accepts every generated code of several specs', () => {
    const specs: CodeSpec[] = [
      plain,
      patterned,
      resolveCodeSpec({ length: 10, charset: 'numeric', prefix: 'N' }),
      resolveCodeSpec({ length: 12, charset: 'abcdefghijkmnpqrstuvwxyz', suffix: '-eu' }),
      resolveCodeSpec({ prefix: 'R', length: 12, charset: '.*+?^$' + '{}()|[]\\-/' }),
    ];
    for (const spec of specs) {
      const codes = generateCodes(spec, 500);
      expect(codes.filter((c) => !matchesCodeSpec(spec, c))).toEqual([]);
    }
  });

  it.each([
    ['one character short', 'DG-ABCDEFGH2'],
    ['one character long', 'DG-ABCDEFGH234'],
    ['a look-alike O', 'DG-ABCDEFGHO3'],
    ['a zero', 'DG-ABCDEFGH03'],
    ['lower case', 'DG-abcdefgh23'],
    ['a wrong prefix', 'DX-ABCDEFGH23'],
    ['no prefix', 'ABCDEFGH2345'],
    ['surrounding spaces', ' DG-ABCDEFGH2'],
    ['a trailing newline', 'DG-ABCDEFGH2\n'],
    ['empty', ''],
  ])('rejects a code with %s', (_label, code) => {
    expect(matchesCodeSpec(plain, code)).toBe(false);
  });

  it.each([
    ['literal in the wrong place', 'SYNA-BCD-2345_X'],
    ['a wrong literal', 'SYN_ABCD-2345_X'],
    ['a missing suffix', 'SYN-ABCD-2345'],
    ['a wrong suffix', 'SYN-ABCD-2345-X'],
    ['a bad random character', 'SYN-ABCD-2341_X'],
  ])('rejects a patterned code with %s', (_label, code) => {
    expect(matchesCodeSpec(patterned, code)).toBe(false);
  });

  describe('escapes regex-special characters of the charset', () => {
    // Built as stored specs: resolveCodeSpec now refuses alphabets a code could begin with "-" or "+" from, but a
    // campaign made before that rule still has one.
    const stored = (charset: string): CodeSpec => ({ length: 4, charset, pattern: null, prefix: '', suffix: '' });
    const special = stored(']^-\\');
    it('accepts codes made of the special symbols themselves', () => {
      expect(matchesCodeSpec(special, ']^-\\')).toBe(true);
      expect(matchesCodeSpec(special, '\\\\\\\\')).toBe(true);
      expect(matchesCodeSpec(special, '----')).toBe(true);
    });
    it('does not treat "]^-\\\\" as a range or negation', () => {
      // unescaped, "[]^-\\]" could be read as a class of everything between ^ and \\ or a negated class
      expect(matchesCodeSpec(special, 'AAAA')).toBe(false);
      expect(matchesCodeSpec(special, '_^-\\')).toBe(false);
      expect(matchesCodeSpec(special, '[^-\\')).toBe(false);
    });

    const range = stored('A-Z');
    it('reads "A-Z" as three symbols, not a range', () => {
      expect(matchesCodeSpec(range, 'A-ZA')).toBe(true);
      expect(matchesCodeSpec(range, 'BCDE')).toBe(false);
    });

    const dots = stored('.*+?');
    it('reads "." and "*" literally', () => {
      expect(matchesCodeSpec(dots, '.*+?')).toBe(true);
      expect(matchesCodeSpec(dots, 'abcd')).toBe(false);
    });
  });

  it('is case-sensitive for a case-sensitive alphabet', () => {
    const spec = resolveCodeSpec({ length: 4, charset: 'abcd' });
    expect(matchesCodeSpec(spec, 'abcd')).toBe(true);
    expect(matchesCodeSpec(spec, 'ABCD')).toBe(false);
  });

  it('gives the same answer when a spec is reused (cached matcher)', () => {
    for (let i = 0; i < 3; i++) {
      expect(matchesCodeSpec(plain, 'DG-ABCDEFGH23')).toBe(true);
      expect(matchesCodeSpec(plain, 'DG-ABCDEFGH2O')).toBe(false);
    }
  });

  it('does not mix up the matchers of two equal-looking specs with different charsets', () => {
    const a = resolveCodeSpec({ length: 4, charset: 'ABCD' });
    const b = resolveCodeSpec({ length: 4, charset: 'WXYZ' });
    expect(matchesCodeSpec(a, 'ABCD')).toBe(true);
    expect(matchesCodeSpec(b, 'ABCD')).toBe(false);
    expect(matchesCodeSpec(b, 'WXYZ')).toBe(true);
  });
});

describe('codeStrength()', () => {
  it('computes the space and bits of 12 unambiguous characters (31^12)', () => {
    const s = codeStrength(resolveCodeSpec({ length: 12 }), 1);
    // 31^12 = 787 662 783 788 549 761, beyond 2^53: compare relatively
    expect(s.space / 787662783788549800).toBeCloseTo(1, 12); // the nearest double to 31^12
    expect(s.entropyBits).toBeCloseTo(12 * Math.log2(31), 10);
    expect(s.entropyBits).toBeCloseTo(59.45, 2);
    expect(s.expectedGuessesPerHit).toBe(s.space);
  });

  it('divides the space by the pool size', () => {
    const s = codeStrength(resolveCodeSpec({ length: 8, charset: 'hex' }), 1000);
    expect(s.space).toBe(2 ** 32);
    expect(s.entropyBits).toBeCloseTo(32, 10);
    expect(s.expectedGuessesPerHit).toBe(2 ** 32 / 1000);
  });

  it('treats a pool of 0 like 1 (no division by zero)', () => {
    const s = codeStrength(resolveCodeSpec({ length: 6, charset: 'numeric' }), 0);
    expect(s.space).toBe(1e6);
    expect(s.expectedGuessesPerHit).toBe(1e6);
    expect(Number.isFinite(s.expectedGuessesPerHit)).toBe(true);
  });

  it('counts only the random characters of a pattern', () => {
    const s = codeStrength(resolveCodeSpec({ pattern: 'SYN-####-####', prefix: 'AB' }), 1);
    expect(s.space).toBe(852_891_037_441); // 31^8
    expect(s.entropyBits).toBeCloseTo(8 * Math.log2(31), 10);
  });
});

describe('assertCodeSpaceFor()', () => {
  const numeric = (length: number): CodeSpec => resolveCodeSpec({ length, charset: 'numeric' });

  it('requires at least 1e6 guesses per code', () => {
    expect(MIN_GUESSES_PER_CODE).toBe(1e6);
  });

  it('accepts a space of exactly 1e6 × count', () => {
    expect(() => assertCodeSpaceFor(numeric(6), 1)).not.toThrow();
    expect(() => assertCodeSpaceFor(numeric(9), 1000)).not.toThrow();
  });

  it('refuses a space one code short of 1e6 × count', () => {
    expect(specError(() => assertCodeSpaceFor(numeric(6), 2)).code).toBe('code_space_too_small');
    expect(specError(() => assertCodeSpaceFor(numeric(9), 1001)).code).toBe('code_space_too_small');
  });

  it('refuses a short code even for a single code', () => {
    const e = specError(() => assertCodeSpaceFor(numeric(5), 1));
    expect(e.code).toBe('code_space_too_small');
    expect(e.message).toContain('10^5');
    expect(e.message).toMatch(/at least 6 random characters/);
  });

  it('tells how many characters are needed for the count', () => {
    // 1e6 × 1e6 = 1e12 needs ceil(log31(1e12)) = 9 unambiguous characters
    const e = specError(() => assertCodeSpaceFor(resolveCodeSpec({ length: 8 }), 1_000_000));
    expect(e.message).toMatch(/at least 9 random characters/);
    expect(() => assertCodeSpaceFor(resolveCodeSpec({ length: 9 }), 1_000_000)).not.toThrow();
  });

  it('accepts 12 unambiguous characters for ten million codes', () => {
    expect(() => assertCodeSpaceFor(resolveCodeSpec({ length: 12 }), 10_000_000)).not.toThrow();
  });
});
