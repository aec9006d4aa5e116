import { releaseInChunks } from './release-in-chunks';

/** A chunk releaser answering from a script: a number (released that many) or an Error (the chunk failed). */
function scripted(...answers: Array<number | Error>): { release: () => Promise<number>; calls: () => number } {
  let calls = 0;
  return {
    release: () => {
      const answer = answers[calls++];
      if (answer === undefined) return Promise.reject(new Error('called once too often'));
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    calls: () => calls,
  };
}

describe('releaseInChunks', () => {
  it('stops at the first chunk that comes back short, adding up every chunk', async () => {
    const chunks = scripted(3, 3, 2);
    expect(await releaseInChunks(3, chunks.release)).toEqual({ released: 8, failure: null });
    expect(chunks.calls()).toBe(3);
  });

  it('nothing due: one chunk, none released', async () => {
    const chunks = scripted(0);
    expect(await releaseInChunks(3, chunks.release)).toEqual({ released: 0, failure: null });
    expect(chunks.calls()).toBe(1);
  });

  it('an exact multiple of the chunk size: one more chunk finds none, then stops', async () => {
    const chunks = scripted(3, 3, 0);
    expect(await releaseInChunks(3, chunks.release)).toEqual({ released: 6, failure: null });
    expect(chunks.calls()).toBe(3);
  });

  it('a later chunk fails: reports what the committed chunks released AND the error, and stops there', async () => {
    const boom = new Error('WriteConflict, retries exhausted');
    const chunks = scripted(3, 3, boom, 3);
    expect(await releaseInChunks(3, chunks.release)).toEqual({ released: 6, failure: boom });
    expect(chunks.calls()).toBe(3);
  });

  it('the first chunk fails: nothing was released, the error is thrown as it is', async () => {
    const boom = new Error('no primary');
    await expect(releaseInChunks(3, scripted(boom).release)).rejects.toBe(boom);
  });

  it('a chunk reporting more than it may release is a bug, not a count', async () => {
    await expect(releaseInChunks(3, scripted(4).release)).rejects.toThrow(/released 4 codes in a chunk of at most 3/);
    const chunks = scripted(3, 5);
    expect(await releaseInChunks(3, chunks.release)).toMatchObject({ released: 3, failure: { message: expect.stringMatching(/released 5 codes/) as unknown } });
  });

  it('refuses a chunk size that could never stop', async () => {
    await expect(releaseInChunks(0, scripted(0).release)).rejects.toThrow(RangeError);
    await expect(releaseInChunks(2.5, scripted(0).release)).rejects.toThrow(RangeError);
  });
});
