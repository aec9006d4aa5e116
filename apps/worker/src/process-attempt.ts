import type { AttemptResult } from '@dropgate/core';
import type { AttemptJobResult } from '@dropgate/queue';
import type { RedemptionService } from '@dropgate/store';

export interface AttemptJob {
  /** The job id is the attempt id: what makes redelivery idempotent in the store. */
  id?: string | undefined;
  name: string;
  data: { campaignId: string; customerId: string; code?: string | undefined; tier?: string | undefined; acceptedAt?: string | undefined };
}

export interface ProcessDeps {
  redemptions: RedemptionService;
  now: () => Date;
}

/** Thrown for a job that can never succeed (unknown name, no id): BullMQ must not retry it. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}

/**
 * One attempt → one store call. Domain outcomes (sold out, already used…) are returned results; only
 * infrastructure failures throw, so BullMQ retries them with backoff.
 */
export async function processAttempt(job: AttemptJob, deps: ProcessDeps): Promise<AttemptResult> {
  const attemptId = job.id;
  if (!attemptId) throw new InvalidJobError('job has no id');
  const { campaignId, customerId } = job.data;
  const now = judgedAt(job.data.acceptedAt) ?? deps.now();
  switch (job.name) {
    case 'redeem':
      if (typeof job.data.code !== 'string') throw new InvalidJobError('redeem job without a code');
      return deps.redemptions.redeem({ attemptId, campaignId, customerId, code: job.data.code, now });
    case 'claim':
      return deps.redemptions.claim({ attemptId, campaignId, customerId, tier: job.data.tier, now });
    default:
      throw new InvalidJobError(`unknown job name "${job.name}"`);
  }
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
 * An attempt is judged as of the moment the intake accepted it: one accepted (202) just before a campaign's end
 * must not turn into `campaign_not_active` because the queue was long or a retry came late.
 */
function judgedAt(acceptedAt: string | undefined): Date | undefined {
  if (acceptedAt === undefined) return undefined;
  const at = new Date(acceptedAt);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
