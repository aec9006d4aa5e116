import { randomInt } from 'node:crypto';
import { BloomFilter } from './bloom-filter';

/**
 * What an intake asks of a campaign's codes: "could this code be one of them?". `false` is certain (the code
 * does not exist); `true` may be a false positive, which a worker then answers `code_not_found`.
 */
export interface CodeFilter {
  readonly kind: 'exact' | 'bloom';
  /** Codes the filter was built from. */
  readonly count: number;
  /** Size of its serialised form (about what it holds in memory for a Bloom filter). */
  readonly bytes: number;
  mightContain(code: string): boolean;
}

/** Up to this many codes the filter is the exact set (no false positives at all); above, a Bloom filter. */
export const EXACT_SET_MAX_CODES = 50_000;
/** What the Bloom filter is sized for: half the 1% the product promises, so a measured rate stays under it. */
export const BLOOM_TARGET_FP_RATE = 0.005;

export class ExactCodeSet implements CodeFilter {
  readonly kind = 'exact';
  readonly count: number;
  readonly bytes: number;

  constructor(readonly codes: ReadonlySet<string>, bytes?: number) {
    this.count = codes.size;
    this.bytes = bytes ?? 0;
  }

  mightContain(code: string): boolean {
    return this.codes.has(code);
  }
}

export class BloomCodeFilter implements CodeFilter {
  readonly kind = 'bloom';

  constructor(
    readonly bloom: BloomFilter,
    readonly count: number,
  ) {}

  get bytes(): number {
    return this.bloom.words.length;
  }

  mightContain(code: string): boolean {
    return this.bloom.has(code);
  }
}

/**
 * Builds a campaign's filter from its codes, `expected` of them (a count read beforehand; a few more arriving
 * while streaming only raise the false-positive rate a little).
 */
export class CodeFilterBuilder {
  private readonly exact: Set<string> | undefined;
  private readonly bloom: BloomFilter | undefined;
  private added = 0;

  constructor(expected: number, options: { exactMax?: number | undefined; fpRate?: number | undefined } = {}) {
    if (expected <= (options.exactMax ?? EXACT_SET_MAX_CODES)) this.exact = new Set();
    else this.bloom = BloomFilter.sized(expected, options.fpRate ?? BLOOM_TARGET_FP_RATE, randomInt(0, 2 ** 32 - 1));
  }

  add(code: string): void {
    this.added++;
    if (this.exact) this.exact.add(code);
    else this.bloom?.add(code);
  }

  build(): CodeFilter {
    if (this.exact) return new ExactCodeSet(this.exact);
    return new BloomCodeFilter(this.bloom as BloomFilter, this.added);
  }
}

/** A filter of `codes`, all at hand (tests, scripts). */
export function codeFilterOf(codes: readonly string[], options: { exactMax?: number; fpRate?: number } = {}): CodeFilter {
  const builder = new CodeFilterBuilder(codes.length, options);
  for (const code of codes) builder.add(code);
  return builder.build();
}
