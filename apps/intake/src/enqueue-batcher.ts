import { MicroBatcher } from '@dropgate/batching';
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
  /** How long the first job of a batch may wait for others (ENQUEUE_BATCH_WAIT_MS); 0 = this event-loop turn. */
  waitMs: number;
}

/**
 * Micro-batches queue adds: jobs added within `waitMs` (or the same event-loop turn) go to Redis as one
 * `addBulk`, one pipelined write instead of one round trip each. When the bulk fails, every job of it is added
 * again on its own (adding an existing job id is a no-op in BullMQ, so a job that did make it is not added twice)
 * and each caller gets its own job's answer.
 */
export function createEnqueueBatcher(queue: BulkAddQueue, settings: EnqueueBatchSettings): MicroBatcher<JobToAdd, void> {
  return new MicroBatcher<JobToAdd, void>({
    maxSize: settings.maxJobs,
    waitMs: settings.waitMs,
    runBatch: async (jobs) => {
      await queue.addBulk(jobs);
      return jobs.map(() => undefined);
    },
    runOne: async (job) => void (await queue.add(job.name, job.data, job.opts)),
  });
}
