import { randomBytes } from 'node:crypto';
import type { CodeImportReport } from '@dropgate/core';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from './queue-names';

/**
 * The admin jobs queue's contract, declared once: job name → payload and result. Long admin operations run
 * here (enqueued by the admin API, run by the admin jobs worker) so a request never holds them.
 * Add a job kind by adding one entry to `AdminJobContract` (and its processor branch: a missing one is a type error).
 */

/** Fills tiers of a campaign with fresh random codes; then activates the campaign if asked (creation). */
export interface GenerateCodesJob {
  campaignId: string;
  tiers: Array<{ tier: string; count: number }>;
  /** Activate the (draft) campaign once every code is in: campaign creation with codes. */
  activate: boolean;
  /** The admin token's name that asked for it (audit trail). */
  requestedBy: string;
}

export interface GenerateCodesResult {
  inserted: number;
  /** Random codes that collided with stored ones and were replaced by others (the database decides uniqueness). */
  regenerated: number;
  activated: boolean;
  /** Present when the job was cancelled: it stopped at a batch boundary, `inserted` codes in (each batch whole). */
  cancelled?: true | undefined;
}

/**
 * Imports a staged upload (CSV or JSON lines, see `UploadStaging`) into a campaign in batches; duplicates and
 * malformed lines are reported in the result, never fatal.
 */
export interface ImportCodesJob {
  campaignId: string;
  /** The staged upload it reads, and its size in bytes. */
  uploadId: string;
  bytes: number;
  /** Lines of codes in the upload (its lines but a CSV header): the job's total (progress is such lines read). */
  lines: number;
  /** 1 when the upload starts with a CSV header line (not counted in `lines` nor in the progress); absent: 0. */
  headerLines?: number | undefined;
  format: 'csv' | 'jsonl';
  /** Tier of lines that name none (null: such lines are malformed). */
  defaultTier: string | null;
  /** The admin token's name that asked for it (audit trail). */
  requestedBy: string;
}

export interface AdminJobContract {
  'generate-codes': { payload: GenerateCodesJob; result: GenerateCodesResult };
  'import-codes': { payload: ImportCodesJob; result: CodeImportReport };
}

export type AdminJobName = keyof AdminJobContract;
export type AdminJobData = AdminJobContract[AdminJobName]['payload'];
export type AdminJobResult = AdminJobContract[AdminJobName]['result'];
export type AdminJobRequest = { [N in AdminJobName]: { name: N; data: AdminJobContract[N]['payload'] } }[AdminJobName];
export type AdminJob = Job<AdminJobData, AdminJobResult, AdminJobName>;
export type AdminJobQueue = Queue<AdminJobData, AdminJobResult, AdminJobName>;

/** What a job reports as it goes (`job.updateProgress`): units done out of total. */
export interface AdminJobProgress {
  done: number;
  total: number;
  /**
   * Job-specific resume point (codes inserted per tier; the last line imported and the report so far), so a retried
   * job continues instead of starting over. Each processor reads back its own shape.
   */
  resume?: Record<string, unknown> | undefined;
}

/** `cancelled`: ended by a cancel, its result saying how far it got. */
export type AdminJobState = 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled';

/** A job in one of these states is over: it writes nothing more, and cannot be cancelled. */
export const ENDED_ADMIN_JOB_STATES: ReadonlySet<AdminJobState> = new Set(['completed', 'failed', 'cancelled']);

/** `GET /admin/v1/jobs/:jobId`. */
export interface AdminJobStatus {
  jobId: string;
  name: AdminJobName;
  /** The campaign whose codes it writes. */
  campaignId: string;
  state: AdminJobState;
  done: number;
  total: number;
  result?: AdminJobResult | undefined;
  error?: string | undefined;
}

/** Job ids: a readable kind prefix + 96 random bits (never digits only, never ':', as BullMQ requires). */
export function newAdminJobId(): string {
  return `job_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export const ADMIN_JOB_ID = /^job_[A-Za-z0-9]{16}$/;

/** Kept a week after completion, failures a month: the page and the CLI look them up. */
const ADMIN_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export function createAdminJobQueue(connection: Redis, prefix: string, onError?: (err: Error) => void): AdminJobQueue {
  const queue: AdminJobQueue = new Queue<AdminJobData, AdminJobResult, AdminJobName>(QUEUES.adminJobs, { connection, prefix });
  queue.on('error', onError ?? (() => undefined));
  return queue;
}

/** Adds a job under a fresh id (or `jobId`, e.g. a deterministic one for idempotency); returns the id. */
export async function enqueueAdminJob(queue: AdminJobQueue, request: AdminJobRequest, options: JobsOptions = {}): Promise<string> {
  const jobId = options.jobId ?? newAdminJobId();
  await queue.add(request.name, request.data, { ...ADMIN_JOB_OPTIONS, ...options, jobId });
  return jobId;
}

function progressOf(job: Job): AdminJobProgress | null {
  const p = job.progress as unknown;
  if (p && typeof p === 'object' && typeof (p as AdminJobProgress).done === 'number' && typeof (p as AdminJobProgress).total === 'number') return p as AdminJobProgress;
  return null;
}

/** Where a job is: waiting (incl. delayed and waiting for a retry), active, completed (with its result) or failed. */
export async function getAdminJobStatus(queue: AdminJobQueue, jobId: string): Promise<AdminJobStatus | null> {
  if (!ADMIN_JOB_ID.test(jobId)) return null;
  // State first, then the job: a job read before it completed would show 'completed' without its result.
  const raw = await queue.getJobState(jobId);
  const job = await queue.getJob(jobId);
  if (!job || raw === 'unknown') return null;
  const cancelled = raw === 'completed' && (job.returnvalue as { cancelled?: boolean } | undefined)?.cancelled === true;
  const state: AdminJobState = raw === 'active' ? 'active' : cancelled ? 'cancelled' : raw === 'completed' ? 'completed' : raw === 'failed' ? 'failed' : 'waiting';
  const progress = progressOf(job);
  const total = progress?.total ?? totalOf(job.data);
  const status: AdminJobStatus = { jobId, name: job.name, campaignId: job.data.campaignId, state, done: state === 'completed' ? total : (progress?.done ?? 0), total };
  if (raw === 'completed') status.result = job.returnvalue;
  if (state === 'failed') status.error = job.failedReason || 'failed';
  return status;
}

/** Before the first progress report: the job's declared size (codes to generate, lines to import). */
function totalOf(data: AdminJobData): number {
  return 'tiers' in data ? data.tiers.reduce((n, t) => n + t.count, 0) : data.lines;
}

/** States of a job not over yet: waiting (or delayed: waiting for a retry), or running. */
const PENDING_STATES = ['waiting', 'delayed', 'prioritized', 'waiting-children', 'active'] as const;

/** The ids of a campaign's generation and import jobs not over yet (the admin queue holds few unfinished jobs). */
export async function pendingAdminJobsOf(queue: AdminJobQueue, campaignId: string): Promise<string[]> {
  const jobs = await queue.getJobs([...PENDING_STATES]);
  return jobs.filter((job) => job?.data?.campaignId === campaignId && job.id !== undefined).map((job) => job.id!);
}
