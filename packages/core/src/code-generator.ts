import { randomBytes } from 'node:crypto';
import { assertCodeSpaceFor, PATTERN_SLOT, type CodeSpec } from './code-spec';

/**
 * Cryptographically random codes. Bytes come from `randomBytes` in large chunks; a byte is used only when it
 * falls below the largest multiple of the alphabet size (rejection sampling), so no symbol is favoured.
 */
class RandomSymbols {
  private buf = Buffer.alloc(0);
  private pos = 0;
  private readonly limit: number;

  constructor(private readonly alphabet: string) {
    this.limit = 256 - (256 % alphabet.length);
  }

  next(): string {
    for (;;) {
      if (this.pos >= this.buf.length) {
        this.buf = randomBytes(64 * 1024);
        this.pos = 0;
      }
      const byte = this.buf[this.pos++]!;
      if (byte < this.limit) return this.alphabet[byte % this.alphabet.length]!;
    }
  }
}

function makeCode(spec: CodeSpec, symbols: RandomSymbols): string {
  let body = '';
  if (spec.pattern === null) {
    for (let i = 0; i < spec.length; i++) body += symbols.next();
  } else {
    for (const c of spec.pattern) body += c === PATTERN_SLOT ? symbols.next() : c;
  }
  return spec.prefix + body + spec.suffix;
}

export interface GenerateOptions {
  /** Codes to avoid (e.g. already stored ones). */
  exclude?: ReadonlySet<string> | undefined;
  /** Called every `progressEvery` codes and at the end. */
  onProgress?: ((generated: number, total: number) => void) | undefined;
  progressEvery?: number | undefined;
}

/** `count` distinct codes of the spec. Refuses a spec whose space is too small (see assertCodeSpaceFor). */
export function generateCodes(spec: CodeSpec, count: number, options: GenerateOptions = {}): string[] {
  // Run the generator to completion (not `const [all] = ...`, which stops it before its final progress call).
  let all: string[] = [];
  for (const batch of generateCodeBatches(spec, count, Math.max(1, count), options)) all = batch;
  return all;
}

/**
 * Streams `count` codes in batches of `batchSize`, for bulk inserts of millions: memory is bounded by one batch,
 * whatever `count` is (10 million codes held in a Set cost about a gigabyte). Codes are distinct within a batch and
 * never in `exclude`; across batches nothing is remembered, so uniqueness is the caller's, as it is anyway against
 * the codes already stored: the database refuses a duplicate and the caller asks for a replacement (the admin's
 * generation job). In a space at least 10⁶ times the count (`assertCodeSpaceFor`) that is a handful of codes.
 */
export function generateCodeBatches(spec: CodeSpec, count: number, batchSize: number, options: GenerateOptions = {}): Generator<string[]> {
  // Validated here, eagerly: a generator function's body would only run at the first `next()`.
  if (!Number.isInteger(count) || count < 0) throw new RangeError('count must be a non-negative integer');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  assertCodeSpaceFor(spec, Math.max(1, count + (options.exclude?.size ?? 0)));
  return emitBatches(spec, count, batchSize, options);
}

function* emitBatches(spec: CodeSpec, count: number, batchSize: number, options: GenerateOptions): Generator<string[]> {
  const symbols = new RandomSymbols(spec.charset);
  const every = options.progressEvery ?? 100_000;
  let emitted = 0;
  let reported = -1;
  while (emitted < count) {
    // One batch's codes, kept distinct by a Set dropped with the batch: nothing outlives it.
    const batch = new Set<string>();
    const size = Math.min(batchSize, count - emitted);
    while (batch.size < size) {
      const code = makeCode(spec, symbols);
      if (batch.has(code) || options.exclude?.has(code)) continue;
      batch.add(code);
      emitted++;
      if (options.onProgress && emitted % every === 0) {
        options.onProgress(emitted, count);
        reported = emitted;
      }
    }
    yield [...batch];
  }
  if (reported !== count) options.onProgress?.(count, count);
}
