/**
 * What an import of codes did (the admin's import job result, as the API and its clients show it): lines read,
 * codes inserted, and what was not inserted, never fatal: duplicates (already stored, or earlier in the file) and
 * malformed lines, counted, the first few listed by line number.
 */
export interface CodeImportReport {
  lines: number;
  inserted: number;
  duplicates: number;
  malformed: number;
  firstDuplicates: Array<{ line: number; code: string }>;
  firstMalformed: Array<{ line: number; problem: string }>;
  /** Present when the import was cancelled: it stopped at a batch boundary after `lines` lines, `inserted` codes in. */
  cancelled?: true | undefined;
}
