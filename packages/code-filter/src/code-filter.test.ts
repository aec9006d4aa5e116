import { randomBytes } from 'node:crypto';
import { BloomFilter } from './bloom-filter';
import { BloomCodeFilter, codeFilterOf, ExactCodeSet } from './code-filter';
import { decodeCodeFilter, encodeCodeFilter } from './filter-codec';

/** Well-formed random codes, like a campaign's (12 characters of [A-Z0-9]). */
function randomCodes(n: number): string[] {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const out = new Set<string>();
  while (out.size < n) {
    const bytes = randomBytes(12);
    let code = '';
    for (const b of bytes) code += alphabet[b % alphabet.length];
    out.add(code);
  }
  return [...out];
}

function fpRate(filter: { mightContain(code: string): boolean }, members: ReadonlySet<string>, probes: string[]): number {
  let positives = 0;
  let tried = 0;
  for (const probe of probes) {
    if (members.has(probe)) continue;
    tried++;
    if (filter.mightContain(probe)) positives++;
  }
  return positives / tried;
}

describe('code filter: Bloom over 100k codes', () => {
  const codes = randomCodes(150_000);
  const members = codes.slice(0, 100_000);
  const memberSet = new Set(members);
  const outsiders = codes.slice(100_000); // 50,000 codes that are not members
  const filter = codeFilterOf(members, { exactMax: 1000 });

  it('is a Bloom filter above the exact-set size', () => {
    expect(filter).toBeInstanceOf(BloomCodeFilter);
    expect(filter.count).toBe(100_000);
    // ~11 bits per code at 0.5%: between 1.2 and 1.6 bytes a code
    expect(filter.bytes / 100_000).toBeGreaterThan(1.2);
    expect(filter.bytes / 100_000).toBeLessThan(1.6);
  });

  it('has no false negatives', () => {
    const missed = members.filter((c) => !filter.mightContain(c));
    expect(missed).toEqual([]);
  });

  it('keeps the measured false-positive rate at or under 1%', () => {
    const rate = fpRate(filter, memberSet, outsiders);
    expect(rate).toBeLessThanOrEqual(0.01);
    expect(rate).toBeGreaterThan(0); // a Bloom filter this full does have some: the measurement measures
    expect((filter as BloomCodeFilter).bloom.estimatedFpRate()).toBeLessThanOrEqual(0.01);
  });

  it('round-trips through its binary form with the same answers and version', () => {
    const encoded = encodeCodeFilter(filter, 42);
    const { version, filter: decoded } = decodeCodeFilter(encoded);
    expect(version).toBe(42);
    expect(decoded).toBeInstanceOf(BloomCodeFilter);
    expect(decoded.count).toBe(100_000);
    for (const code of members) if (!decoded.mightContain(code)) throw new Error(`lost ${code}`);
    const sample = outsiders.slice(0, 20_000);
    expect(sample.map((c) => decoded.mightContain(c))).toEqual(sample.map((c) => filter.mightContain(c)));
  });

  it('draws a new seed per build: false positives land elsewhere', () => {
    const other = codeFilterOf(members, { exactMax: 1000 }) as BloomCodeFilter;
    expect(other.bloom.seed).not.toBe((filter as BloomCodeFilter).bloom.seed);
  });
});

describe('code filter: exact set for small campaigns', () => {
  it('answers exactly and round-trips', () => {
    const codes = randomCodes(700);
    const filter = codeFilterOf(codes);
    expect(filter).toBeInstanceOf(ExactCodeSet);
    expect(codes.every((c) => filter.mightContain(c))).toBe(true);
    expect(randomCodes(5000).filter((c) => !codes.includes(c) && filter.mightContain(c))).toEqual([]);
    const { version, filter: decoded } = decodeCodeFilter(encodeCodeFilter(filter, 7));
    expect(version).toBe(7);
    expect(decoded.kind).toBe('exact');
    expect([...(decoded as ExactCodeSet).codes].sort()).toEqual([...codes].sort());
  });

  it('round-trips an empty campaign (nothing can match)', () => {
    const { filter } = decodeCodeFilter(encodeCodeFilter(codeFilterOf([]), 1));
    expect(filter.count).toBe(0);
    expect(filter.mightContain('')).toBe(false);
    expect(filter.mightContain('ABC')).toBe(false);
  });
});

describe('code filter: binary form is checked', () => {
  it('refuses what is not a filter', () => {
    expect(() => decodeCodeFilter(Buffer.from('hello world, not a filter'))).toThrow(/magic/);
    const good = encodeCodeFilter(codeFilterOf(['A']), 1);
    good.writeUInt8(9, 5);
    expect(() => decodeCodeFilter(good)).toThrow(/kind/);
  });

  it('refuses a bit array of the wrong length', () => {
    expect(() => new BloomFilter(new Uint8Array(3), 64, 3, 1)).toThrow(RangeError);
  });
});
