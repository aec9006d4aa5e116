import type { QueueEvents } from 'bullmq';
import type { AttemptJobResult } from '@dropgate/queue';

/** How a job ended, as its QueueEvents event says: completed with its result, or failed (maybe to be retried). */
export type FinishEvent = { kind: 'completed'; result: AttemptJobResult | null } | { kind: 'failed' };

type Waiter = (event: FinishEvent) => void;

/**
 * Clients waiting for their attempts (`Prefer: wait`), woken by the attempts queue's events: ONE `completed` and ONE
 * `failed` listener for all of them, and a map by attempt id. BullMQ's `job.waitUntilFinished` adds listeners per
 * wait, on the QueueEvents and on the Queue (`closing`): hundreds of concurrent waits made Node print a
 * MaxListenersExceededWarning on the Queue and cost one more listener to scan on every event.
 */
export class FinishWaiters {
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly events: QueueEvents) {
    events.on('completed', ({ jobId, returnvalue }) => this.wake(jobId, { kind: 'completed', result: (returnvalue as unknown as AttemptJobResult | null) ?? null }));
    events.on('failed', ({ jobId }) => this.wake(jobId, { kind: 'failed' }));
  }

  /** Listening for the queue's events (a wait registered once this resolves misses no later event). */
  ready(): Promise<unknown> {
    return this.events.waitUntilReady();
  }

  /**
   * Starts waiting for `attemptId`'s next finish event: `next` resolves with it, or with null after `ms`. Register
   * BEFORE reading the attempt's state, so an attempt finishing in between is not missed; always call `cancel`.
   */
  wait(attemptId: string, ms: number): { next: Promise<FinishEvent | null>; cancel: () => void } {
    let waiter: Waiter = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const next = new Promise<FinishEvent | null>((resolve) => {
      waiter = resolve;
      timer = setTimeout(() => resolve(null), ms);
    });
    let set = this.waiters.get(attemptId);
    if (!set) this.waiters.set(attemptId, (set = new Set()));
    set.add(waiter);
    const cancel = (): void => {
      clearTimeout(timer);
      const current = this.waiters.get(attemptId);
      current?.delete(waiter);
      if (current?.size === 0) this.waiters.delete(attemptId);
    };
    return { next, cancel };
  }

  /** How many waits are registered (tests: every one is cancelled). */
  get size(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  private wake(attemptId: string, event: FinishEvent): void {
    const set = this.waiters.get(attemptId);
    if (!set) return;
    for (const waiter of set) waiter(event);
  }
}
