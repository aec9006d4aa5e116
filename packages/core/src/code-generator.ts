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
 * Streams `count` distinct codes in batches of `batchSize`, for bulk inserts of millions without holding
 * the whole insert in memory twice. Uniqueness inside the run is kept with a Set of what was emitted.
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
  const seen = new Set<string>();
  const every = options.progressEvery ?? 100_000;
  let batch: string[] = [];
  let reported = -1;
  while (seen.size < count) {
    const code = makeCode(spec, symbols);
    if (seen.has(code) || options.exclude?.has(code)) continue;
    seen.add(code);
    batch.push(code);
    if (options.onProgress && seen.size % every === 0) {
      options.onProgress(seen.size, count);
      reported = seen.size;
    }
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
  if (reported !== count) options.onProgress?.(count, count);
}
