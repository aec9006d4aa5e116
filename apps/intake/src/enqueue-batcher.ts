import type { AttemptJobData, AttemptJobName } from '@dropgate/queue';
import type { JobsOptions } from 'bullmq';

/** One job to add: what `queue.add(name, data, opts)` takes. */
export interface JobToAdd {
  name: AttemptJobName;
  data: AttemptJobData;
  opts: JobsOptions;
}

/** The part of a BullMQ Queue the batcher uses. */
export interface BulkAddQueue {
  add(name: AttemptJobName, data: AttemptJobData, opts: JobsOptions): Promise<unknown>;
  addBulk(jobs: JobToAdd[]): Promise<unknown>;
}

export interface EnqueueBatchSettings {
  /** Most jobs in one addBulk (ENQUEUE_BATCH_MAX); 1 turns batching off (one `queue.add` per job). */
  maxJobs: number;
  /**
   * How long the first job of a batch may wait for others (ENQUEUE_BATCH_WAIT_MS). 0: until the event loop has
   * finished the I/O it is handling now (setImmediate): every request parsed in the same turn shares the round
   * trip, and a lone request waits for nothing.
   */
  waitMs: number;
}

interface Pending {
  job: JobToAdd;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Micro-batches queue adds: jobs added within `waitMs` (or the same event-loop turn) go to Redis as one
 * `addBulk`, one pipelined write instead of one round trip each. Each caller still learns the fate of its own
 * job: when the bulk fails, every job of it is added again on its own (adding an existing job id is a no-op in
 * BullMQ, so a job that did make it is not added twice) and each caller gets its own job's answer.
 */
export class EnqueueBatcher {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly queue: BulkAddQueue,
    private readonly settings: EnqueueBatchSettings,
  ) {}

  add(job: JobToAdd): Promise<void> {
    if (this.settings.maxJobs <= 1) return this.queue.add(job.name, job.data, job.opts).then(() => undefined);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (this.pending.length >= this.settings.maxJobs) this.flush();
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
    if (batch.length === 0) return;
    if (batch.length === 1) {
      const [one] = batch as [Pending];
      this.addOne(one);
      return;
    }
    let bulk: Promise<unknown>;
    try {
      bulk = this.queue.addBulk(batch.map((p) => p.job));
    } catch (err) {
      bulk = Promise.reject(err);
    }
    bulk.then(
      () => {
        for (const p of batch) p.resolve();
      },
      () => {
        for (const p of batch) this.addOne(p);
      },
    );
  }

  private addOne(p: Pending): void {
    let added: Promise<unknown>;
    try {
      added = this.queue.add(p.job.name, p.job.data, p.job.opts);
    } catch (err) {
      added = Promise.reject(err);
    }
    added.then(() => p.resolve(), p.reject);
  }

  private schedule(): void {
    if (this.settings.waitMs > 0) this.timer = setTimeout(() => this.flush(), this.settings.waitMs);
    else this.immediate = setImmediate(() => this.flush());
  }
}
