import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from './queue-names';

/**
 * Completion events of the attempts queue, for waiting on one attempt (`job.waitUntilFinished(events, ttlMs)`).
 * QueueEvents blocks (XREAD BLOCK), so give it a 'worker' connection. BullMQ reads through a duplicate of it and
 * closes only that duplicate: the caller still closes `connection` after `events.close()`.
 */
export function createAttemptQueueEvents(connection: Redis, prefix: string, onError?: (err: Error) => void): QueueEvents {
  const events = new QueueEvents(QUEUES.attempts, { connection, prefix });
  events.on('error', onError ?? (() => undefined));
  return events;
}
