import type { Redis } from 'ioredis';

/** A request outlives any job it may concern (failed jobs are kept a month). */
const REQUEST_TTL_S = 31 * 24 * 3600;

/**
 * Cancelling an admin job: a flag in Redis, set by whichever admin process took the request and read by the job's
 * processor (in any admin process) between two batches, so a cancelled job stops at a batch boundary, with what it
 * wrote whole, and says so in its result. A flag rather than removing the job: a job already running cannot be
 * removed, and a waiting one keeps its record (and its cancelled result) for whoever follows it.
 */
export class AdminJobCancels {
  constructor(
    /** A 'client' kind connection. */
    private readonly redis: Redis,
    /** QUEUE_PREFIX: a request's key is `<prefix>:admin-job-cancels:<jobId>`. */
    private readonly prefix: string,
  ) {}

  private key(jobId: string): string {
    return `${this.prefix}:admin-job-cancels:${jobId}`;
  }

  async request(jobId: string): Promise<void> {
    await this.redis.set(this.key(jobId), '1', 'EX', REQUEST_TTL_S);
  }

  async isRequested(jobId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(jobId))) === 1;
  }
}
