import { attemptJobOptions, newAttemptId, type AttemptQueue, type EnqueueOptions } from '@dropgate/queue';
import { formatNumber } from '../table';
import { log } from '../pipeline/output';
import type { PlannedAttempt } from './workload';

const CHUNK = 1_000;

/**
 * Adds every planned attempt to the queue before any worker runs, as the intake does (job id = a new attempt id,
 * the one job-options definition of @dropgate/queue, the hold included), in `addBulk` chunks, with progress. Returns the attempt ids.
 */
export async function enqueueBacklog(queue: AttemptQueue, planned: readonly PlannedAttempt[], options: EnqueueOptions): Promise<string[]> {
  const started = performance.now();
  const ids: string[] = [];
  let lastLog = started;
  for (let i = 0; i < planned.length; i += CHUNK) {
    const chunk = planned.slice(i, i + CHUNK).map(({ job }) => {
      const id = newAttemptId();
      ids.push(id);
      return { name: job.name, data: job.data, opts: attemptJobOptions(id, options) };
    });
    await queue.addBulk(chunk);
    const now = performance.now();
    if (now - lastLog >= 2_000 || ids.length === planned.length) {
      lastLog = now;
      log(`  enqueued ${formatNumber(ids.length)} / ${formatNumber(planned.length)} (${formatNumber(Math.round(ids.length / ((now - started) / 1000)))}/s)`);
    }
  }
  // Held jobs (ATTEMPT_HOLD_MS) wait as delayed jobs until their hold is over.
  const waiting = await queue.getJobCountByTypes('wait', 'delayed');
  if (waiting !== planned.length) throw new Error(`the queue holds ${waiting} waiting or held jobs, ${planned.length} were enqueued`);
  return ids;
}
