import type { ChangeSink } from '@dropgate/changes';
import { CampaignValidationError, CodeSpecError, type Campaign, type CampaignStatus } from '@dropgate/core';
import { ApiError, isApiErrorCode } from '@dropgate/http';
import { isStoreError, type CodeCounts, type Store } from '@dropgate/store';
import type { CreateCampaignBody, PatchCampaignBody } from './admin-schemas';
import { createCampaignWithCodes, type CreateCampaignProgress } from './create-campaign';

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

/**
 * The admin operations, once: the HTTP routes call these (and through the API, the web page and the CLI), so a
 * rule or a store error translation lives here and nowhere else. Store/domain errors come out as `ApiError`s.
 */
export class AdminService {
  constructor(
    readonly store: Store,
    /** Every change is published once it is in the store (and before the caller hears of it). */
    private readonly changes: ChangeSink,
    private readonly options: { generationProgress?: ((campaignName: string) => CreateCampaignProgress) | undefined } = {},
  ) {}

  async createCampaign(_who: Principal, body: CreateCampaignBody): Promise<Campaign> {
    const campaign = await createCampaignWithCodes(this.store, body, this.options.generationProgress?.(body.name)).catch(translate);
    await this.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'created' });
    return campaign;
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
    const campaign = await this.store.campaigns.update(id, patch).catch(translate);
    await this.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'updated' });
    return campaign;
  }

  async setStatus(_who: Principal, id: string, status: CampaignStatus): Promise<Campaign> {
    const campaign = await this.store.campaigns.setStatus(id, status, status === 'stopped' ? 'manual' : undefined).catch(translate);
    await this.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'status' });
    return campaign;
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
