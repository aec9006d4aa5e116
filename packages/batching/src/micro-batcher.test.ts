import { MicroBatcher } from './index';

/** A batcher over recorded calls; items listed in `failing` fail alone, every batch fails while `failBatches`. */
function recorded(options: { maxSize: number; waitMs: number; failBatches?: boolean; failing?: string[]; shortAnswer?: boolean }) {
  const calls: string[] = [];
  const batches: Array<[number, boolean]> = [];
  const batcher = new MicroBatcher<string, string>({
    maxSize: options.maxSize,
    waitMs: options.waitMs,
    runBatch: (items) => {
      calls.push(`batch:${items.join(',')}`);
      if (options.failBatches) throw new Error('batch refused'); // a synchronous throw counts as a failed batch
      return Promise.resolve(options.shortAnswer ? items.slice(1) : items.map((i) => i.toUpperCase()));
    },
    runOne: (item) => {
      calls.push(`one:${item}`);
      return options.failing?.includes(item) ? Promise.reject(new Error(`no ${item}`)) : Promise.resolve(item.toUpperCase());
    },
    onBatch: (size, fellBack) => batches.push([size, fellBack]),
  });
  return { batcher, calls, batches };
}

describe('MicroBatcher', () => {
  it('answers each caller with its own item of one batch per event-loop turn', async () => {
    const { batcher, calls, batches } = recorded({ maxSize: 10, waitMs: 0 });
    await expect(Promise.all(['a', 'b', 'c'].map((i) => batcher.submit(i)))).resolves.toEqual(['A', 'B', 'C']);
    expect(calls).toEqual(['batch:a,b,c']);
    expect(batches).toEqual([[3, false]]);
  });

  it('runs a lone item alone, and everything alone when maxSize is 1', async () => {
    const lone = recorded({ maxSize: 10, waitMs: 0 });
    await expect(lone.batcher.submit('a')).resolves.toBe('A');
    expect(lone.calls).toEqual(['one:a']);
    const off = recorded({ maxSize: 1, waitMs: 0 });
    await Promise.all(['a', 'b'].map((i) => off.batcher.submit(i)));
    expect(off.calls).toEqual(['one:a', 'one:b']);
    expect(off.batches).toEqual([]);
  });

  it('falls back to one call per item when the batch fails, each caller getting its own fate', async () => {
    const { batcher, calls, batches } = recorded({ maxSize: 10, waitMs: 0, failBatches: true, failing: ['b'] });
    const settled = await Promise.allSettled(['a', 'b', 'c'].map((i) => batcher.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual(['batch:a,b,c', 'one:a', 'one:b', 'one:c']);
    expect(batches).toEqual([[3, true]]);
  });

  it('treats a batch answering the wrong number of results as failed', async () => {
    const { batcher, calls } = recorded({ maxSize: 10, waitMs: 0, shortAnswer: true });
    await expect(Promise.all(['a', 'b'].map((i) => batcher.submit(i)))).resolves.toEqual(['A', 'B']);
    expect(calls).toEqual(['batch:a,b', 'one:a', 'one:b']);
  });

  it('waits up to waitMs for more items, and flush() sends at once', async () => {
    const { batcher, calls } = recorded({ maxSize: 10, waitMs: 60_000 });
    const first = batcher.submit('a');
    await new Promise((resolve) => setImmediate(resolve));
    const second = batcher.submit('b');
    expect(calls).toEqual([]);
    batcher.flush();
    await Promise.all([first, second]);
    expect(calls).toEqual(['batch:a,b']);
  });
});
