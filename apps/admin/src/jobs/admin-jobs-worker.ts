import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, type AdminJobCancels, type AdminJob, type AdminJobData, type AdminJobName, type AdminJobProgress, type AdminJobResult, type GenerateCodesJob, type ImportCodesJob, type UploadStaging } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { runGenerateCodes } from './generate-codes';
import { importResumeOf, runImportCodes } from './import-codes';

export interface AdminJobsWorkerOptions {
  /** A 'worker' kind connection (blocking commands); the caller closes it after `worker.close()`. */
  connection: Redis;
  prefix: string;
  store: Store;
  /** Where imports are staged (the admin app stages them, the import job reads them). */
  uploads: UploadStaging;
  /** Where cancels are asked for (a job looks between batches); absent, jobs run to their end. */
  cancels?: AdminJobCancels | undefined;
  /** Jobs run at once in this process (each writes in batches of its own). */
  concurrency?: number | undefined;
  /** After codes of a campaign changed (code-filter rebuild, change announcement), by which kind of job. */
  onCodesChanged?: ((campaignId: string, cause: 'generated' | 'imported') => Promise<void>) | undefined;
  onError?: ((err: Error) => void) | undefined;
  onFailed?: ((job: AdminJob | undefined, err: Error) => void) | undefined;
}

/** Codes generated per tier, as a generation job's progress recorded them. */
function generationResumeOf(job: AdminJob): Record<string, number> | undefined {
  const p = job.progress as Partial<AdminJobProgress> | number;
  if (typeof p !== 'object' || !p.resume) return undefined;
  return Object.values(p.resume).every((v) => typeof v === 'number') ? (p.resume as Record<string, number>) : undefined;
}

export type AdminJobsWorker = Worker<AdminJobData, AdminJobResult, AdminJobName>;

/** Runs the admin jobs queue: one branch per job name of `AdminJobContract`. */
export function startAdminJobsWorker(options: AdminJobsWorkerOptions): AdminJobsWorker {
  const changed = options.onCodesChanged;
  const worker = new Worker<AdminJobData, AdminJobResult, AdminJobName>(
    QUEUES.adminJobs,
    async (job: AdminJob): Promise<AdminJobResult> => {
      const name: AdminJobName = job.name;
      const cancels = options.cancels;
      const cancelRequested = cancels && job.id !== undefined ? () => cancels.isRequested(job.id!) : undefined;
      switch (name) {
        case 'generate-codes':
          return runGenerateCodes(options.store, job.data as GenerateCodesJob, {
            resume: generationResumeOf(job),
            onProgress: (progress) => job.updateProgress(progress),
            onCodesChanged: changed && ((campaignId) => changed(campaignId, 'generated')),
            cancelRequested,
          });
        case 'import-codes':
          return runImportCodes(options.store, options.uploads, job.data as ImportCodesJob, {
            jobId: job.id,
            resume: importResumeOf(job.progress) ?? undefined,
            onProgress: (progress) => job.updateProgress(progress),
            onCodesChanged: changed && ((campaignId) => changed(campaignId, 'imported')),
            cancelRequested,
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
