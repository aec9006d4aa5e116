/**
 * What a chunked release did: every code released by a chunk that committed, and the error that stopped it early
 * (null when it ran to the end). Those codes are free whatever came after: the caller must hear of them.
 */
export interface ChunkedRelease {
  released: number;
  failure: unknown;
}

/**
 * Releases chunk after chunk (`releaseChunk` releases at most `chunkSize` codes in one transaction and says how
 * many) until one comes back short: nothing more is due. A chunk that fails after others committed stops it and is
 * reported with what they released (the rest stays due for the next sweep); a failure of the first chunk, when
 * nothing was released, is simply thrown. Pure: the transactions are `releaseChunk`'s.
 */
export async function releaseInChunks(chunkSize: number, releaseChunk: () => Promise<number>): Promise<ChunkedRelease> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be an integer >= 1, not ${chunkSize}`);
  let released = 0;
  for (;;) {
    let n: number;
    try {
      n = await releaseChunk();
      if (n > chunkSize) throw new Error(`released ${n} codes in a chunk of at most ${chunkSize}`);
    } catch (err) {
      if (released === 0) throw err;
      return { released, failure: err };
    }
    released += n;
    if (n < chunkSize) return { released, failure: null };
  }
}
