import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AttemptJobData, AttemptJobResult } from './attempt-jobs';
import { QUEUES, type AttemptJobName } from './queue-names';

export type AttemptQueue = Queue<AttemptJobData, AttemptJobResult, AttemptJobName>;

/**
 * The attempts queue on a connection the caller owns (and closes after `queue.close()`; BullMQ leaves a passed-in
 * ioredis client open). Use a 'producer' connection in intake, a 'client' one elsewhere.
 * `prefix` namespaces every key (QUEUE_PREFIX; tests use a random one).
 */
export function createAttemptQueue(connection: Redis, prefix: string, onError?: (err: Error) => void): AttemptQueue {
  const queue: AttemptQueue = new Queue<AttemptJobData, AttemptJobResult, AttemptJobName>(QUEUES.attempts, { connection, prefix });
  // An 'error' event without a listener would throw; connection errors also surface on the calls that fail.
  queue.on('error', onError ?? (() => undefined));
  return queue;
}
