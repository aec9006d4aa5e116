import { SPREADSHEET_FORMULA_STARTERS } from './code-spec';

/** Cells a spreadsheet would run as a formula (or read a `'` escape in). */
const GUARDED = new RegExp(`^[${SPREADSHEET_FORMULA_STARTERS.replace(/[-\\\]^]/g, '\\$&')}\\t\\r]`);

/**
 * The CSV export's formula guard: such a cell is written after a `'`. A cell starting with `'` is guarded too, so
 * `unguardCell` undoes it exactly. One rule for the export, the import and the load script reading an export.
 */
export function guardCell(value: string): string {
  return GUARDED.test(value) ? `'${value}` : value;
}

/** A cell as `guardCell` had it: its guard taken off. */
export function unguardCell(cell: string): string {
  return cell.startsWith("'") && GUARDED.test(cell.slice(1)) ? cell.slice(1) : cell;
}
