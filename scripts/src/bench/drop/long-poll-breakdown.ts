import { closeRedis, createRedis, QUEUES } from '@dropgate/queue';
import { round } from '../table';
import { quantile, type LegitTry } from './replay';

/** Where a long poll's time went, p50 and p99 of each part (ms); null when no job could be read. */
export interface LongPollBreakdown {
  /** Jobs read back (their hash is kept ATTEMPT_RETENTION_S). */
  jobs: number;
  /** From the POST to the job added (the intake's work before the enqueue, and the client's send). */
  toEnqueue: Quantiles;
  /** From added to a worker starting it: the hold (ATTEMPT_HOLD_MS), then the worker backlog and delayed-job promotion. */
  addedToStart: Quantiles;
  /** The worker's processing (deferred verdict, store batch). */
  processing: Quantiles;
  /** From finished to the client's answer (the completed event reaching the intake, the response). */
  delivery: Quantiles;
}

type Quantiles = { p50Ms: number; p99Ms: number } | null;

const FIELDS = ['timestamp', 'processedOn', 'finishedOn'] as const;

/**
 * Reads the BullMQ job of every long poll (timestamps written by the intake's add and by the worker, on this machine's
 * clock, as the client's) and splits its time: POST → added → started → finished → answered.
 */
export async function longPollBreakdown(redisUrl: string, queuePrefix: string, tries: readonly LegitTry[]): Promise<LongPollBreakdown> {
  const polls = tries.filter((t) => t.longPoll && t.attemptId !== undefined && t.status === 200);
  const redis = createRedis(redisUrl, 'client', 'bench-drop-breakdown');
  const parts: Record<Exclude<keyof LongPollBreakdown, 'jobs'>, number[]> = { toEnqueue: [], addedToStart: [], processing: [], delivery: [] };
  let jobs = 0;
  try {
    for (let i = 0; i < polls.length; i += 1000) {
      const batch = polls.slice(i, i + 1000);
      const pipeline = redis.pipeline();
      for (const t of batch) pipeline.hmget(`${queuePrefix}:${QUEUES.attempts}:${t.attemptId!}`, ...FIELDS);
      const answers = (await pipeline.exec()) ?? [];
      batch.forEach((t, j) => {
        const [err, values] = answers[j] ?? [];
        const [added, started, finished] = ((err ? [] : values) as Array<string | null>).map((v) => (v === null || v === undefined ? NaN : Number(v)));
        if (![added, started, finished].every((v) => Number.isFinite(v))) return;
        jobs++;
        parts.toEnqueue.push(added! - t.sentAt);
        parts.addedToStart.push(started! - added!);
        parts.processing.push(finished! - started!);
        parts.delivery.push(t.sentAt + t.ms - finished!);
      });
    }
  } finally {
    await closeRedis(redis);
  }
  const q = (values: number[]): Quantiles => {
    if (values.length === 0) return null;
    const sorted = values.sort((a, b) => a - b);
    return { p50Ms: round(quantile(sorted, 0.5), 0), p99Ms: round(quantile(sorted, 0.99), 0) };
  };
  return { jobs, toEnqueue: q(parts.toEnqueue), addedToStart: q(parts.addedToStart), processing: q(parts.processing), delivery: q(parts.delivery) };
}
