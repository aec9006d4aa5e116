/**
 * A plain Bloom filter over strings: `bits` bits, `hashes` probes per item placed by enhanced double hashing
 * (Dillinger & Manolios) from two 32-bit hashes computed in one pass. The seed is drawn per filter, so where a
 * false positive lands differs from one build to the next and cannot be learnt from outside.
 *
 * Written here rather than taken from npm: `bloomfilter` is ESM-only (this repo builds CommonJS, jest included)
 * and `bloom-filters` serialises to JSON only and brings lodash, seedrandom and xxhashjs along.
 */
export class BloomFilter {
  private readonly probes: Uint32Array;

  constructor(
    /** Bit array, little-endian bit order within each byte. */
    readonly words: Uint8Array,
    readonly bits: number,
    readonly hashes: number,
    readonly seed: number,
  ) {
    if (!Number.isInteger(bits) || bits < 8 || bits > 0xffffffff) throw new RangeError(`bloom filter bits out of range: ${bits}`);
    if (words.length !== Math.ceil(bits / 8)) throw new RangeError(`bloom filter of ${bits} bits needs ${Math.ceil(bits / 8)} bytes, got ${words.length}`);
    if (!Number.isInteger(hashes) || hashes < 1 || hashes > 32) throw new RangeError(`bloom filter hash count out of range: ${hashes}`);
    this.probes = new Uint32Array(hashes);
  }

  /** A filter sized for `expected` items at false-positive rate `fpRate` (the textbook optimum m and k). */
  static sized(expected: number, fpRate: number, seed: number): BloomFilter {
    const n = Math.max(1, expected);
    const bits = Math.max(64, Math.ceil((-n * Math.log(fpRate)) / (Math.LN2 * Math.LN2)));
    const hashes = Math.max(1, Math.min(32, Math.round((bits / n) * Math.LN2)));
    return new BloomFilter(new Uint8Array(Math.ceil(bits / 8)), bits, hashes, seed >>> 0);
  }

  add(item: string): void {
    const probes = this.place(item);
    for (let i = 0; i < this.hashes; i++) {
      const p = probes[i] as number;
      this.words[p >>> 3] = (this.words[p >>> 3] as number) | (1 << (p & 7));
    }
  }

  /** false: certainly absent. true: present, or a false positive. */
  has(item: string): boolean {
    const probes = this.place(item);
    for (let i = 0; i < this.hashes; i++) {
      const p = probes[i] as number;
      if (((this.words[p >>> 3] as number) & (1 << (p & 7))) === 0) return false;
    }
    return true;
  }

  /** The false-positive rate expected from how full the filter is: (set bits / bits) ^ hashes. */
  estimatedFpRate(): number {
    let set = 0;
    for (const byte of this.words) set += POPCOUNT[byte] as number;
    return Math.pow(set / this.bits, this.hashes);
  }

  private place(item: string): Uint32Array {
    // Two seeded FNV-1a style passes in one loop, each finished with murmur3's fmix32 for avalanche.
    let h1 = (0x811c9dc5 ^ this.seed) >>> 0;
    let h2 = (0x9747b28c ^ Math.imul(this.seed, 0x5bd1e995)) >>> 0;
    for (let i = 0; i < item.length; i++) {
      const c = item.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    const m = this.bits;
    let a = fmix32(h1) % m;
    let b = fmix32(h2) % m;
    const probes = this.probes;
    probes[0] = a;
    for (let i = 1; i < this.hashes; i++) {
      a = (a + b) % m;
      b = (b + i) % m;
      probes[i] = a;
    }
    return probes;
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, byte) => {
  let n = 0;
  for (let b = byte; b; b >>= 1) n += b & 1;
  return n;
});
