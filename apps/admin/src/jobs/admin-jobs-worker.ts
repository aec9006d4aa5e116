import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, type AdminJob, type AdminJobData, type AdminJobName, type AdminJobProgress, type AdminJobResult } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { runGenerateCodes } from './generate-codes';

export interface AdminJobsWorkerOptions {
  /** A 'worker' kind connection (blocking commands); the caller closes it after `worker.close()`. */
  connection: Redis;
  prefix: string;
  store: Store;
  /** Jobs run at once in this process (each writes in batches of its own). */
  concurrency?: number | undefined;
  /** After codes of a campaign changed (code-filter rebuild, change announcement). */
  onCodesChanged?: ((campaignId: string) => Promise<void>) | undefined;
  onError?: ((err: Error) => void) | undefined;
  onFailed?: ((job: AdminJob | undefined, err: Error) => void) | undefined;
}

function resumeOf(job: AdminJob): Record<string, number> | undefined {
  const p = job.progress as Partial<AdminJobProgress> | number;
  return typeof p === 'object' && p.resume ? p.resume : undefined;
}

export type AdminJobsWorker = Worker<AdminJobData, AdminJobResult, AdminJobName>;

/** Runs the admin jobs queue: one branch per job name of `AdminJobContract`. */
export function startAdminJobsWorker(options: AdminJobsWorkerOptions): AdminJobsWorker {
  const worker = new Worker<AdminJobData, AdminJobResult, AdminJobName>(
    QUEUES.adminJobs,
    async (job: AdminJob): Promise<AdminJobResult> => {
      const name: AdminJobName = job.name;
      switch (name) {
        case 'generate-codes':
          return runGenerateCodes(options.store, job.data, {
            resume: resumeOf(job),
            onProgress: (progress) => job.updateProgress(progress),
            onCodesChanged: options.onCodesChanged,
          });
        default: {
          const unknown: never = name;
          throw new Error(`no processor for admin job ${String(unknown)}`);
        }
      }
    },
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency ?? 2 },
  );
  worker.on('error', options.onError ?? (() => undefined));
  if (options.onFailed) worker.on('failed', (job, err) => options.onFailed!(job, err));
  return worker;
}
