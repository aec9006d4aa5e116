/** Where a command writes: results to stdout (JSON with --json), progress and messages to stderr. */
export interface Output {
  json: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function printJson(out: Output, value: unknown): void {
  out.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLines(out: Output, lines: string[]): void {
  if (lines.length > 0) out.stdout.write(lines.join('\n') + '\n');
}

/** A plain left-aligned table (no colours: output is often piped). */
export function table(header: string[], rows: Array<Array<string | number | null | undefined>>): string[] {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** Prints `value` as JSON with --json, else the human lines. */
export function emit(out: Output, value: unknown, human: () => string[]): void {
  if (out.json) printJson(out, value);
  else printLines(out, human());
}

/** The listed codes the campaign does not have, one a line (ready to check or fix); nothing when every one was found. */
export function notFoundLines(notFound: string[] | undefined): string[] {
  return notFound?.length ? [`not found (${notFound.length}):`, ...notFound] : [];
}
