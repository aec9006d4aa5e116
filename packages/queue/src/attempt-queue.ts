import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AttemptJobData, AttemptJobResult } from './attempt-jobs';
import { QUEUES, type AttemptJobName } from './queue-names';

export type AttemptQueue = Queue<AttemptJobData, AttemptJobResult, AttemptJobName>;

/**
 * How many entries the attempts queue's event stream keeps (BullMQ trims it to about this many): read by those who
 * read the stream (the intake's long-poll waits) from the queue itself, `eventsMaxLenOf(queue)`.
 */
export const ATTEMPT_EVENTS_MAX_LEN = 10_000;

/** BullMQ's trim length for a queue created without `streams.events.maxLen`. */
const BULLMQ_DEFAULT_EVENTS_MAX_LEN = 10_000;

/** The trim length of a queue's event stream, as the queue was created with (BullMQ's `streams.events.maxLen`). */
export function eventsMaxLenOf(queue: Queue): number {
  return queue.opts.streams?.events.maxLen ?? BULLMQ_DEFAULT_EVENTS_MAX_LEN;
}

/**
 * The attempts queue on a connection the caller owns (and closes after `queue.close()`; BullMQ leaves a passed-in
 * ioredis client open). Use a 'producer' connection in intake, a 'client' one elsewhere.
 * `prefix` namespaces every key (QUEUE_PREFIX; tests use a random one).
 */
export function createAttemptQueue(connection: Redis, prefix: string, onError?: (err: Error) => void): AttemptQueue {
  const queue: AttemptQueue = new Queue<AttemptJobData, AttemptJobResult, AttemptJobName>(QUEUES.attempts, {
    connection,
    prefix,
    streams: { events: { maxLen: ATTEMPT_EVENTS_MAX_LEN } },
  });
  // An 'error' event without a listener would throw; connection errors also surface on the calls that fail.
  queue.on('error', onError ?? (() => undefined));
  return queue;
}
