/** MongoDB's duplicate-key error code (unique index violation). */
export const DUPLICATE_KEY = 11000;

interface WriteErrorLike {
  index?: number;
  code?: number;
  err?: { index?: number; code?: number };
}

const codeOf = (err: unknown): unknown => (typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined);

/** Writes the driver reports per document (bulk/insertMany errors); the driver's WriteError exposes them as getters. */
function writeErrorsOf(err: unknown): WriteErrorLike[] {
  if (typeof err !== 'object' || err === null) return [];
  const list = (err as { writeErrors?: unknown }).writeErrors;
  return Array.isArray(list) ? (list as WriteErrorLike[]) : [];
}

export function isDuplicateKeyError(err: unknown): boolean {
  if (codeOf(err) === DUPLICATE_KEY) return true;
  const writeErrors = writeErrorsOf(err);
  return writeErrors.length > 0 && writeErrors.every((w) => (w.code ?? w.err?.code) === DUPLICATE_KEY);
}

/**
 * For an unordered insertMany that failed: the indexes (in the submitted batch) of the documents refused as
 * duplicates, or null when the error is not made only of duplicate-key write errors (then it must surface).
 */
export function duplicateIndexes(err: unknown): number[] | null {
  const writeErrors = writeErrorsOf(err);
  if (writeErrors.length === 0) return null;
  const indexes: number[] = [];
  for (const w of writeErrors) {
    const code = w.code ?? w.err?.code;
    const index = w.index ?? w.err?.index;
    if (code !== DUPLICATE_KEY || typeof index !== 'number') return null;
    indexes.push(index);
  }
  return indexes;
}

/** Index build conflicts: an index of that name/key exists with other options, so the schema's indexes must be synced. */
export function isIndexConflict(err: unknown): boolean {
  const code = codeOf(err);
  return code === 85 || code === 86;
}

