import { assertCodeSpaceFor, CampaignValidationError, CodeSpecError, type Campaign, type CampaignStatus } from '@dropgate/core';
import { ApiError, isApiErrorCode } from '@dropgate/http';
import { enqueueAdminJob, getAdminJobStatus, type AdminJobQueue, type AdminJobStatus } from '@dropgate/queue';
import type { Readable } from 'node:stream';
import { isStoreError, type AuditPage, type AuditQuery, type CodeCounts, type Store } from '@dropgate/store';
import type { CreateCampaignBody, PatchCampaignBody } from './admin-schemas';
import { importCodes, type ImportFormat, type ImportReport } from './codes-import';
import { prepareCampaign } from './create-campaign';

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
}

export interface CreatedCampaign {
  campaign: Campaign;
  /** The generation job filling its codes (null: no codes asked for). */
  jobId: string | null;
}

export interface AdminServiceDeps {
  store: Store;
  jobs: AdminJobQueue;
  /** After a campaign's codes changed outside a job (import): code-filter rebuild, change announcement. */
  onCodesChanged?: ((campaignId: string) => Promise<void>) | undefined;
}

/**
 * The admin operations, once: the HTTP routes call these (and through the API, the web page and the CLI), so a
 * rule or a store error translation lives here and nowhere else. Store/domain errors come out as `ApiError`s.
 */
export class AdminService {
  readonly store: Store;
  readonly jobs: AdminJobQueue;

  private readonly onCodesChanged: (campaignId: string) => Promise<void>;

  constructor(deps: AdminServiceDeps) {
    this.store = deps.store;
    this.jobs = deps.jobs;
    this.onCodesChanged = deps.onCodesChanged ?? (() => Promise.resolve());
  }

  /** Streams codes into a campaign; duplicates and malformed lines are reported, never fatal. */
  async importCodes(campaignId: string, input: Readable, format: ImportFormat, defaultTier: string | undefined): Promise<ImportReport> {
    const campaign = await this.campaign(campaignId);
    if (defaultTier !== undefined && !campaign.tiers.some((t) => t.name === defaultTier)) throw new ApiError('unknown_tier', `campaign has no tier "${defaultTier}"`);
    const report = await importCodes(this.store, campaign, input, format, defaultTier).catch(translate);
    if (report.inserted > 0) await this.onCodesChanged(campaign.id);
    return report;
  }

  /** Admin actions and redemption outcomes, newest first (keyset pages). */
  audit(query: AuditQuery): Promise<AuditPage> {
    return this.store.audit.query(query).catch(translate);
  }

  /**
   * Creates the campaign as a draft at once, and a generation job for its codes that activates it at the end if
   * asked (a campaign never goes live half-filled).
   */
  async createCampaign(who: Principal, body: CreateCampaignBody): Promise<CreatedCampaign> {
    const prepared = (() => {
      try {
        return prepareCampaign(body);
      } catch (err) {
        return translate(err);
      }
    })();
    const campaign = await this.store.campaigns.create(prepared.input).catch(translate);
    if (prepared.tiers.length === 0) {
      return { campaign: prepared.activate ? await this.store.campaigns.setStatus(campaign.id, 'active').catch(translate) : campaign, jobId: null };
    }
    const jobId = await enqueueAdminJob(this.jobs, {
      name: 'generate-codes',
      data: { campaignId: campaign.id, tiers: prepared.tiers, activate: prepared.activate, requestedBy: who.name },
    });
    return { campaign, jobId };
  }

  /** Adds `count` fresh codes to a tier in the background; answers the job id at once. */
  async generateCodes(who: Principal, campaignId: string, tier: string, count: number): Promise<string> {
    const campaign = await this.campaign(campaignId);
    if (!campaign.tiers.some((t) => t.name === tier)) throw new ApiError('unknown_tier', `campaign has no tier "${tier}"`);
    const counts = await this.store.codes.counts(campaign.id);
    const existing = Object.values(counts).reduce((n, byState) => n + Object.values(byState).reduce((m, v) => m + v, 0), 0);
    try {
      assertCodeSpaceFor(campaign.codeSpec, existing + count);
    } catch (err) {
      translate(err);
    }
    return enqueueAdminJob(this.jobs, { name: 'generate-codes', data: { campaignId: campaign.id, tiers: [{ tier, count }], activate: false, requestedBy: who.name } });
  }

  async job(jobId: string): Promise<AdminJobStatus> {
    const status = await getAdminJobStatus(this.jobs, jobId);
    if (!status) throw new ApiError('job_not_found', 'no such job (unknown, or expired)');
    return status;
  }

  /** Polls a job until it ends or `waitMs` passes; null if it is still running then. */
  async waitForJob(jobId: string, waitMs: number): Promise<AdminJobStatus | null> {
    const deadline = Date.now() + waitMs;
    for (let pause = 20; ; pause = Math.min(250, pause * 2)) {
      const status = await this.job(jobId);
      if (status.state === 'completed' || status.state === 'failed') return status;
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
    return this.store.campaigns.update(id, patch).catch(translate);
  }

  async setStatus(_who: Principal, id: string, status: CampaignStatus): Promise<Campaign> {
    return this.store.campaigns.setStatus(id, status, status === 'stopped' ? 'manual' : undefined).catch(translate);
  }

  async stats(id: string): Promise<CampaignStats> {
    const campaign = await this.campaign(id);
    const [codes, outcomes] = await Promise.all([this.store.codes.counts(campaign.id), this.store.redemptions.outcomeCounts(campaign.id)]);
    return { campaignId: campaign.id, status: campaign.status, target: campaign.target, redemptions: campaign.redeemedCount, codes, outcomes };
  }
}

/** Domain and store errors → stable API errors; anything else stays unexpected. */
export function translate(err: unknown): never {
  if (err instanceof CodeSpecError) throw new ApiError(err.code, err.message);
  if (err instanceof CampaignValidationError) throw new ApiError('invalid_request', err.message, { details: [{ path: err.field }] });
  if (isStoreError(err) && isApiErrorCode(err.code)) throw new ApiError(err.code, err.message);
  throw err;
}
