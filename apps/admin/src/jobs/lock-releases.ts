import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChangeSink } from '@dropgate/changes';
import { QUEUES, scheduleLockRelease, upsertLockSweep, type LockReleaseJob, type LockReleaseQueue, type ReleaseDueLocksJob, type ReleaseDueLocksResult, type LockReleaseJobName } from '@dropgate/queue';
import { LocksPartlyReleasedError, type ReleasedLocks, type Store } from '@dropgate/store';

/** Who the audit trail names for the locks that end by themselves (no admin token asked at that moment). */
export const LOCK_RELEASE_ACTOR = 'scheduler';

/** What the admin service needs to have a timed lock end by itself. */
export interface LockReleaseScheduler {
  /** Returns the id of the delayed job. */
  schedule(campaignId: string, releaseAt: Date): Promise<string>;
}

export interface LockReleasesOptions {
  queue: LockReleaseQueue;
  /** The worker's blocking connection ('worker' kind), used for nothing else. */
  workerConnection: Redis;
  prefix: string;
  store: Store;
  changes: ChangeSink;
  sweepEveryMs: number;
  onError: (err: unknown) => void;
  now?: () => Date;
}

/**
 * Runs in the admin process: the worker of the lock-release queue (delayed jobs at each lock's release time and
 * the periodic sweep), the sweep's scheduler, and one sweep at start. Every part lives in Redis or the database, so
 * killing every process between a lock and its release time changes nothing: whichever comes first once the admin
 * runs again releases the codes.
 */
export class LockReleases implements LockReleaseScheduler {
  private worker: Worker<ReleaseDueLocksJob, ReleaseDueLocksResult, LockReleaseJobName> | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: LockReleasesOptions) {
    this.now = options.now ?? (() => new Date());
  }

  schedule(campaignId: string, releaseAt: Date): Promise<string> {
    return scheduleLockRelease(this.options.queue, campaignId, releaseAt, this.now());
  }

  async start(): Promise<void> {
    const { options } = this;
    this.worker = new Worker<ReleaseDueLocksJob, ReleaseDueLocksResult, LockReleaseJobName>(QUEUES.lockReleases, (job: LockReleaseJob) => this.run(job.data), {
      connection: options.workerConnection,
      prefix: options.prefix,
      concurrency: 1,
    });
    this.worker.on('error', options.onError);
    this.worker.on('failed', (_job, err) => options.onError(err));
    await upsertLockSweep(options.queue, options.sweepEveryMs);
    await this.run({ campaignId: null, dueAt: null });
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }

  /**
   * Releases every due lock, then for each campaign, tier and reason released writes an audit entry (who:
   * `LOCK_RELEASE_ACTOR`) and announces the change. The codes are free once the store says so: a failed audit
   * write is reported, never a reason to run the job again (a second run finds nothing left to release). A sweep
   * that released some codes and then failed (MongoDB's chunks) reports those like a full sweep, then fails the job
   * with the error; the rest stays due for the next sweep.
   */
  private async run(job: ReleaseDueLocksJob): Promise<ReleaseDueLocksResult> {
    const { store, changes, onError } = this.options;
    let groups: ReleasedLocks[];
    let partly: LocksPartlyReleasedError | null = null;
    try {
      groups = await store.codes.releaseDueLocks(this.now());
    } catch (err) {
      if (!(err instanceof LocksPartlyReleasedError)) throw err;
      partly = err;
      groups = err.released;
    }
    for (const g of groups) {
      await store.audit
        .record({ actor: LOCK_RELEASE_ACTOR, action: 'releaseDueLocks', campaignId: g.campaignId, details: { tier: g.tier, reason: g.reason, released: g.released } })
        .catch(onError);
    }
    const campaigns = new Set(groups.map((g) => g.campaignId));
    if (job.campaignId !== null) campaigns.add(job.campaignId);
    for (const campaignId of campaigns) await changes.publish({ kind: 'codes', campaignId, action: 'released' });
    if (partly) throw partly;
    return { released: groups.reduce((n, g) => n + g.released, 0) };
  }
}
