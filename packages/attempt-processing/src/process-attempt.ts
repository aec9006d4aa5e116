import { UnrecoverableError } from 'bullmq';
import type { AttemptResult } from '@dropgate/core';
import { isAttemptJobName, type AttemptJobRequest, type AttemptJobResult, type AttemptSource, type ClaimJob, type RedeemJob } from '@dropgate/queue';
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

/** A redeem the store answered `code_not_found`: a wrong code the intake's filter let through (a false positive). */
export interface WrongCodeAttempt {
  campaignId: string;
  customerId: string;
  source: AttemptSource | undefined;
}

export interface ProcessDeps {
  redemptions: RedemptionService;
  now: () => Date;
  /**
   * Told about every `code_not_found` (the guess budgets count it). Awaited, so its Redis write is not lost on a
   * shutdown; it must not throw (a failure to count must not fail, and so retry, the attempt).
   */
  onWrongCode?: ((attempt: WrongCodeAttempt) => Promise<unknown>) | undefined;
  /**
   * The deferred verdict: is the attempt's source (hashed address or subnet) blocked NOW? An attempt accepted in the
   * moments before the bot defence blocked its source (the first requests of a burst pass before any limit trips) is
   * then refused with the recorded outcome `source_blocked` instead of being judged. Absent: no such check.
   * May reject (Redis down): the attempt is then judged as usual (the intake's checks already passed) and
   * `onVerdictError` is told.
   */
  sourceBlocked?: ((source: AttemptSource) => Promise<boolean>) | undefined;
  onVerdictError?: ((err: unknown) => void) | undefined;
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
  // Idempotent like the rest: an attempt already recorded (a redelivery) keeps its recorded result (see `refuse`).
  if (await blockedNow(job.data.source, deps)) {
    return deps.redemptions.refuse({ attemptId, kind: job.name, campaignId, customerId, outcome: 'source_blocked', now });
  }
  switch (job.name) {
    case 'redeem': {
      const result = await deps.redemptions.redeem({ attemptId, campaignId, customerId, code: job.data.code, now });
      if (result.outcome === 'code_not_found' && deps.onWrongCode) await deps.onWrongCode({ campaignId, customerId, source: job.data.source });
      return result;
    }
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
  const { campaignId, customerId, code, tier, source } = job.data;
  if (typeof campaignId !== 'string' || typeof customerId !== 'string') throw new InvalidJobError(`${job.name} job without a campaign or customer id`);
  const acceptedAt = judgedAt(job.data.acceptedAt, now).toISOString();
  if (job.name === 'claim') return { name: 'claim', data: { campaignId, customerId, tier, acceptedAt, source: checkedSource(source) } };
  if (typeof code !== 'string') throw new InvalidJobError('redeem job without a code');
  return { name: 'redeem', data: { campaignId, customerId, code, acceptedAt, source: checkedSource(source) } };
}

/** The hashed source, when the job carries a well-formed one (anything else counts against the customer only). */
function checkedSource(source: unknown): AttemptSource | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const { address, subnet } = source as Record<string, unknown>;
  return typeof address === 'string' && typeof subnet === 'string' && address.length <= 64 && subnet.length <= 64 ? { address, subnet } : undefined;
}

/** The deferred verdict (see `ProcessDeps.sourceBlocked`); false when there is no source, no check, or no answer. */
async function blockedNow(source: AttemptSource | undefined, deps: ProcessDeps): Promise<boolean> {
  if (!source || !deps.sourceBlocked) return false;
  try {
    return await deps.sourceBlocked(source);
  } catch (err) {
    deps.onVerdictError?.(err);
    return false;
  }
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
