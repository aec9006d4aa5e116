/**
 * Reads one sample out of a Prometheus text exposition: the first line of metric `name` whose labels include
 * every one of `labels`. Returns undefined when there is none.
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Like `sampleValue`, counting a missing series as 0 (counters appear on first increment). */
export function counterValue(text: string, name: string, labels: Record<string, string> = {}): number {
  return sampleValue(text, name, labels) ?? 0;
}
