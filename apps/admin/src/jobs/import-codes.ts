import type { CodeImportReport } from '@dropgate/core';
import type { AdminJobProgress, ImportCodesJob, UploadStaging } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { importCodes, type ImportResume } from '../codes-import';

export interface ImportHooks {
  /** The job's id, named in the audit entry of the finished import. */
  jobId?: string | undefined;
  /** Called at each point the import may resume from: report it somewhere durable (`job.updateProgress`). */
  onProgress?: ((progress: AdminJobProgress) => Promise<void> | void) | undefined;
  /** Where an earlier run of the same job got to. */
  resume?: ImportResume | undefined;
  /** Rebuild the code filter, announce the change (once codes were inserted). */
  onCodesChanged?: ((campaignId: string) => Promise<void>) | undefined;
  /** Has a cancel been asked for? Looked at between batches. */
  cancelRequested?: (() => Promise<boolean>) | undefined;
}

/** A resume point read back from a job's progress (null when it holds none, or not this shape). */
export function importResumeOf(progress: unknown): ImportResume | null {
  const resume = (progress as Partial<AdminJobProgress> | null)?.resume as Partial<ImportResume> | undefined;
  const report = resume?.report as Partial<CodeImportReport> | undefined;
  if (typeof resume?.line !== 'number' || typeof report?.inserted !== 'number' || !Array.isArray(report.firstDuplicates) || !Array.isArray(report.firstMalformed)) return null;
  return resume as ImportResume;
}

/**
 * Reads a staged upload into its campaign in batches, reporting progress in lines (and the resume point with it),
 * or up to the batch boundary where a cancel finds it (its report then `cancelled`, its codes so far in the filter),
 * then drops the upload and records the import's result in the audit trail (who asked, what came of it). A retried
 * job continues from its resume point; one that finished all but the end (the upload already dropped) just answers
 * its report.
 */
export async function runImportCodes(store: Store, uploads: UploadStaging, job: ImportCodesJob, hooks: ImportHooks = {}): Promise<CodeImportReport> {
  const campaign = await store.campaigns.get(job.campaignId);
  if (!campaign) throw new Error(`campaign ${job.campaignId} does not exist`);
  // Resume points are lines of the upload; the progress counts lines of codes (a CSV header is not one).
  const header = job.headerLines ?? 0;
  const finished = hooks.resume !== undefined && hooks.resume.line >= job.lines + header;
  const report = finished
    ? hooks.resume!.report
    : await importCodes(store, campaign, uploads.read(job.uploadId, job.bytes), job.format, job.defaultTier ?? undefined, {
        resume: hooks.resume,
        onProgress: (at) => hooks.onProgress?.({ done: Math.max(0, at.line - header), total: job.lines, resume: { ...at } }),
        shouldStop: hooks.cancelRequested,
      });
  if (report.inserted > 0) await hooks.onCodesChanged?.(campaign.id);
  const { lines, inserted, duplicates, malformed, cancelled } = report;
  await store.audit.record({
    actor: job.requestedBy,
    action: 'codesImported',
    campaignId: campaign.id,
    details: { jobId: hooks.jobId ?? null, report: { lines, inserted, duplicates, malformed, ...(cancelled ? { cancelled } : {}) } },
  });
  await uploads.drop(job.uploadId);
  return report;
}
