import { waitFor } from './wait-for';

/** What `jobResult` reads of a BullMQ queue (a structural type: testkit imports no library it serves). */
export interface JobReader {
  getJobState(jobId: string): Promise<string>;
  getJob(jobId: string): Promise<{ returnvalue: unknown; failedReason: string } | undefined>;
}

/**
 * A job's result once it has completed; rejects if it failed or is not finished within `timeoutMs`. Polled, so any
 * number of concurrent waits add no listener: BullMQ's `job.waitUntilFinished` adds listeners per wait to the
 * QueueEvents (MaxListenersExceededWarning beyond ten at once).
 */
export async function jobResult<R>(queue: JobReader, jobId: string, timeoutMs = 10_000): Promise<R> {
  const finished = await waitFor(
    `job ${jobId} to finish`,
    async () => {
      // The state first, then the job: a job read before it completed would have no result yet.
      const state = await queue.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed') return undefined;
      const job = await queue.getJob(jobId);
      return job ? { state, job } : undefined;
    },
    timeoutMs,
    10,
  );
  if (finished.state === 'failed') throw new Error(`job ${jobId} failed: ${finished.job.failedReason}`);
  return finished.job.returnvalue as R;
}
