import { guardCell, unguardCell } from '@dropgate/core';

/**
 * The codes CSV, written by the export and read back by the import, so an export imports as it is: its columns, its
 * quoting and its formula guard are declared here once.
 */

/** The export's columns, in order; an import reads `code` and `tier` and ignores the others. */
export const CSV_COLUMNS = ['code', 'tier', 'state', 'customerId', 'redeemedAt', 'publicationId'] as const;

/** One cell of the export: guarded against formulas, quoted when it holds a quote, comma or line break. */
export function csvCell(value: string | Date | null | undefined): string {
  const s = value instanceof Date ? value.toISOString() : (value ?? '');
  const safe = guardCell(s);
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * One CSV line's cells (RFC 4180 quoting: `"a,b"`, `""` for a quote), unquoted cells trimmed, every cell unguarded;
 * null when a quote is left open or text follows a closing quote.
 */
export function parseCsvLine(line: string): string[] | null {
  const cells: string[] = [];
  let at = 0;
  for (;;) {
    let start = at;
    while (line[start] === ' ' || line[start] === '\t') start++;
    if (line[start] !== '"') {
      const comma = line.indexOf(',', at);
      cells.push(unguardCell((comma === -1 ? line.slice(at) : line.slice(at, comma)).trim()));
      if (comma === -1) return cells;
      at = comma + 1;
      continue;
    }
    let value = '';
    let from = start + 1;
    for (;;) {
      const quote = line.indexOf('"', from);
      if (quote === -1) return null;
      value += line.slice(from, quote);
      if (line[quote + 1] !== '"') {
        from = quote + 1;
        break;
      }
      value += '"';
      from = quote + 2;
    }
    while (line[from] === ' ' || line[from] === '\t') from++;
    cells.push(unguardCell(value));
    if (from === line.length) return cells;
    if (line[from] !== ',') return null;
    at = from + 1;
  }
}

/** Where an import finds a line's code and tier, and how many cells a line may have. */
export interface CsvLayout {
  code: number;
  tier: number | undefined;
  cells: number;
}

/** Without a header: `code[,tier]` (the export's other columns are taken only under its header). */
export const DEFAULT_CSV_LAYOUT: CsvLayout = { code: 0, tier: 1, cells: 2 };

const KNOWN = new Map<string, number>(CSV_COLUMNS.map((name, i) => [name.toLowerCase(), i]));

/**
 * A first line naming columns (the export's header, or `code[,tier]`: any case, any order, quoted or not; a BOM a
 * spreadsheet wrote ahead of it ignored) → where the code and tier are; null when the line is not such a header.
 */
export function csvHeader(line: string): CsvLayout | null {
  const cells = parseCsvLine(line.replace(/^\ufeff/, ''));
  if (!cells) return null;
  const names = cells.map((c) => c.toLowerCase());
  if (!names.includes('code') || names.some((n) => !KNOWN.has(n)) || new Set(names).size !== names.length) return null;
  // `code` alone is the header of the `code[,tier]` form: a second cell is still a tier.
  if (names.length === 1) return { code: 0, tier: 1, cells: 2 };
  const tier = names.indexOf('tier');
  return { code: names.indexOf('code'), tier: tier === -1 ? undefined : tier, cells: names.length };
}
