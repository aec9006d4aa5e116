import type { Redis } from 'ioredis';
import type { AttemptJobResult } from '@dropgate/queue';

/**
 * How a job ended, as the queue's event stream says: completed with its result, or failed (maybe to be retried); or
 * `missed`: the reading may have lost entries (the stream was trimmed past its position), read the state again.
 */
export type FinishEvent = { kind: 'completed'; result: AttemptJobResult | null } | { kind: 'failed' } | { kind: 'missed' };

type Waiter = (event: FinishEvent | null) => void;

export interface FinishWaitersOptions {
  /** A connection of its own for the blocking reads (a 'worker' kind: no command timeout); closed by `close`. */
  redis: Redis;
  /** The attempts queue's BullMQ event stream (`queue.keys.events`). */
  streamKey: string;
  onError: (err: unknown) => void;
  /** Longest blocking read (XREAD BLOCK); the reading stops at its end once nobody waits. */
  blockMs?: number | undefined;
  /** Pause after a failed read before the next one. */
  retryMs?: number | undefined;
  /**
   * A read unanswered after blockMs + this (from its send, or from the reconnect that resent it) is on a dead
   * connection (no command timeout on it; TCP keepalive takes minutes): it is dropped and made again, and the read
   * resent from the same position. Checked every `replyMarginMs`: noticed within blockMs + 2 margins.
   */
  replyMarginMs?: number | undefined;
  /**
   * The stream's trim length, as the queue was created with (`eventsMaxLenOf(queue)`). A trim past the reading
   * position leaves at least this many entries, all returned by the next read: a reply this long may have followed
   * lost ones.
   */
  streamMaxLen: number;
}

/**
 * Clients waiting for their attempts (`Prefer: wait`), woken by the attempts queue's event stream, which this class
 * reads itself (XREAD) ONLY while someone waits: BullMQ's QueueEvents reads every event of every job (added, delayed,
 * waiting, active, completed: five per attempt), in every intake process, whether or not anyone waits — CPU in the
 * intake and in Redis per accepted attempt for nothing outside long polls. One map by attempt id; no listener per wait.
 *
 * Reading starts from the stream's last entry id, read BEFORE the wait's caller reads the attempt's state: a
 * completion between the two has a later id, so it is read; one before is seen by the state read. An entry can still
 * be trimmed away before it is read (BullMQ keeps ~ATTEMPT_EVENTS_MAX_LEN, 10,000; an intake stalled for a second at full load is behind
 * that): a wait's caller reads the state once more at its deadline.
 */
export class FinishWaiters {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private count = 0;
  /** Resolves once the reading has a starting point; undefined while not reading. */
  private listening: Promise<void> | undefined;
  private closed = false;
  private readonly blockMs: number;
  private readonly retryMs: number;
  private readonly replyMarginMs: number;
  private readonly streamMaxLen: number;
  /** When the connection last connected / became ready: a command resent on it waits from then, not from its send. */
  private linkedAt = 0;

  constructor(private readonly options: FinishWaitersOptions) {
    this.blockMs = options.blockMs ?? 5000;
    this.retryMs = options.retryMs ?? 1000;
    this.replyMarginMs = options.replyMarginMs ?? 2000;
    this.streamMaxLen = options.streamMaxLen;
    const linked = (): void => void (this.linkedAt = performance.now());
    options.redis.on('connect', linked).on('ready', linked);
  }

  /**
   * Starts waiting for `attemptId`'s next finish event: `next` resolves with it, or with null after `ms`. Read the
   * attempt's state only once `listening` has resolved (a finish after that is not missed); always call `cancel`.
   */
  wait(attemptId: string, ms: number): { listening: Promise<void>; next: Promise<FinishEvent | null>; cancel: () => void } {
    let waiter: Waiter = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const next = new Promise<FinishEvent | null>((resolve) => {
      waiter = resolve;
      timer = setTimeout(() => resolve(null), ms);
      // A long poll never holds the process open (shutdown would wait up to PREFER_WAIT_MAX_S).
      timer.unref();
    });
    let set = this.waiters.get(attemptId);
    if (!set) this.waiters.set(attemptId, (set = new Set()));
    set.add(waiter);
    this.count++;
    let cancelled = false;
    const cancel = (): void => {
      if (cancelled) return;
      cancelled = true;
      clearTimeout(timer);
      this.count--;
      const current = this.waiters.get(attemptId);
      current?.delete(waiter);
      if (current?.size === 0) this.waiters.delete(attemptId);
    };
    return { listening: this.listen(), next, cancel };
  }

  /** How many waits are registered (tests: every one is cancelled). */
  get size(): number {
    return this.count;
  }

  /** Is the stream being read (tests: it stops once nobody waits)? */
  get reading(): boolean {
    return this.listening !== undefined;
  }

  /** Has `close` run (its waits ended with null at once, not at their deadlines)? */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops reading and closes the connection (interrupting a blocked read). Every wait ends now with null (its client
   * gets its 202 and polls): a long poll does not hold up the server's close.
   */
  close(): void {
    this.closed = true;
    this.options.redis.disconnect();
    this.wakeAll(null);
  }

  private listen(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('finish waiters closed'));
    if (!this.listening) {
      const listening = this.answered(this.lastEntryId()).then((id) => void this.readFrom(id));
      // Not positioned (Redis failed): the next wait tries again.
      listening.catch(() => {
        if (this.listening === listening) this.listening = undefined;
      });
      this.listening = listening;
    }
    return this.listening;
  }

  private async lastEntryId(): Promise<string> {
    const last = await this.options.redis.xrevrange(this.options.streamKey, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  private async readFrom(start: string): Promise<void> {
    let from = start;
    try {
      while (!this.closed && this.count > 0) {
        let reply;
        try {
          reply = await this.answered(this.options.redis.xread('BLOCK', this.blockMs, 'STREAMS', this.options.streamKey, from));
        } catch (err) {
          if (this.closed) return;
          this.options.onError(err);
          await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
          continue;
        }
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            from = id;
            try {
              this.dispatch(fields);
            } catch (err) {
              this.options.onError(err);
            }
          }
          // Rare (the reading was a whole stream behind): every waiter not woken above reads its state again.
          if (entries.length >= this.streamMaxLen) this.wakeAll({ kind: 'missed' });
        }
      }
    } finally {
      // Synchronously after the last check: a wait registered from now on starts a new reading.
      this.listening = undefined;
    }
  }

  /**
   * `command`, sent on the reading connection. While it is unanswered past blockMs + the margin the connection is
   * taken for dead and made again (ioredis resends the command once it is back, so the reading goes on from where
   * it was). The silence counts from the send or from the connection's last (re)connect or ready, whichever is
   * later: a read resent after a reconnect blocks from then, and is not a silence. Checked after the loop's I/O
   * phase, so a reply already received during a stall is not taken for silence.
   */
  private async answered<T>(command: Promise<T>): Promise<T> {
    const { redis } = this.options;
    const silentMs = this.blockMs + this.replyMarginMs;
    const sentAt = performance.now();
    let settled = false;
    const timer = setInterval(
      () =>
        setImmediate(() => {
          // 'ready' or 'connect' (up, its ready check unanswered); otherwise ioredis is already reconnecting.
          if (settled || this.closed || (redis.status !== 'ready' && redis.status !== 'connect')) return;
          if (performance.now() - Math.max(sentAt, this.linkedAt) < silentMs) return;
          this.options.onError(new Error(`finish waiters: no reply from Redis in ${silentMs} ms, reconnecting the events connection`));
          redis.disconnect(true);
        }),
      // Checked a few times per silence (never busily): found within blockMs + 2 margins.
      Math.max(100, this.replyMarginMs),
    );
    timer.unref();
    try {
      return await command;
    } finally {
      settled = true;
      clearInterval(timer);
    }
  }

  private wakeAll(event: FinishEvent | null): void {
    for (const set of this.waiters.values()) for (const waiter of set) waiter(event);
  }

  /** One stream entry (BullMQ's fields: event, jobId, returnvalue, ...): wakes the attempt's waiters on a finish. */
  private dispatch(fields: string[]): void {
    let kind: string | undefined;
    let jobId: string | undefined;
    let returnvalue: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const value = fields[i + 1];
      switch (fields[i]) {
        case 'event':
          if (value !== 'completed' && value !== 'failed') return;
          kind = value;
          break;
        case 'jobId':
          jobId = value;
          break;
        case 'returnvalue':
          returnvalue = value;
          break;
      }
    }
    const set = jobId === undefined ? undefined : this.waiters.get(jobId);
    if (!set || kind === undefined) return;
    const event: FinishEvent = kind === 'completed' ? { kind, result: returnvalue === undefined ? null : (JSON.parse(returnvalue) as AttemptJobResult | null) } : { kind: 'failed' };
    for (const waiter of set) waiter(event);
  }
}
