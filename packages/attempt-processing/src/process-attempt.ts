import { DelayedError, UnrecoverableError } from 'bullmq';
import { holdVerdict, type AttemptResult, type HoldRule, type HoldVerdict, type SourceCounts, type SourceEvidence } from '@dropgate/core';
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
  /** BullMQ's: holds the job again until `timestamp` (epoch ms), releasing the lock `token` (a deferred verdict). */
  moveToDelayed?(timestamp: number, token?: string): Promise<void>;
  /** BullMQ's: replaces the job's data (a deferred verdict notes what it saw of the source). */
  updateData?(data: Partial<RedeemJob & ClaimJob>): Promise<void>;
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
   * The deferred verdict: what is known of the attempt's source (hashed address and subnet) NOW — blocked, and how
   * many distinct customers its address and subnet named (`SharedSourceBlocks.evidence`). An attempt accepted in the
   * moments before the bot defence blocked its source (the first requests of a burst pass before any limit trips) is
   * then refused with the recorded outcome `source_blocked` instead of being judged; one whose source keeps naming
   * new customers (`holdRule`) is held longer. Absent: no such check.
   * May reject (Redis down): the attempt is then judged as usual (the intake's checks already passed) and
   * `onVerdictError` is told.
   */
  sourceEvidence?: ((source: AttemptSource) => Promise<SourceEvidence>) | undefined;
  onVerdictError?: ((err: unknown) => void) | undefined;
  /**
   * The hold's rule (`holdVerdict` in @dropgate/core): how often and how long a source naming new customers is
   * looked at again. Absent: never held longer than the intake's hold (a blocked source is still refused).
   */
  holdRule?: HoldRule | undefined;
  /** Told about every verdict on an attempt with a source (e.g. to count deferrals). */
  onHoldVerdict?: ((verdict: HoldVerdict, attemptId: string) => void) | undefined;
  /**
   * RATE_LIMITS_ENABLED (default true). False (trying things by hand, as the intake's switch): the bot defence is off
   * here too — no wrong code counted (`onWrongCode`), no source looked at (`sourceEvidence`): never `source_blocked`,
   * never held past the intake's hold.
   */
  rateLimitsEnabled?: boolean | undefined;
}

/** Thrown for a job that can never succeed (unknown name, no id, no code): BullMQ must not retry it. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}

/**
 * Thrown when the hold's rule holds the attempt again: nothing is recorded; the job is to be held until `untilMs`,
 * noting what was `seen` of its source (the next look compares with it).
 */
export class AttemptDeferred extends Error {
  override name = 'AttemptDeferred';
  constructor(
    readonly untilMs: number,
    readonly seen: SourceCounts,
  ) {
    super(`attempt held until ${new Date(untilMs).toISOString()}`);
  }
}

/** Without a rule, no source is held longer than the intake's hold. */
const NEVER_LONGER: HoldRule = { stepMs: 0, holdMaxMs: 0, heldAddressCustomers: Number.POSITIVE_INFINITY, heldSubnetCustomers: Number.POSITIVE_INFINITY };

/** The verdict without the bot defence (RATE_LIMITS_ENABLED=false): judge at once. */
const JUDGE_NOW: HoldVerdict = { action: 'judge', held: false };

/**
 * One attempt → one store call. Domain outcomes (sold out, already used…) are returned results; only
 * infrastructure failures throw, so BullMQ retries them with backoff. An attempt the hold's rule holds longer throws
 * `AttemptDeferred` (nothing recorded; `attemptProcessor` puts the job back in the delayed set).
 */
export async function processAttempt(received: ReceivedAttemptJob, deps: ProcessDeps): Promise<AttemptResult> {
  const attemptId = received.id;
  if (!attemptId) throw new InvalidJobError('job has no id');
  const job = checkedJob(received, deps.now);
  const { campaignId, customerId } = job.data;
  const now = new Date(job.data.acceptedAt);
  const defended = deps.rateLimitsEnabled !== false;
  const verdict = defended ? await verdictOn(attemptId, job.data.source, received.data, deps) : JUDGE_NOW;
  // Idempotent like the rest: an attempt already recorded (a redelivery) keeps its recorded result (see `refuse`).
  if (verdict.action === 'refuse') return deps.redemptions.refuse({ attemptId, kind: job.name, campaignId, customerId, outcome: 'source_blocked', now });
  if (verdict.action === 'defer') throw new AttemptDeferred(verdict.untilMs, verdict.seen);
  switch (job.name) {
    case 'redeem': {
      const result = await deps.redemptions.redeem({ attemptId, campaignId, customerId, code: job.data.code, now });
      if (result.outcome === 'code_not_found' && defended && deps.onWrongCode) await deps.onWrongCode({ campaignId, customerId, source: job.data.source });
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
 * (UnrecoverableError: no retries), and a deferred one moved back to the delayed set until its new time (BullMQ's
 * manual delay: `moveToDelayed` with the job's lock token, then `DelayedError`, so the worker neither completes nor
 * fails it and no try is spent). The delayed job is in Redis, owned by no worker: a worker killed meanwhile loses
 * nothing, and whichever worker takes it when it comes due decides again. Resolves with the whole recorded result;
 * the worker keeps `jobResultOf` it.
 */
export function attemptProcessor(deps: ProcessDeps): (job: ReceivedAttemptJob, token?: string) => Promise<AttemptResult> {
  return async (job, token) => {
    try {
      return await processAttempt(job, deps);
    } catch (err) {
      if (err instanceof InvalidJobError) throw new UnrecoverableError(err.message);
      // Without a lock token the job cannot be moved (not a BullMQ delivery): an error, retried like any other.
      if (err instanceof AttemptDeferred && job.moveToDelayed && job.updateData && token !== undefined) {
        // Killed between the two: the job stalls and is taken again with its new note (a look, not a result, lost).
        await job.updateData({ ...job.data, holdSeen: err.seen });
        await job.moveToDelayed(err.untilMs, token);
        throw new DelayedError();
      }
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

/**
 * The deferred verdict (see `ProcessDeps.sourceEvidence`): judge when there is no source, no check, or no answer.
 * Held longer only when the job carries its own acceptance time (the maximum counts from it): a job without one is
 * judged as of now, and "now" would never let the hold end.
 */
async function verdictOn(attemptId: string, source: AttemptSource | undefined, data: ReceivedAttemptJob['data'], deps: ProcessDeps): Promise<HoldVerdict> {
  if (!source || !deps.sourceEvidence) return { action: 'judge', held: false };
  let evidence: SourceEvidence;
  try {
    evidence = await deps.sourceEvidence(source);
  } catch (err) {
    deps.onVerdictError?.(err);
    return { action: 'judge', held: false };
  }
  const acceptedAtMs = typeof data.acceptedAt === 'string' ? Date.parse(data.acceptedAt) : Number.NaN;
  const rule = deps.holdRule && !Number.isNaN(acceptedAtMs) ? deps.holdRule : NEVER_LONGER;
  const verdict = holdVerdict(evidence, checkedCounts(data.holdSeen), acceptedAtMs, deps.now().getTime(), rule);
  deps.onHoldVerdict?.(verdict, attemptId);
  return verdict;
}

/** A previous look's note, when well-formed (anything else: this is the first look). */
function checkedCounts(seen: unknown): SourceCounts | undefined {
  if (typeof seen !== 'object' || seen === null) return undefined;
  const { addressCustomers, subnetCustomers } = seen as Record<string, unknown>;
  return typeof addressCustomers === 'number' && typeof subnetCustomers === 'number' ? { addressCustomers, subnetCustomers } : undefined;
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
