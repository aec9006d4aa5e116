import { UnrecoverableError } from 'bullmq';
import type { AttemptResult } from '@dropgate/core';
import { isAttemptJobName, type AttemptJobRequest, type AttemptJobResult, type ClaimJob, type RedeemJob } from '@dropgate/queue';
import type { RedemptionService } from '@dropgate/store';

/**
 * An attempt job as it comes out of Redis: its name and data are checked here before use, never trusted.
 * (A BullMQ `Job` is one.)
 */
export interface ReceivedAttemptJob {
  /** The job id is the attempt id: what makes redelivery idempotent in the store. */
  id?: string | undefined;
  name: string;
  data: Partial<RedeemJob & ClaimJob>;
}

export interface ProcessDeps {
  redemptions: RedemptionService;
  now: () => Date;
}

/** Thrown for a job that can never succeed (unknown name, no id, no code): BullMQ must not retry it. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}

/**
 * One attempt → one store call. Domain outcomes (sold out, already used…) are returned results; only
 * infrastructure failures throw, so BullMQ retries them with backoff.
 */
export async function processAttempt(received: ReceivedAttemptJob, deps: ProcessDeps): Promise<AttemptResult> {
  const attemptId = received.id;
  if (!attemptId) throw new InvalidJobError('job has no id');
  const job = checkedJob(received, deps.now);
  const { campaignId, customerId } = job.data;
  const now = new Date(job.data.acceptedAt);
  switch (job.name) {
    case 'redeem':
      return deps.redemptions.redeem({ attemptId, campaignId, customerId, code: job.data.code, now });
    case 'claim':
      return deps.redemptions.claim({ attemptId, campaignId, customerId, tier: job.data.tier, now });
    default:
      // A job name of the contract without a branch above does not compile.
      return unhandled(job);
  }
}

/**
 * The BullMQ processor of the attempts queue: `processAttempt`, with a job that can never succeed failed at once
 * (UnrecoverableError: no retries). Resolves with the whole recorded result; the worker keeps `jobResultOf` it.
 */
export function attemptProcessor(deps: ProcessDeps): (job: ReceivedAttemptJob) => Promise<AttemptResult> {
  return async (job) => {
    try {
      return await processAttempt(job, deps);
    } catch (err) {
      if (err instanceof InvalidJobError) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}

/**
 * The job's return value (kept in Redis for ATTEMPT_RETENTION_S): only what the intake shows of a finished attempt.
 * The attempt id is the job id, and the whole result is in the store.
 */
export function jobResultOf(result: AttemptResult): AttemptJobResult {
  const stored: AttemptJobResult = { outcome: result.outcome };
  if (result.code !== null) stored.code = result.code;
  if (result.tier !== null) stored.tier = result.tier;
  if (result.reward !== null) stored.reward = result.reward;
  return stored;
}

/**
 * The job as the contract types it, once its name and the fields its processor needs are checked. A job without
 * a readable acceptance time (enqueued before intakes sent one) is judged as of now.
 */
function checkedJob(job: ReceivedAttemptJob, now: () => Date): AttemptJobRequest {
  if (!isAttemptJobName(job.name)) throw new InvalidJobError(`unknown job name "${job.name}"`);
  const { campaignId, customerId, code, tier } = job.data;
  if (typeof campaignId !== 'string' || typeof customerId !== 'string') throw new InvalidJobError(`${job.name} job without a campaign or customer id`);
  const acceptedAt = judgedAt(job.data.acceptedAt, now).toISOString();
  if (job.name === 'claim') return { name: 'claim', data: { campaignId, customerId, tier, acceptedAt } };
  if (typeof code !== 'string') throw new InvalidJobError('redeem job without a code');
  return { name: 'redeem', data: { campaignId, customerId, code, acceptedAt } };
}

function unhandled(job: never): never {
  throw new InvalidJobError(`no processor for job "${(job as { name: string }).name}"`);
}

/**
 * An attempt is judged as of the moment the intake accepted it: one accepted (202) just before a campaign's end
 * must not turn into `campaign_not_active` because the queue was long or a retry came late.
 */
function judgedAt(acceptedAt: string | undefined, now: () => Date): Date {
  const at = acceptedAt === undefined ? undefined : new Date(acceptedAt);
  return at === undefined || Number.isNaN(at.getTime()) ? now() : at;
}
