import type { RedemptionService } from '@dropgate/store';
import type { Redis } from 'ioredis';
import type { MicroBatcher } from '@dropgate/batching';
import { attemptJobOptions, doneStatus, eventsMaxLenOf, getAttemptStatus, isFinished, type AttemptJobRequest, type AttemptQueue, type AttemptStatus } from '@dropgate/queue';
import { createEnqueueBatcher, type JobToAdd } from './enqueue-batcher';
import { FinishWaiters } from './finish-waiters';
import { idempotencyRedisKey } from './idempotency';
import type { AttemptGateway, KeyedAttempt } from './attempt-gateway';

export interface GatewayOptions {
  attempts: number;
  backoffMs: number;
  retentionS: number;
  /** ATTEMPT_HOLD_MS: every attempt waits this long before a worker may take it. */
  holdMs?: number | undefined;
  depthRefreshMs: number;
  /**
   * Is the queue's Redis connection up? BullMQ waits, without a deadline, for a connection that has not come up
   * yet (Redis down when the intake started): while it is not ready we refuse at once (503), never hang a request.
   */
  connected: () => boolean;
  /** Namespace of our own Redis keys (QUEUE_PREFIX). */
  keyPrefix: string;
  /** Micro-batching of queue adds (ENQUEUE_BATCH_MAX, ENQUEUE_BATCH_WAIT_MS); default: off (one add per request). */
  batch?: { maxJobs: number; waitMs: number } | undefined;
}

/** The queue's Redis connection is not up: the caller answers 503. */
export class QueueUnreachableError extends Error {
  constructor() {
    super('the queue (Redis) is unreachable');
    this.name = 'QueueUnreachableError';
  }
}

/**
 * The intake's gateway on BullMQ. Job id = attempt id. When a finished job has expired from Redis (retention)
 * the store's recorded attempt still answers, so a status never disappears while the store has it.
 */
export class BullmqGateway implements AttemptGateway {
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly batcher: MicroBatcher<JobToAdd, void>;
  private readonly finishes: FinishWaiters;

  constructor(
    private readonly queue: AttemptQueue,
    /** A connection of the gateway's own for reading the queue's events while clients wait (closed by `close`). */
    events: Redis,
    /** The producer connection, for the Idempotency-Key memory. */
    private readonly redis: Redis,
    private readonly recorded: Pick<RedemptionService, 'getAttempt'>,
    private readonly options: GatewayOptions,
    private readonly onError: (err: unknown) => void,
  ) {
    this.batcher = createEnqueueBatcher(queue, options.batch ?? { maxJobs: 1, waitMs: 0 });
    this.finishes = new FinishWaiters({ redis: events, streamKey: queue.toKey('events'), streamMaxLen: eventsMaxLenOf(queue), onError });
  }

  /** Starts the cached queue-depth reader used for backpressure (never a Redis call per request). */
  start(): void {
    const refresh = (): void => {
      if (!this.options.connected()) return;
      this.queue
        .getJobCounts('wait', 'prioritized', 'delayed')
        .then((c) => (this.waiting = (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0)))
        .catch(this.onError);
    };
    refresh();
    this.timer = setInterval(refresh, this.options.depthRefreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.batcher.flush();
  }

  /** Ends every long poll now (each answers 202) and closes the events connection: run before the server closes. */
  endWaits(): void {
    this.finishes.close();
  }

  /** Long polls in progress, and whether the queue's events are being read for them (tests). */
  get waits(): { waiting: number; reading: boolean } {
    return { waiting: this.finishes.size, reading: this.finishes.reading };
  }

  depth(): number {
    return this.waiting;
  }

  async enqueue(attemptId: string, job: AttemptJobRequest): Promise<void> {
    this.assertConnected();
    // BullMQ makes the add a no-op when the job id exists, atomically: concurrent retries create one job (in a
    // bulk add too: each job of it is its own addStandardJob script).
    await this.batcher.submit({ ...job, opts: attemptJobOptions(attemptId, this.options, job.data.acceptedAt) });
  }

  async rememberKey(scope: string, key: string, proposal: KeyedAttempt): Promise<KeyedAttempt> {
    this.assertConnected();
    // SET … NX GET (Redis ≥ 7): one atomic round trip that stores ours or returns the first request's.
    const previous = (await this.redis.call(
      'SET',
      idempotencyRedisKey(this.options.keyPrefix, scope, key),
      `${proposal.attemptId} ${proposal.fingerprint}`,
      'EX',
      String(this.options.retentionS),
      'NX',
      'GET',
    )) as string | null;
    return previous === null ? proposal : keyedAttemptOf(previous);
  }

  async recallKey(scope: string, key: string): Promise<KeyedAttempt | null> {
    this.assertConnected();
    const value = await this.redis.get(idempotencyRedisKey(this.options.keyPrefix, scope, key));
    return value === null ? null : keyedAttemptOf(value);
  }

  async view(attemptId: string): Promise<AttemptStatus | null> {
    this.assertConnected();
    const status = await getAttemptStatus(this.queue, attemptId);
    if (status !== null) return status;
    const result = await this.recorded.getAttempt(attemptId);
    return result ? doneStatus(attemptId, result) : null;
  }

  async waitFinished(attemptId: string, ms: number): Promise<AttemptStatus | null> {
    this.assertConnected();
    const deadline = performance.now() + ms;
    for (;;) {
      const waiting = this.finishes.wait(attemptId, Math.max(0, deadline - performance.now()));
      try {
        // The events are read from a point before the state is read: an attempt finishing in between still wakes
        // this wait. (Not positioned before the deadline, e.g. its connection is reconnecting: the client polls.)
        const listening = await Promise.race([waiting.listening.then(() => true), waiting.next.then(() => false)]);
        if (!listening) return await this.finishedByNow(attemptId);
        const view = await this.view(attemptId);
        if (!view) return null;
        if (isFinished(view)) return view;
        const event = await waiting.next;
        // Not woken in time: its finish may have been trimmed from the stream unread; else the client gets its 202.
        if (event === null) return await this.finishedByNow(attemptId);
        // Its result comes with the event: no read. A failure may be final or retried, an event may have been
        // missed: read the state again.
        if (event.kind === 'completed') return doneStatus(attemptId, event.result);
      } finally {
        waiting.cancel();
      }
    }
  }

  /** A wait's last read at its deadline (one per wait that runs out): the attempt if it has finished, else null. */
  private async finishedByNow(attemptId: string): Promise<AttemptStatus | null> {
    // Closing: every wait answers 202 at once, without a read.
    if (this.finishes.isClosed || !this.options.connected()) return null;
    try {
      const view = await this.view(attemptId);
      return view && isFinished(view) ? view : null;
    } catch (err) {
      this.onError(err);
      return null;
    }
  }

  private assertConnected(): void {
    if (!this.options.connected()) throw new QueueUnreachableError();
  }
}

/** A remembered Idempotency-Key's value, `<attempt id> <request fingerprint>`, read back. */
function keyedAttemptOf(value: string): KeyedAttempt {
  const [attemptId = '', fingerprint = ''] = value.split(' ');
  return { attemptId, fingerprint };
}
