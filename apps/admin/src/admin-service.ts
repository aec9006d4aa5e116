import { createHash, randomBytes } from 'node:crypto';
import type { ChangeSink } from '@dropgate/changes';
import { assertCodeSpaceFor, CampaignValidationError, CodeSpecError, findTier, normalizeCode, type Campaign, type CampaignStatus, type CodeSpec } from '@dropgate/core';
import { ApiError, isApiErrorCode } from '@dropgate/http';
import { ENDED_ADMIN_JOB_STATES, enqueueAdminJob, getAdminJobStatus, pendingAdminJobsOf, UploadTooLargeError, type AdminJobCancels, type AdminJobQueue, type AdminJobStatus, type UploadStaging } from '@dropgate/queue';
import { isStoreError, type AuditPage, type AuditQuery, type CodeCounts, type LockGroup, type Publication, type Store } from '@dropgate/store';
import type { CreateCampaignBody, DisableBody, LockBody, PatchCampaignBody, PublicationBody, ReleaseBody, RollbackBody } from './admin-schemas';
import { stageImport, type ImportFormat } from './codes-import';
import { prepareCampaign } from './create-campaign';
import type { LockReleaseScheduler } from './jobs/lock-releases';
import { plainRedisCalls, redisUnavailable, type RedisCalls } from './redis-calls';

/** Who is acting: the admin token's name (audit trail) and what it may do. */
export interface Principal {
  name: string;
  scopes: ReadonlySet<string>;
}

export interface CampaignStats {
  campaignId: string;
  status: CampaignStatus;
  target: number | null;
  redemptions: number;
  codes: CodeCounts;
  outcomes: Record<string, number>;
  /** Wrong codes counted against the guess budgets for this campaign; null when they could not be read (Redis). */
  wrongCodes: number | null;
}

/** An import accepted: its job, and the size of what it will read. */
export interface StagedImport {
  jobId: string;
  bytes: number;
  lines: number;
}

export interface CreatedCampaign {
  campaign: Campaign;
  /** The generation job filling its codes (null: no codes asked for). */
  jobId: string | null;
}

export interface AdminServiceDeps {
  store: Store;
  jobs: AdminJobQueue;
  /** Every change is published here once it is in the store (and before the caller hears of it). */
  changes: ChangeSink;
  /** Where imports are staged for their job (without it, imports are refused). */
  uploads?: UploadStaging | undefined;
  /** Where a job's cancel is asked for (without it, cancels are refused). */
  jobCancels?: AdminJobCancels | undefined;
  /** Ends timed locks by themselves (the admin process's lock-release jobs). */
  lockReleases?: LockReleaseScheduler | undefined;
  /** A campaign's wrong codes (the guess budgets' per-campaign count in Redis); absent: stats answer null. */
  wrongCodes?: ((campaignId: string) => Promise<number>) | undefined;
  /** How the calls above that go to Redis are made (refused at once while it is away); default: just made. */
  redis?: RedisCalls | undefined;
  now?: (() => Date) | undefined;
}

/**
 * The admin operations, once: the HTTP routes call these (and through the API, the web page and the CLI), so a
 * rule or a store error translation lives here and nowhere else. Store/domain errors come out as `ApiError`s.
 */
export class AdminService {
  readonly store: Store;
  readonly jobs: AdminJobQueue;

  /** Every change is published once it is in the store (and before the caller hears of it). */
  private readonly changes: ChangeSink;
  private readonly options: Pick<AdminServiceDeps, 'lockReleases' | 'uploads' | 'jobCancels' | 'wrongCodes' | 'now'>;
  /** Every call to Redis a request makes goes through it: a Redis away is a 503 `unavailable`, never a 500. */
  private readonly redis: RedisCalls;

  constructor(deps: AdminServiceDeps) {
    this.store = deps.store;
    this.jobs = deps.jobs;
    this.changes = deps.changes;
    this.redis = deps.redis ?? plainRedisCalls();
    this.options = { lockReleases: deps.lockReleases, uploads: deps.uploads, jobCancels: deps.jobCancels, wrongCodes: deps.wrongCodes, now: deps.now };
  }

  /**
   * Stages the upload as it streams in (Redis, bounded in size), then queues the import job that writes it in
   * batches and reports duplicates and malformed lines in its result. Answers once the upload is staged.
   */
  async importCodes(who: Principal, campaignId: string, input: AsyncIterable<Buffer | string>, format: ImportFormat, defaultTier: string | undefined): Promise<StagedImport> {
    const campaign = await this.campaign(campaignId);
    requireTier(campaign, defaultTier);
    const uploads = this.options.uploads;
    if (!uploads) throw new ApiError('unavailable', 'imports need the upload staging, which this admin does not have');
    const staged = await this.redis.run(() =>
      stageImport(uploads, input, format).catch((err: unknown) => {
        if (err instanceof UploadTooLargeError) throw new ApiError('payload_too_large', `${err.message}: split the file`);
        throw err;
      }),
    );
    try {
      const jobId = await this.redis.run(() =>
        enqueueAdminJob(this.jobs, {
          name: 'import-codes',
          data: { campaignId: campaign.id, uploadId: staged.uploadId, bytes: staged.bytes, lines: staged.lines, headerLines: staged.headerLines, format, defaultTier: defaultTier ?? null, requestedBy: who.name },
        }),
      );
      return { jobId, bytes: staged.bytes, lines: staged.lines };
    } catch (err) {
      await uploads.drop(staged.uploadId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Admin actions and redemption outcomes, newest first (keyset pages). A `code` with its `campaignId` is read as the
   * intake reads it (the campaign's normalizeCode); without one it is matched as given.
   */
  async audit(query: AuditQuery): Promise<AuditPage> {
    const campaign = query.code !== undefined && query.campaignId !== undefined ? await this.store.campaigns.get(query.campaignId) : null;
    const code = campaign && query.code !== undefined ? normalizeCode(campaign.codeSpec, query.code) : query.code;
    return this.store.audit.query({ ...query, code }).catch(translate);
  }

  /**
   * Creates the campaign as a draft at once, and a generation job for its codes that activates it at the end if
   * asked (a campaign never goes live half-filled).
   */
  async createCampaign(who: Principal, body: CreateCampaignBody): Promise<CreatedCampaign> {
    if (body.status === 'active') this.refuseEnded(body.endsAt);
    const prepared = (() => {
      try {
        return prepareCampaign(body);
      } catch (err) {
        return translate(err);
      }
    })();
    // Its codes come from a job in Redis: refused before the campaign is made while Redis is known to be away.
    if (prepared.tiers.length > 0 && this.redis.isDown) throw redisUnavailable();
    const created = await this.store.campaigns.create(prepared.input).catch(translate);
    const campaign = prepared.tiers.length === 0 && prepared.activate ? await this.store.campaigns.setStatus(created.id, 'active').catch(translate) : created;
    await this.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'created' });
    if (prepared.tiers.length === 0) return { campaign, jobId: null };
    const jobId = await this.redis.run(() =>
      enqueueAdminJob(this.jobs, {
        name: 'generate-codes',
        data: { campaignId: campaign.id, tiers: prepared.tiers, activate: prepared.activate, requestedBy: who.name },
      }),
    );
    return { campaign, jobId };
  }

  /** Adds `count` fresh codes to a tier in the background; answers the job id at once. */
  async generateCodes(who: Principal, campaignId: string, tier: string, count: number): Promise<string> {
    const campaign = await this.campaign(campaignId);
    requireTier(campaign, tier);
    const counts = await this.store.codes.counts(campaign.id);
    const existing = Object.values(counts).reduce((n, byState) => n + Object.values(byState).reduce((m, v) => m + v, 0), 0);
    try {
      assertCodeSpaceFor(campaign.codeSpec, existing + count);
    } catch (err) {
      translate(err);
    }
    return this.redis.run(() => enqueueAdminJob(this.jobs, { name: 'generate-codes', data: { campaignId: campaign.id, tiers: [{ tier, count }], activate: false, requestedBy: who.name } }));
  }

  /** A job's state and progress; `cancelRequested` while a cancel is asked for and the job has not stopped yet. */
  async job(jobId: string): Promise<AdminJobStatus & { cancelRequested?: true }> {
    const status = await this.redis.run(() => getAdminJobStatus(this.jobs, jobId));
    if (!status) throw new ApiError('job_not_found', 'no such job (unknown, or expired)');
    const cancels = this.options.jobCancels;
    if (ENDED_ADMIN_JOB_STATES.has(status.state) || !cancels) return status;
    return (await this.redis.run(() => cancels.isRequested(jobId))) ? { ...status, cancelRequested: true } : status;
  }

  /**
   * Asks a generation or import job to stop: it does at its next batch boundary (a waiting one as soon as it starts),
   * keeping what it wrote, and ends `cancelled` with how many codes it wrote in its result. A generation job that was
   * to activate its campaign leaves it a draft. A job that has ended is a 409 `job_finished`.
   */
  async cancelJob(_who: Principal, jobId: string): Promise<AdminJobStatus & { cancelRequested?: true }> {
    const cancels = this.options.jobCancels;
    if (!cancels) throw new ApiError('unavailable', 'cancelling a job needs the job cancels, which this admin does not have');
    const status = await this.job(jobId);
    if (ENDED_ADMIN_JOB_STATES.has(status.state)) throw new ApiError('job_finished', `the job has ended (${status.state}): nothing to cancel`);
    await this.redis.run(() => cancels.request(jobId));
    return { ...status, cancelRequested: true };
  }

  /**
   * Polls a job until it ends or `waitMs` passes; null if it is still running then, or if its status cannot be read
   * (Redis gone meanwhile: the job is queued, and what was asked done so far, so no error the caller would retry).
   */
  async waitForJob(jobId: string, waitMs: number): Promise<AdminJobStatus | null> {
    const deadline = Date.now() + waitMs;
    for (let pause = 20; ; pause = Math.min(250, pause * 2)) {
      const status = await this.job(jobId).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'unavailable') return null;
        throw err;
      });
      if (status === null) return null;
      if (ENDED_ADMIN_JOB_STATES.has(status.state)) return status;
      if (Date.now() + pause > deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  listCampaigns(): Promise<Campaign[]> {
    return this.store.campaigns.list();
  }

  async campaign(id: string): Promise<Campaign> {
    const campaign = await this.store.campaigns.get(id);
    if (!campaign) throw new ApiError('campaign_not_found', 'no such campaign');
    return campaign;
  }

  /** Changes the given fields; `settings` merges into the current settings (validated by the store under its lock). */
  async updateCampaign(_who: Principal, id: string, patch: PatchCampaignBody): Promise<Campaign> {
    if (patch.endsAt && patch.endsAt.getTime() <= this.now().getTime() && (await this.campaign(id)).status === 'active') this.refuseEnded(patch.endsAt);
    const campaign = await this.store.campaigns.update(id, patch).catch(translate);
    await this.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'updated' });
    return campaign;
  }

  async setStatus(_who: Principal, id: string, status: CampaignStatus): Promise<Campaign> {
    if (status === 'active') {
      const campaign = await this.campaign(id);
      this.refuseEnded(campaign.endsAt);
      if (campaign.status === 'draft') await this.refuseWhileCodesJobPending(campaign.id);
    }
    const campaign = await this.store.campaigns.setStatus(id, status, status === 'stopped' ? 'manual' : undefined).catch(translate);
    await this.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'status' });
    return campaign;
  }

  async stats(id: string): Promise<CampaignStats> {
    const campaign = await this.campaign(id);
    const [codes, outcomes, wrongCodes] = await Promise.all([
      this.store.codes.counts(campaign.id),
      this.store.redemptions.outcomeCounts(campaign.id),
      // A count for the operator, never worth failing the stats for: unreadable (Redis down) answers null.
      this.options.wrongCodes ? this.redis.run(() => this.options.wrongCodes!(campaign.id)).catch(() => null) : null,
    ]);
    return { campaignId: campaign.id, status: campaign.status, target: campaign.target, redemptions: campaign.redeemedCount, codes, outcomes, wrongCodes };
  }

  /**
   * Publishes `count` available codes of a tier at once (all or none). With an idempotency key the publication id is
   * derived from it, so a retry answers the same publication (and the same key with other parameters, a conflict).
   */
  async publish(_who: Principal, campaignId: string, body: PublicationBody, idempotencyKey?: string): Promise<Publication> {
    const campaign = await this.campaign(campaignId);
    const publicationId = idempotencyKey === undefined ? `pub_${randomBytes(16).toString('base64url')}` : derivedPublicationId(campaign.id, idempotencyKey);
    const publication = await this.store.codes
      .publish({ campaignId: campaign.id, tier: body.tier, count: body.count, channel: body.channel, customerId: body.customerId, publicationId, now: this.now() })
      .catch(translate);
    await this.changes.publish({ kind: 'codes', campaignId: campaign.id, action: 'published' });
    return publication;
  }

  async publications(campaignId: string, limit: number): Promise<Publication[]> {
    const campaign = await this.campaign(campaignId);
    return this.store.codes.listPublications({ campaignId: campaign.id, limit });
  }

  /** Locks codes (a tier's next `count` available ones, or a list); with `releaseAt` they come back by themselves then. */
  async lock(
    _who: Principal,
    campaignId: string,
    body: LockBody,
  ): Promise<{ locked: number; codes?: string[]; notFound?: string[]; releaseAt: Date | null; reason: string | null; releaseJobId: string | null }> {
    const campaign = await this.campaign(campaignId);
    const releaseAt = body.releaseAt ?? null;
    const reason = body.reason ?? null;
    if (releaseAt !== null) this.checkReleaseAt(releaseAt);
    if (releaseAt !== null && !this.options.lockReleases) throw new ApiError('unavailable', 'timed locks need the lock-release jobs, which this admin does not run');
    let result: { locked: number; codes?: string[]; notFound?: string[] };
    if (body.codes !== undefined) {
      const codes = listedCodes(campaign.codeSpec, body.codes);
      const locked = await this.store.codes.lock({ campaignId: campaign.id, codes, releaseAt, reason }).catch(translate);
      result = { locked, notFound: await this.notFoundAmong(campaign.id, codes, locked) };
    } else {
      const codes = await this.store.codes.lockAvailable({ campaignId: campaign.id, tier: body.tier!, count: body.count!, releaseAt, reason }).catch(translate);
      result = { locked: codes.length, codes };
    }
    // The release job is scheduled after the lock: should scheduling fail (Redis away), the lock stands and the answer
    // says so (`releaseJobId` null: an error would have the client lock more codes again); the periodic sweep, or
    // the one when the admin starts, still ends it, and the store treats a due lock as available anyway.
    const releaseJobId =
      releaseAt !== null && result.locked > 0 ? await this.redis.run(() => this.options.lockReleases!.schedule(campaign.id, releaseAt)).catch(() => null) : null;
    if (result.locked > 0) await this.changes.publish({ kind: 'codes', campaignId: campaign.id, action: 'locked' });
    return { ...result, releaseAt, reason, releaseJobId };
  }

  /** A timed lock's release: in the future, and within `MAX_LOCK_AHEAD_YEARS` (a year typed wrong, 9999 for "never"). */
  private checkReleaseAt(releaseAt: Date): void {
    const now = this.now();
    if (releaseAt.getTime() <= now.getTime()) throw new ApiError('invalid_request', 'releaseAt must be in the future', { details: [{ path: 'releaseAt' }] });
    const latest = new Date(now);
    latest.setUTCFullYear(latest.getUTCFullYear() + MAX_LOCK_AHEAD_YEARS);
    if (releaseAt.getTime() > latest.getTime())
      throw new ApiError('invalid_request', `releaseAt must be at most ${MAX_LOCK_AHEAD_YEARS} years ahead (lock without releaseAt to hold codes until released by hand)`, {
        details: [{ path: 'releaseAt' }],
      });
  }

  /**
   * The rule for an operation on a list of codes (lock, release): the listed codes the campaign does not have are
   * named; none of them at all is a 404 `code_not_found` (nothing was changed). Looked for only when fewer than all
   * were changed (the usual list is all found and all changed: no extra read).
   */
  private async notFoundAmong(campaignId: string, codes: readonly string[], changed: number): Promise<string[]> {
    const notFound = changed === codes.length ? [] : await this.missingCodes(campaignId, codes);
    if (notFound.length === codes.length) {
      const named = notFound.slice(0, 10).join(', ') + (notFound.length > 10 ? `, … (${notFound.length})` : '');
      throw new ApiError('code_not_found', `no listed code is in this campaign: ${named}`, { details: { notFound } });
    }
    return notFound;
  }

  /** Which of `codes` the campaign does not have, in the order given (a few reads in parallel). */
  private async missingCodes(campaignId: string, codes: readonly string[]): Promise<string[]> {
    const found = new Array<boolean>(codes.length);
    let next = 0;
    const reader = async (): Promise<void> => {
      for (let i = next++; i < codes.length; i = next++) found[i] = (await this.store.codes.get(campaignId, codes[i]!)) !== null;
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUPS_IN_FLIGHT, codes.length) }, reader));
    return codes.filter((_, i) => !found[i]);
  }

  /** The codes locked now, by tier, release time and reason. */
  async locks(campaignId: string): Promise<LockGroup[]> {
    const campaign = await this.campaign(campaignId);
    return this.store.codes.listLocks(campaign.id, this.now());
  }

  /** Releases locks now: the listed codes, a tier's, or every lock of the campaign. */
  async releaseLocks(_who: Principal, campaignId: string, body: ReleaseBody): Promise<{ released: number; notFound?: string[] }> {
    const campaign = await this.campaign(campaignId);
    requireTier(campaign, body.tier);
    let released = 0;
    let notFound: string[] | undefined;
    if (body.codes !== undefined) {
      const codes = listedCodes(campaign.codeSpec, body.codes);
      released = await this.store.codes.unlock(campaign.id, codes);
      notFound = await this.notFoundAmong(campaign.id, codes, released);
    } else {
      // Page by page (keyset): constant memory whatever the number of locked codes.
      let after: string | undefined;
      for (;;) {
        const page = await this.store.codes.list({ campaignId: campaign.id, tier: body.tier, state: 'locked', after, limit: RELEASE_PAGE });
        if (page.length === 0) break;
        released += await this.store.codes.unlock(campaign.id, page.map((c) => c.code));
        after = page[page.length - 1]!.code;
        if (page.length < RELEASE_PAGE) break;
      }
    }
    if (released > 0) await this.changes.publish({ kind: 'codes', campaignId: campaign.id, action: 'released' });
    return notFound === undefined ? { released } : { released, notFound };
  }

  /**
   * Takes listed codes out of circulation for good (a code leaked, printed wrong, sent to the wrong person): available,
   * locked or published ones become disabled, and a redemption of one answers `code_disabled`. A redeemed code has an
   * owner, a quota and a target slot: only a rollback takes it back (core's transition table).
   */
  async disable(_who: Principal, campaignId: string, body: DisableBody): Promise<{ disabled: number; notFound: string[] }> {
    const campaign = await this.campaign(campaignId);
    const codes = listedCodes(campaign.codeSpec, body.codes);
    const disabled = await this.store.codes.disable(campaign.id, codes).catch(translate);
    if (disabled > 0) await this.changes.publish({ kind: 'codes', campaignId: campaign.id, action: 'disabled' });
    return { disabled, notFound: await this.notFoundAmong(campaign.id, codes, disabled) };
  }

  /**
   * Takes a redeemed code back (to available or disabled): the customer's quota, the campaign's count and the attempt
   * that held it (marked rolled back) go with it, in one store transaction.
   */
  async rollback(_who: Principal, campaignId: string, rawCode: string, body: RollbackBody): Promise<{ code: string; state: 'available' | 'disabled'; attemptId: string | null }> {
    const campaign = await this.campaign(campaignId);
    const code = normalizeCode(campaign.codeSpec, rawCode);
    const before = await this.store.codes.get(campaign.id, code);
    if (!before) throw new ApiError('code_not_found', 'no such code in this campaign');
    const done = await this.store.codes.rollback({ campaignId: campaign.id, code, to: body.to, now: this.now() }).catch(translate);
    if (!done) throw new ApiError('code_not_redeemed', `the code is ${(await this.store.codes.get(campaign.id, code))?.state ?? 'gone'}, not redeemed: nothing to roll back`);
    await this.changes.publish({ kind: 'codes', campaignId: campaign.id, action: 'rolled_back' });
    // A rollback can bring a campaign stopped at its target back under it: the campaign's record changed too.
    await this.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'updated' });
    return { code, state: body.to, attemptId: before.attemptId };
  }

  /**
   * A draft goes live with all its codes: not while a generation or import job for it is waiting or running (it would
   * go live half filled). Asked only of a draft, so a pause and resume never needs Redis.
   */
  private async refuseWhileCodesJobPending(campaignId: string): Promise<void> {
    const pending = await this.redis.run(() => pendingAdminJobsOf(this.jobs, campaignId));
    if (pending.length > 0)
      throw new ApiError('codes_job_in_progress', `codes are still being written by job ${pending.join(', ')}: activate it once the job ends, or cancel the job (POST /admin/v1/jobs/{jobId}/cancel) first`, {
        details: { jobIds: pending },
      });
  }

  /** An active campaign must be able to take attempts: an end already passed is a mistake (a wrong year, a time zone). */
  private refuseEnded(endsAt: Date | null | undefined): void {
    if (endsAt && endsAt.getTime() <= this.now().getTime())
      throw new ApiError('ends_at_in_past', `endsAt ${endsAt.toISOString()} has passed: an active campaign must end in the future`, { details: [{ path: 'endsAt' }] });
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/** Domain and store errors → stable API errors; anything else stays unexpected. */
export function translate(err: unknown): never {
  if (err instanceof CodeSpecError) throw new ApiError(err.code, err.message);
  if (err instanceof CampaignValidationError) throw new ApiError('invalid_request', err.message, { details: [{ path: err.field }] });
  if (isStoreError(err) && isApiErrorCode(err.code)) throw new ApiError(err.code, err.message);
  throw err;
}

/**
 * A tier the request names must be one of the campaign's: a typo is a 422 `unknown_tier`, as for a lock or a
 * publication, never an answer about no codes at all ("released 0", an empty export).
 */
export function requireTier(campaign: Campaign, tier: string | undefined): void {
  if (tier !== undefined && findTier(campaign, tier) === undefined) throw new ApiError('unknown_tier', `campaign has no tier "${tier}"`);
}

const RELEASE_PAGE = 5_000;
/** Furthest ahead a timed lock may end (README: locks). */
export const MAX_LOCK_AHEAD_YEARS = 5;
/** Code reads in flight while looking for the listed codes a lock or release did not find. */
const LOOKUPS_IN_FLIGHT = 8;

/** Listed codes as the campaign keeps them (typed any way), each once. */
function listedCodes(codeSpec: CodeSpec, codes: readonly string[]): string[] {
  return [...new Set(codes.map((c) => normalizeCode(codeSpec, c)))];
}

/** A publication id from the caller's idempotency key, scoped to the campaign (the same key elsewhere is another publication). */
function derivedPublicationId(campaignId: string, key: string): string {
  return `pub_${createHash('sha256').update(`${campaignId}\0${key}`).digest('base64url').slice(0, 32)}`;
}
