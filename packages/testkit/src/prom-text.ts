/**
 * Just enough of the Prometheus text format to read our own /metrics (in tests and benchmarks): samples with
 * labels, one sample or sums over a label filter, and histograms (delta of two scrapes, quantile by linear
 * interpolation inside a bucket, as PromQL's histogram_quantile does).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const raw = m[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

const matches = (s: Sample, filter: Record<string, string>): boolean => Object.entries(filter).every(([k, v]) => s.labels[k] === v);

/** The first sample of `name` whose labels include `filter`; undefined when there is none. */
export function sampleValue(text: string, name: string, filter: Record<string, string> = {}): number | undefined {
  return parseMetrics(text).find((s) => s.name === name && matches(s, filter))?.value;
}

/** Like `sampleValue`, counting a missing series as 0 (counters appear on first increment). */
export function counterValue(text: string, name: string, filter: Record<string, string> = {}): number {
  return sampleValue(text, name, filter) ?? 0;
}

/** Sum of every sample of `name` whose labels include `filter`. */
export function sumOf(samples: readonly Sample[], name: string, filter: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) if (s.name === name && matches(s, filter)) total += s.value;
  return total;
}

/** Per-value sums of one label, e.g. outcomes by `outcome`. */
export function byLabel(samples: readonly Sample[], name: string, label: string, filter: Record<string, string> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.name === name && matches(s, filter)) out[s.labels[label] ?? ''] = (out[s.labels[label] ?? ''] ?? 0) + s.value;
  return out;
}

export interface Hist {
  /** Cumulative counts by upper bound, ascending, ending with +Inf. */
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

export function histogramOf(samples: readonly Sample[], base: string, filter: Record<string, string> = {}): Hist {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${base}_bucket` || !matches(s, filter)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return {
    buckets: [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le),
    sum: sumOf(samples, `${base}_sum`, filter),
    count: sumOf(samples, `${base}_count`, filter),
  };
}

/** What happened between two scrapes of the same histogram. */
export function histDelta(before: Hist, after: Hist): Hist {
  const prior = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (prior.get(b.le) ?? 0) })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

export function histAdd(a: Hist, b: Hist): Hist {
  const counts = new Map<number, number>();
  for (const x of [...a.buckets, ...b.buckets]) counts.set(x.le, (counts.get(x.le) ?? 0) + x.count);
  return { buckets: [...counts].map(([le, count]) => ({ le, count })).sort((x, y) => x.le - y.le), sum: a.sum + b.sum, count: a.count + b.count };
}

/** q-quantile in the histogram's unit; NaN when empty. Above the last finite bound it answers that bound. */
export function histQuantile(h: Hist, q: number): number {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export const histMean = (h: Hist): number => (h.count > 0 ? h.sum / h.count : NaN);

export async function scrape(url: string, timeoutMs = 5_000): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}
