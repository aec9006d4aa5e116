import { duplicateIndexes, isDuplicateKeyError } from './mongo-errors';

/** Shaped like the driver's WriteError: code and index are getters over `err`. */
class WriteErrorLike {
  constructor(readonly err: { code: number; index: number }) {}
  get code(): number {
    return this.err.code;
  }
  get index(): number {
    return this.err.index;
  }
}

describe('mongo errors', () => {
  it('recognises duplicate-key errors, single or bulk', () => {
    expect(isDuplicateKeyError({ code: 11000 })).toBe(true);
    expect(isDuplicateKeyError({ code: 112 })).toBe(false);
    expect(isDuplicateKeyError({ writeErrors: [new WriteErrorLike({ code: 11000, index: 0 })] })).toBe(true);
    expect(isDuplicateKeyError(new Error('x'))).toBe(false);
  });

  it('lists the refused indexes of an unordered insert only when all are duplicates', () => {
    const dup = (index: number) => new WriteErrorLike({ code: 11000, index });
    expect(duplicateIndexes({ code: 11000, writeErrors: [dup(0), dup(2)] })).toEqual([0, 2]);
    expect(duplicateIndexes({ writeErrors: [dup(0), new WriteErrorLike({ code: 121, index: 1 })] })).toBeNull();
    expect(duplicateIndexes({ code: 64, writeErrors: [] })).toBeNull();
    expect(duplicateIndexes(new Error('network'))).toBeNull();
  });
});
