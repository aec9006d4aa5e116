import { DelayedError, UnrecoverableError } from 'bullmq';
import type { OutageLog } from '@dropgate/observability';

export interface StoreOutageOptions {
  /** The store's liveness check (`Store.ping`). */
  ping: () => Promise<void>;
  /** Where the outage is logged (one line when it goes, summaries, one when it is back) and reported. */
  log: Pick<OutageLog, 'down' | 'up' | 'isDown'>;
  /** Stop and start taking jobs (BullMQ's `worker.pause(true)` and `worker.resume()`). */
  pause: () => void;
  resume: () => void;
  /** A ping unanswered this long counts as failed (default 2 s). */
  pingTimeoutMs?: number | undefined;
  /** The first wait between two pings while the store is away, doubled after each, at most `maxDelayMs`. */
  firstDelayMs?: number | undefined;
  maxDelayMs?: number | undefined;
}

/** The one part an outage log of the store tracks. */
const STORE = 'store';

/**
 * The store unreachable while the worker runs (a database restarted, a network cut). Without this every job in the
 * queue would spend its tries (JOB_ATTEMPTS, seconds of backoff) and be failed for good within seconds, each failure
 * logged and reported. Instead, a job that failed while the store does not answer a ping keeps its try: it goes back
 * to the delayed set (as a deferred verdict does), the worker stops taking jobs, and pings the store with backoff
 * until it answers; then it takes jobs again and the held ones run. A job that failed while the store answers is an
 * ordinary failure, retried as configured.
 */
export class StoreOutage {
  private checking: Promise<unknown> | undefined;
  private probing = false;
  private stopped = false;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: StoreOutageOptions) {}

  get isDown(): boolean {
    return this.options.log.isDown;
  }

  /**
   * After a job (or a batch of them) failed with `err`: was the store unreachable? One ping answers for every
   * failure at once. When it was, the outage begins (or `err` counts in it) and the worker pauses until a ping
   * answers again.
   */
  async explains(err: unknown): Promise<boolean> {
    if (!this.isDown) {
      this.checking ??= this.failedPing().finally(() => (this.checking = undefined));
      if ((await this.checking) === undefined) return false;
    }
    this.options.log.down(STORE, err);
    this.probe();
    return true;
  }

  /** At shutdown: no more pings (the worker is closing anyway). */
  stop(): void {
    this.stopped = true;
    this.wakeUp?.();
  }

  private probe(): void {
    if (this.probing || this.stopped) return;
    this.probing = true;
    this.options.pause();
    void (async () => {
      let delay = this.options.firstDelayMs ?? 250;
      while (!this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (this.stopped) break;
        const failure = await this.failedPing();
        if (failure === undefined) {
          this.options.log.up(STORE);
          this.options.resume();
          break;
        }
        this.options.log.down(STORE, failure);
        delay = Math.min(delay * 2, this.options.maxDelayMs ?? 5_000);
      }
      this.probing = false;
    })();
  }

  /** undefined when the store answered a ping in time, else why not. */
  private async failedPing(): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.options.pingTimeoutMs ?? 2_000;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to a ping within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.options.ping(), late]);
      return undefined;
    } catch (err) {
      return err ?? new Error('ping failed');
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A BullMQ job as far as holding it is concerned. */
export interface HoldableJob {
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

/** How long a job held through an outage waits once the worker takes jobs again: about one ping's backoff. */
const HELD_FOR_MS = 1_000;

/**
 * `process`, with a job that fails while the store is unreachable (or is taken while it is) put back in the delayed
 * set without spending a try (`moveToDelayed` with its lock token, then DelayedError: neither completed nor failed).
 * Jobs that cannot be moved (no token) and BullMQ's own signals pass through.
 */
export function holdingThroughStoreOutage<J extends HoldableJob, R>(outage: StoreOutage, process: (job: J, token?: string) => Promise<R>): (job: J, token?: string) => Promise<R> {
  const hold = async (job: J, token: string): Promise<never> => {
    await job.moveToDelayed(Date.now() + HELD_FOR_MS, token);
    throw new DelayedError();
  };
  return async (job, token) => {
    // Taken as the outage began (the pause stops only the next fetch): the store is not even tried.
    if (outage.isDown && token !== undefined) return hold(job, token);
    try {
      return await process(job, token);
    } catch (err) {
      if (token === undefined || err instanceof DelayedError || err instanceof UnrecoverableError) throw err;
      if (await outage.explains(err)) return hold(job, token);
      throw err;
    }
  };
}
