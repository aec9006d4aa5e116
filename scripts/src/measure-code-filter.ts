/**
 * `npm run measure:code-filter -- [--codes 1000000] [--probes 1000000] [--exact 50000]`: what the in-memory code
 * filter costs and how well it filters, per 1M codes.
 *
 * Builds a Bloom filter of `--codes` random well-formed codes (as a large campaign's) and the exact set of `--exact`
 * codes (what small campaigns get), and reports for each: heap + array-buffer memory held (measured with forced GCs
 * around the build; run with --expose-gc, as the npm script does), serialised size (what Redis stores and intakes
 * load), build and decode time, lookup cost, and for the Bloom filter the measured false-positive rate over
 * `--probes` codes that are not in it. Last line: one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { BloomCodeFilter, codeFilterOf, decodeCodeFilter, encodeCodeFilter, type CodeFilter } from '@dropgate/code-filter';
import { parseFlags } from './bench/cli-flags';
import { formatNumber, formatTable, round } from './bench/table';

const flags = parseFlags(process.argv.slice(2), {
  usage: 'node --expose-gc scripts/dist/measure-code-filter.js [flags]: code filter memory and false positives',
  numeric: { codes: 1_000_000, probes: 1_000_000, exact: 50_000 },
  about: {
    codes: "codes in the Bloom filter (as a large campaign's)",
    probes: 'codes NOT in the filter looked up, for its false-positive rate',
    exact: 'codes in the exact set (what small campaigns get)',
  },
});
const log = (line = ''): void => void process.stdout.write(line + '\n');
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** `n` distinct codes of 12 characters from a 31-letter alphabet (like `XXXX-XXXX-XXXX` without dashes). */
function randomCodes(n: number, exclude?: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  while (out.size < n) {
    const bytes = randomBytes(12 * 1024);
    for (let i = 0; i + 12 <= bytes.length && out.size < n; i += 12) {
      let code = '';
      for (let j = 0; j < 12; j++) code += ALPHABET[(bytes[i + j] as number) % ALPHABET.length];
      if (!exclude?.has(code)) out.add(code);
    }
    if (out.size % 200_000 < 1024) process.stderr.write(`\r  generating codes: ${out.size}/${n}`);
  }
  process.stderr.write('\n');
  return [...out];
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function heldBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface Measured {
  kind: string;
  codes: number;
  memoryBytes: number;
  serialisedBytes: number;
  buildMs: number;
  decodeMs: number;
  lookupNs: number;
}

function measure(codes: string[], options: { exactMax: number }): { filter: CodeFilter; m: Measured } {
  const started = performance.now();
  // Built and encoded in a scope of its own: what is measured is the DECODED filter, what an intake holds.
  const encoded = encodeCodeFilter(codeFilterOf(codes, options), 1);
  const buildMs = performance.now() - started;
  const baseline = heldBytes() - encoded.length;
  const decodeStarted = performance.now();
  const decoded = decodeCodeFilter(encoded).filter;
  const decodeMs = performance.now() - decodeStarted;
  const memoryBytes = heldBytes() - baseline - encoded.length;
  const lookups = Math.min(codes.length, 200_000);
  const lookupStarted = process.hrtime.bigint();
  let hits = 0;
  for (let i = 0; i < lookups; i++) if (decoded.mightContain(codes[i] as string)) hits++;
  const lookupNs = Number(process.hrtime.bigint() - lookupStarted) / lookups;
  if (hits !== lookups) throw new Error(`false negatives: ${lookups - hits}`);
  return {
    filter: decoded,
    m: { kind: decoded.kind, codes: codes.length, memoryBytes, serialisedBytes: encoded.length, buildMs, decodeMs, lookupNs },
  };
}

function main(): void {
  if (!(globalThis as { gc?: unknown }).gc) log('note: run with --expose-gc for exact memory figures');
  log(`Bloom filter of ${formatNumber(flags.codes)} codes, exact set of ${formatNumber(flags.exact)} codes`);
  const codes = randomCodes(flags.codes);
  const bloom = measure(codes, { exactMax: 0 });
  const members = new Set(codes);
  const probes = randomCodes(flags.probes, members);
  members.clear();
  let positives = 0;
  for (const probe of probes) if (bloom.filter.mightContain(probe)) positives++;
  const fpRate = positives / probes.length;
  const exact = measure(codes.slice(0, flags.exact), { exactMax: flags.exact });

  const per1M = (m: Measured, bytes: number): number => (bytes / m.codes) * 1_000_000;
  const rows = [bloom.m, exact.m].map((m) => [
    m.kind,
    formatNumber(m.codes),
    formatNumber(round(per1M(m, m.memoryBytes) / 1024 / 1024, 2)) + ' MiB',
    formatNumber(round(m.memoryBytes / m.codes, 2)),
    formatNumber(round(m.serialisedBytes / 1024 / 1024, 2)) + ' MiB',
    formatNumber(round(m.buildMs)),
    formatNumber(round(m.decodeMs)),
    formatNumber(round(m.lookupNs)),
  ]);
  log(formatTable(['filter', 'codes', 'memory per 1M codes', 'bytes/code', 'serialised', 'build ms', 'decode ms', 'lookup ns'], rows));
  const b = bloom.filter as BloomCodeFilter;
  log(`Bloom: ${b.bloom.bits} bits, ${b.bloom.hashes} hashes; false positives ${positives} of ${formatNumber(probes.length)} probes = ${round(fpRate * 100, 3)}% (estimated from fill: ${round(b.bloom.estimatedFpRate() * 100, 3)}%)`);
  log(
    JSON.stringify({
      bloom: { ...bloom.m, memoryBytesPer1M: Math.round(per1M(bloom.m, bloom.m.memoryBytes)), fpRate, hashes: b.bloom.hashes, bits: b.bloom.bits },
      exact: { ...exact.m, memoryBytesPer1M: Math.round(per1M(exact.m, exact.m.memoryBytes)) },
    }),
  );
}

main();
