import v8 from 'node:v8';
import vm from 'node:vm';
import { randomBytes } from 'node:crypto';
import { generateCodeBatches, generateCodes } from './code-generator';
import { CHARSETS, CodeSpecError, matchesCodeSpec, resolveCodeSpec, type CodeSpec } from './code-spec';

/**
 * `randomBytes` is wrapped so a test can script the bytes the generator sees (queued buffers are handed out
 * first, in order); with an empty queue it is the real CSPRNG.
 */
const mockScript: Buffer[] = [];
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return {
    ...actual,
    randomBytes: jest.fn((size: number) => (mockScript.length > 0 ? mockScript.shift()! : actual.randomBytes(size))),
  };
});
const randomBytesMock = randomBytes as unknown as jest.Mock;

beforeEach(() => {
  mockScript.length = 0;
  randomBytesMock.mockClear();
});

const script = (...buffers: number[][]): void => {
  mockScript.push(...buffers.map((b) => Buffer.from(b)));
};
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

function refusal(fn: () => unknown): CodeSpecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CodeSpecError);
    return e as CodeSpecError;
  }
  throw new Error('expected a CodeSpecError, nothing was thrown');
}

/** Pearson's chi-square statistic of observed symbol counts against a uniform distribution. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, o) => sum + ((o - expected) * (o - expected)) / expected, 0);
}

function symbolCounts(alphabet: string, text: Iterable<string>): number[] {
  const index = new Map([...alphabet].map((c, i) => [c, i]));
  const counts = new Array<number>(alphabet.length).fill(0);
  for (const c of text) {
    const i = index.get(c);
    if (i === undefined) throw new Error(`symbol ${JSON.stringify(c)} is not in the alphabet`);
    counts[i]! += 1;
  }
  return counts;
}

/**
 * Tolerant upper bound for a chi-square with `df` degrees of freedom: mean + 10 standard deviations
 * (mean df, variance 2·df). A uniform source exceeds it with a probability far below 1e-9; the modulo bias
 * this guards against lands an order of magnitude above it.
 */
const chiSquareBound = (df: number): number => df + 10 * Math.sqrt(2 * df);

describe('generateCodes(): volume and uniqueness', () => {
  // No timing assertion (the shared machine's load decides the time; bench:generate measures it): volume and uniqueness.
  it('generates 1,000,000 distinct, well-formed codes', () => {
    const spec = resolveCodeSpec({ length: 12 });
    const codes = generateCodes(spec, 1_000_000);

    expect(codes).toHaveLength(1_000_000);
    expect(new Set(codes).size).toBe(1_000_000);
    let malformed = 0;
    for (const c of codes) if (!matchesCodeSpec(spec, c)) malformed++;
    expect(malformed).toBe(0);
  });

  it('returns exactly count codes, and none for count 0', () => {
    const spec = resolveCodeSpec({ length: 10 });
    expect(generateCodes(spec, 1)).toHaveLength(1);
    expect(generateCodes(spec, 37)).toHaveLength(37);
    expect(generateCodes(spec, 0)).toEqual([]);
  });

  it('differs from one run to the next (really random)', () => {
    const spec = resolveCodeSpec({ length: 12 });
    const a = new Set(generateCodes(spec, 1000));
    const b = generateCodes(spec, 1000);
    expect(b.filter((c) => a.has(c))).toEqual([]);
  });
});

describe('generateCodes(): shape', () => {
  it.each<[string, CodeSpec]>([
    ['unambiguous, 12', resolveCodeSpec({ length: 12 })],
    ['numeric, 16', resolveCodeSpec({ length: 16, charset: 'numeric' })],
    ['hex, 10', resolveCodeSpec({ length: 10, charset: 'hex' })],
    ['custom lower-case, 10', resolveCodeSpec({ length: 10, charset: 'abcdefghjk' })],
    ['pattern + prefix + suffix', resolveCodeSpec({ pattern: 'SYN-####-####', prefix: 'DG_', suffix: '-EU' })],
  ])('every code of %s matches the spec', (_label, spec) => {
    const codes = generateCodes(spec, 2000);
    expect(codes.filter((c) => !matchesCodeSpec(spec, c))).toEqual([]);
  });

  it('uses only symbols of the alphabet for the random part', () => {
    const spec = resolveCodeSpec({ length: 12, charset: 'hex' });
    const allowed = new Set(CHARSETS.hex);
    for (const code of generateCodes(spec, 500)) for (const c of code) expect(allowed.has(c)).toBe(true);
  });

  it('keeps pattern literals, prefix and suffix in place', () => {
    const spec = resolveCodeSpec({ pattern: 'SYN-####-####', prefix: 'DG_', suffix: '-EU' });
    const shape = /^DG_SYN-[23456789A-HJKMNP-Z]{4}-[23456789A-HJKMNP-Z]{4}-EU$/;
    const codes = generateCodes(spec, 1000);
    expect(codes.filter((c) => !shape.test(c))).toEqual([]);
    expect(new Set(codes.map((c) => c.length))).toEqual(new Set([3 + 13 + 3]));
  });

  it('fills the pattern slots in order from the random stream', () => {
    script(range(0, 8));
    const spec = resolveCodeSpec({ pattern: 'SYN-####-####', prefix: 'P-', suffix: '-S' });
    expect(generateCodes(spec, 1)).toEqual(['P-SYN-2345-6789-S']);
  });

  it('upper-cases lower-case literals of a case-insensitive spec (codes survive normalisation)', () => {
    script(range(0, 8));
    const spec = resolveCodeSpec({ pattern: 'syn-####-####', prefix: 'dg-' });
    expect(generateCodes(spec, 1)).toEqual(['DG-SYN-2345-6789']);
  });
});

describe('randomness source (scripted bytes)', () => {
  const five = resolveCodeSpec({ length: 5 }); // 31^5 ≈ 2.9e7: room for a handful of codes

  it('maps byte b to symbol b mod 31 when b < 248', () => {
    script([0, 31, 62, 247, 30]);
    expect(generateCodes(five, 1)).toEqual(['222ZZ']);
  });

  it('rejects the bytes 248..255 that would bias the first 8 symbols', () => {
    script([248, 249, 250, 251, 252, 253, 254, 255, 1, 2, 3, 4, 5]);
    expect(generateCodes(five, 1)).toEqual(['34567']);
  });

  it('gives every symbol exactly 8 of the 256 byte values', () => {
    const spec = resolveCodeSpec({ length: 8 });
    // 248..255 first: a modulo-only implementation would turn them into extra 2..9 symbols
    script([...range(248, 256), ...range(0, 248)]);
    const codes = generateCodes(spec, 31);
    expect(codes[0]).toBe('23456789');
    expect(symbolCounts(CHARSETS.unambiguous, codes.join(''))).toEqual(new Array(31).fill(8));
  });

  it('draws bytes in 64 KiB chunks and carries on across chunks', () => {
    script([0, 1], [2, 3, 4]);
    expect(generateCodes(five, 1)).toEqual(['23456']);
    expect(randomBytesMock).toHaveBeenCalledTimes(2);
    expect(randomBytesMock).toHaveBeenCalledWith(64 * 1024);
  });

  it('skips a code generated twice in one run', () => {
    script([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2]);
    expect(generateCodes(five, 3)).toEqual(['22222', '33333', '44444']);
  });

  it('skips codes listed in exclude', () => {
    script([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2]);
    expect(generateCodes(five, 2, { exclude: new Set(['33333']) })).toEqual(['22222', '44444']);
  });

  it('skips excluded codes across batches too', () => {
    script([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
    const batches = [...generateCodeBatches(five, 3, 2, { exclude: new Set(['22222']) })];
    expect(batches).toEqual([['33333', '44444'], ['55555']]);
  });
});

describe('exclude (real randomness)', () => {
  it('never returns an excluded code and still returns count codes', () => {
    const spec = resolveCodeSpec({ length: 10 });
    const existing = new Set(generateCodes(spec, 5000));
    const fresh = generateCodes(spec, 5000, { exclude: existing });
    expect(fresh).toHaveLength(5000);
    expect(new Set(fresh).size).toBe(5000);
    expect(fresh.filter((c) => existing.has(c))).toEqual([]);
  });
});

describe('generateCodeBatches()', () => {
  const spec = resolveCodeSpec({ length: 12 });

  it('streams full batches and a last partial one', () => {
    const batches = [...generateCodeBatches(spec, 10_005, 1000)];
    expect(batches.map((b) => b.length)).toEqual([...new Array<number>(10).fill(1000), 5]);
    const all = batches.flat();
    expect(all).toHaveLength(10_005);
    expect(new Set(all).size).toBe(10_005);
    expect(all.filter((c) => !matchesCodeSpec(spec, c))).toEqual([]);
  });

  it('does not yield an empty trailing batch when count is a multiple of batchSize', () => {
    expect([...generateCodeBatches(spec, 3000, 1000)].map((b) => b.length)).toEqual([1000, 1000, 1000]);
  });

  it('yields one batch when batchSize exceeds count, and none for count 0', () => {
    expect([...generateCodeBatches(spec, 7, 1000)].map((b) => b.length)).toEqual([7]);
    expect([...generateCodeBatches(spec, 0, 1000)]).toEqual([]);
  });

  it('yields batches of one', () => {
    expect([...generateCodeBatches(spec, 4, 1)].map((b) => b.length)).toEqual([1, 1, 1, 1]);
  });

  it('is lazy: a batch is produced only when asked for', () => {
    const it = generateCodeBatches(spec, 1_000_000, 10);
    const first = it.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(10);
    expect(it.next().value).toHaveLength(10);
    expect(it.return(undefined).done).toBe(true);
  });

  it('validates its arguments when called, before the first batch is asked for', () => {
    const tooSmall = resolveCodeSpec({ length: 6, charset: 'numeric' });
    expect(refusal(() => generateCodeBatches(tooSmall, 2, 1)).code).toBe('code_space_too_small');
    expect(() => generateCodeBatches(spec, -1, 10)).toThrow(RangeError);
    expect(() => generateCodeBatches(spec, 10, 0)).toThrow(RangeError);
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects batchSize %p', (batchSize) => {
    expect(() => generateCodeBatches(spec, 10, batchSize)).toThrow(/batchSize/);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects count %p', (count) => {
    expect(() => generateCodeBatches(spec, count, 10)).toThrow(RangeError);
    expect(() => generateCodes(spec, count)).toThrow(/count/);
  });
});

describe('progress callback', () => {
  const spec = resolveCodeSpec({ length: 12 });

  function progressOf(run: (onProgress: (g: number, t: number) => void) => void): Array<[number, number]> {
    const calls: Array<[number, number]> = [];
    run((g, t) => calls.push([g, t]));
    return calls;
  }

  it('reports every progressEvery codes and once at the end (generateCodes)', () => {
    const calls = progressOf((onProgress) => generateCodes(spec, 1000, { progressEvery: 300, onProgress }));
    expect(calls).toEqual([
      [300, 1000],
      [600, 1000],
      [900, 1000],
      [1000, 1000],
    ]);
  });

  it('reports the end once when count is a multiple of progressEvery (generateCodes)', () => {
    const calls = progressOf((onProgress) => generateCodes(spec, 1000, { progressEvery: 250, onProgress }));
    expect(calls.map(([g]) => g)).toEqual([250, 500, 750, 1000]);
  });

  it.each([
    [10_005, 1000, 2500],
    [10_000, 1000, 2500],
    [10_000, 3000, 1000],
    [999, 1000, 100],
  ])('count %p, batchSize %p, progressEvery %p: strictly increasing, ending at the total', (count, batchSize, every) => {
    const calls = progressOf((onProgress) => {
      for (const _batch of generateCodeBatches(spec, count, batchSize, { progressEvery: every, onProgress }));
    });
    const generated = calls.map(([g]) => g);
    expect(calls.every(([, total]) => total === count)).toBe(true);
    for (let i = 1; i < generated.length; i++) expect(generated[i]!).toBeGreaterThan(generated[i - 1]!);
    expect(generated[generated.length - 1]).toBe(count);
    expect(generated).toEqual([...range(1, Math.floor(count / every) + 1).map((k) => k * every), ...(count % every ? [count] : [])]);
  });

  it('reports every 100,000 codes by default', () => {
    const calls = progressOf((onProgress) => generateCodes(spec, 250_000, { onProgress }));
    expect(calls.map(([g]) => g)).toEqual([100_000, 200_000, 250_000]);
  });

  it('has reported the codes of a batch by the time the batch is yielded', () => {
    let reported = 0;
    let emitted = 0;
    for (const batch of generateCodeBatches(spec, 5000, 1000, { progressEvery: 500, onProgress: (g) => (reported = g) })) {
      emitted += batch.length;
      expect(reported).toBe(emitted);
    }
    expect(reported).toBe(5000);
  });

  it('reports (0, 0) for an empty run', () => {
    expect(progressOf((onProgress) => generateCodes(spec, 0, { onProgress }))).toEqual([[0, 0]]);
  });
});

describe('space check', () => {
  it('refuses a spec whose space is below 1e6 × count', () => {
    const e = refusal(() => generateCodes(resolveCodeSpec({ length: 6, charset: 'numeric' }), 2));
    expect(e.code).toBe('code_space_too_small');
  });

  it('refuses a short code even for one code', () => {
    expect(refusal(() => generateCodes(resolveCodeSpec({ length: 5, charset: 'numeric' }), 1)).code).toBe('code_space_too_small');
    expect(refusal(() => generateCodes(resolveCodeSpec({ length: 4 }), 1)).code).toBe('code_space_too_small'); // 31^4 < 1e6
  });

  it('checks the space even for count 0 (as for one code)', () => {
    expect(refusal(() => generateCodes(resolveCodeSpec({ length: 5, charset: 'numeric' }), 0)).code).toBe('code_space_too_small');
  });

  it('counts excluded codes against the space', () => {
    const spec = resolveCodeSpec({ length: 7, charset: 'numeric' }); // 1e7: room for 10 codes
    expect(generateCodes(spec, 10)).toHaveLength(10);
    expect(refusal(() => generateCodes(spec, 10, { exclude: new Set(['0000000']) })).code).toBe('code_space_too_small');
  });

  it('does not consume any randomness when it refuses', () => {
    refusal(() => generateCodes(resolveCodeSpec({ length: 6, charset: 'numeric' }), 2));
    expect(randomBytesMock).not.toHaveBeenCalled();
  });
});

describe('uniformity (chi-square, no modulo bias)', () => {
  it('the test itself detects modulo bias (sanity check of the statistic and bound)', () => {
    const bytes = randomBytes(200_000);
    const counts = new Array<number>(31).fill(0);
    for (const b of bytes) counts[b % 31]! += 1; // naive mapping: symbols 0..7 get 9/256 instead of 8/256
    expect(chiSquare(counts)).toBeGreaterThan(chiSquareBound(30));
  });

  it('spreads 200,000 characters of a 31-symbol alphabet evenly', () => {
    const spec = resolveCodeSpec({ length: 20 });
    const text = generateCodes(spec, 10_000).join('');
    expect(text).toHaveLength(200_000);
    const counts = symbolCounts(CHARSETS.unambiguous, text);
    expect(chiSquare(counts)).toBeLessThan(chiSquareBound(30));
    // and no symbol is off by more than 5 % (expected ≈ 6452 each; a 9/8 bias is 12.5 %)
    for (const c of counts) expect(Math.abs(c / (200_000 / 31) - 1)).toBeLessThan(0.05);
  });

  it('spreads evenly over every position of the code', () => {
    const spec = resolveCodeSpec({ length: 20 });
    const codes = generateCodes(spec, 10_000);
    let statistic = 0;
    for (let pos = 0; pos < 20; pos++) statistic += chiSquare(symbolCounts(CHARSETS.unambiguous, codes.map((c) => c[pos]!)));
    // sum of 20 independent chi-square(30): chi-square(600)
    expect(statistic).toBeLessThan(chiSquareBound(600));
  });

  it('spreads evenly over the largest alphabet, 93 symbols (256 mod 93 = 70 rejected byte values)', () => {
    let alphabet = ''; // every printable ASCII symbol but "#"
    for (let c = 0x21; c <= 0x7e; c++) if (c !== 0x23) alphabet += String.fromCharCode(c);
    expect(alphabet).toHaveLength(93);
    const spec = resolveCodeSpec({ prefix: 'X', length: 20, charset: alphabet });
    const counts = symbolCounts(alphabet, generateCodes(spec, 10_000).map((c) => c.slice(1)).join(''));
    expect(chiSquare(counts)).toBeLessThan(chiSquareBound(alphabet.length - 1));
  });
});

describe('generateCodeBatches(): memory', () => {
  // The heap after a full collection: what the generator still holds, not garbage waiting to be collected.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const heldBytes = (): number => {
    gc();
    return process.memoryUsage().heapUsed;
  };

  it('holds one batch, not every code it emitted: the heap does not grow with the count', () => {
    const spec = resolveCodeSpec({ length: 12 });
    const batches = generateCodeBatches(spec, 300_000, 1_000);
    batches.next();
    const start = heldBytes();
    for (let n = 1; n < 300; n++) batches.next();
    // 300,000 codes remembered (a Set of them, as before) hold ~20 MB; one batch of 1,000, about 0.1 MB.
    expect(heldBytes() - start).toBeLessThan(4 * 2 ** 20);
    expect(batches.next().done).toBe(true);
  });
});
