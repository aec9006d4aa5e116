export interface MicroBatchOptions<In, Out> {
  /** Most items in one batch; 1 turns batching off (every item goes through `runOne` at once). */
  maxSize: number;
  /**
   * How long the first item of a batch may wait for others. 0: until the event loop has finished the I/O it is
   * handling now (setImmediate): every item submitted in the same turn shares the call, and a lone one waits for
   * nothing.
   */
  waitMs: number;
  /** Runs a batch of two or more items; resolves with one result per item, in order. */
  runBatch(items: In[]): Promise<readonly Out[]>;
  /** Runs one item alone: a batch of one, and each item of a failed batch. */
  runOne(item: In): Promise<Out>;
  /** Told about every batch call (two or more items), and whether it failed and its items ran one by one. */
  onBatch?: ((size: number, fellBack: boolean, err?: unknown) => void) | undefined;
}

interface Pending<In, Out> {
  item: In;
  resolve: (result: Out) => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers items submitted within one event-loop turn (or `waitMs`), up to `maxSize`, into one `runBatch` call
 * instead of one call each. Every caller still learns its own item's fate: when the batch call fails for any
 * reason, each of its items runs again on its own through `runOne` (so `runOne` must be idempotent for an item
 * the failed batch may have done) and each caller gets that answer.
 */
export class MicroBatcher<In, Out> {
  private pending: Pending<In, Out>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(private readonly options: MicroBatchOptions<In, Out>) {}

  submit(item: In): Promise<Out> {
    if (this.options.maxSize <= 1) return call(() => this.options.runOne(item));
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxSize) this.flush();
      else if (this.pending.length === 1) this.schedule();
    });
  }

  /** Sends what is pending now (also called at shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 1) this.runOne(batch[0]!);
    else if (batch.length > 1) this.runBatch(batch);
  }

  private runBatch(batch: Pending<In, Out>[]): void {
    call(() => this.options.runBatch(batch.map((p) => p.item))).then(
      (results) => {
        if (results.length !== batch.length) return this.fallBack(batch, new Error(`a batch of ${batch.length} answered ${results.length} results`));
        this.options.onBatch?.(batch.length, false);
        batch.forEach((p, i) => p.resolve(results[i]!));
      },
      (err: unknown) => this.fallBack(batch, err),
    );
  }

  private fallBack(batch: Pending<In, Out>[], err: unknown): void {
    this.options.onBatch?.(batch.length, true, err);
    for (const p of batch) this.runOne(p);
  }

  private runOne(p: Pending<In, Out>): void {
    call(() => this.options.runOne(p.item)).then(p.resolve, p.reject);
  }

  private schedule(): void {
    if (this.options.waitMs > 0) this.timer = setTimeout(() => this.flush(), this.options.waitMs);
    else this.immediate = setImmediate(() => this.flush());
  }
}

/** `fn()`, with a synchronous throw turned into a rejection. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  return await fn();
}
