import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from './queue-names';

/**
 * The lock-release queue's contract, declared once. Timed locks end by themselves three ways, any one enough:
 * a delayed job per lock request at its `releaseAt`, a sweep every few seconds (a BullMQ job scheduler, stored in
 * Redis, upserted at every start), and a sweep when the admin process starts. Each job releases every due lock
 * (`codes.releaseDueLocks`): running one late, twice or for another campaign's lock is harmless. The store also
 * treats a due lock as available on its own, so a release that is late never refuses a redemption.
 */
export interface ReleaseDueLocksJob {
  /** The campaign whose lock is due (its change is published); null for the periodic sweep. */
  campaignId: string | null;
  /** When the lock is due (ISO-8601); null for the sweep. */
  dueAt: string | null;
}

export interface ReleaseDueLocksResult {
  released: number;
}

export interface LockReleaseJobContract {
  'release-due-locks': { payload: ReleaseDueLocksJob; result: ReleaseDueLocksResult };
}

export type LockReleaseJobName = keyof LockReleaseJobContract;
export type LockReleaseJob = Job<ReleaseDueLocksJob, ReleaseDueLocksResult, LockReleaseJobName>;
export type LockReleaseQueue = Queue<ReleaseDueLocksJob, ReleaseDueLocksResult, LockReleaseJobName>;

/** The job scheduler's id (one per deployment: upserting it again only updates it). */
export const LOCK_SWEEP_SCHEDULER_ID = 'lock-release-sweep';

/**
 * One job per campaign and release time: locking more codes for the same moment adds no second job. Never ':' and
 * never digits only (BullMQ refuses both); campaign ids are [A-Za-z0-9_-].
 */
export function lockReleaseJobId(campaignId: string, releaseAt: Date): string {
  return `release-${campaignId}-${releaseAt.getTime()}`;
}

const JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export function createLockReleaseQueue(connection: Redis, prefix: string, onError?: (err: Error) => void): LockReleaseQueue {
  const queue: LockReleaseQueue = new Queue<ReleaseDueLocksJob, ReleaseDueLocksResult, LockReleaseJobName>(QUEUES.lockReleases, { connection, prefix });
  queue.on('error', onError ?? (() => undefined));
  return queue;
}

/** The delayed job that releases a campaign's locks at `releaseAt` (at once if that has passed); returns its id. */
export async function scheduleLockRelease(queue: LockReleaseQueue, campaignId: string, releaseAt: Date, now: Date): Promise<string> {
  const jobId = lockReleaseJobId(campaignId, releaseAt);
  await queue.add('release-due-locks', { campaignId, dueAt: releaseAt.toISOString() }, { ...JOB_OPTIONS, jobId, delay: Math.max(0, releaseAt.getTime() - now.getTime()) });
  return jobId;
}

/** The periodic sweep (created, or updated to `everyMs`). */
export async function upsertLockSweep(queue: LockReleaseQueue, everyMs: number): Promise<void> {
  await queue.upsertJobScheduler(
    // BullMQ types the scheduler id as a job name; it is only a key (the jobs it makes are named by the template).
    LOCK_SWEEP_SCHEDULER_ID as unknown as LockReleaseJobName,
    { every: everyMs },
    { name: 'release-due-locks', data: { campaignId: null, dueAt: null }, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } },
  );
}
