import { newCampaignSettings, type CampaignSettings, type CampaignSettingsPatch } from './campaign-settings';
import { CampaignValidationError } from './campaign-validation-error';
import type { CodeSpec } from './code-spec';

export const CAMPAIGN_STATUSES = ['draft', 'active', 'paused', 'stopped', 'ended'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Legal lifecycle moves. `stopped → active` lets an operator resume after raising a target. */
export const CAMPAIGN_STATUS_TRANSITIONS: Record<CampaignStatus, readonly CampaignStatus[]> = {
  draft: ['active', 'ended'],
  active: ['paused', 'stopped', 'ended'],
  paused: ['active', 'stopped', 'ended'],
  stopped: ['active', 'ended'],
  ended: [],
};

export function canChangeCampaignStatus(from: CampaignStatus, to: CampaignStatus): boolean {
  return CAMPAIGN_STATUS_TRANSITIONS[from].includes(to);
}

export type StopReason = 'target_reached' | 'manual';

export interface Tier {
  /** e.g. "standard", "premium" */
  name: string;
  /** What a code of this tier is worth, e.g. "t-shirt", "skate deck". */
  reward: string;
  /** Optional per-customer limit inside this tier, on top of the campaign's limit. */
  perCustomerLimit?: number | undefined;
}

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  startsAt: Date | null;
  endsAt: Date | null;
  tiers: Tier[];
  /** Max successful redemptions/claims per customer across the whole campaign. */
  perCustomerLimit: number;
  /** Max total redemptions: reaching it stops the campaign by itself. */
  target: number | null;
  codeSpec: CodeSpec;
  /** When true, only published codes can be redeemed: unpublished ones answer `code_not_found`. */
  redeemRequiresPublication: boolean;
  /** Successful redemptions + claims so far (maintained by the store, counted against `target`). */
  redeemedCount: number;
  stopReason: StopReason | null;
  /** Behaviour switches (claims, customer auth, ...): see campaign-settings.ts. */
  settings: CampaignSettings;
  createdAt: Date;
  updatedAt: Date;
}

/** What a caller provides to create a campaign; the store fills in id, counters and timestamps. */
export interface NewCampaign {
  id?: string | undefined;
  name: string;
  status?: CampaignStatus | undefined;
  startsAt?: Date | null | undefined;
  endsAt?: Date | null | undefined;
  tiers: Tier[];
  perCustomerLimit: number;
  target?: number | null | undefined;
  codeSpec: CodeSpec;
  redeemRequiresPublication?: boolean | undefined;
  /** Any subset: the rest take their defaults (`newCampaignSettings`). */
  settings?: CampaignSettingsPatch | undefined;
}

/** `settings` is merged into the current settings field by field (`applyCampaignSettingsPatch`), never replaced. */
export type CampaignPatch = Partial<
  Pick<Campaign, 'name' | 'startsAt' | 'endsAt' | 'perCustomerLimit' | 'target' | 'redeemRequiresPublication' | 'tiers'>
> & { settings?: CampaignSettingsPatch | undefined };

/** Is the campaign taking attempts at `now`? Status, time window and target all count. */
export function isCampaignOpen(campaign: Campaign, now: Date): boolean {
  if (campaign.status !== 'active') return false;
  if (campaign.startsAt && now < campaign.startsAt) return false;
  if (campaign.endsAt && now >= campaign.endsAt) return false;
  if (campaign.target !== null && campaign.redeemedCount >= campaign.target) return false;
  return true;
}

/** Is the target set and reached? */
export const targetReached = (c: Pick<Campaign, 'target' | 'redeemedCount'>): boolean => c.target !== null && c.redeemedCount >= c.target;

/**
 * Why a campaign refuses an attempt at `now`, or null if it takes it: the one rule every layer applies (the
 * PostgreSQL adapter mirrors it in SQL, `dg_campaign_refusal`). A campaign full because of its target answers
 * `sold_out` (whether or not it has been moved to `stopped` yet); anything else not open is `campaign_not_active`.
 */
export function campaignRefusal(campaign: Campaign | null | undefined, now: Date): 'campaign_not_active' | 'sold_out' | null {
  if (!campaign) return 'campaign_not_active';
  const inWindow = (!campaign.startsAt || now >= campaign.startsAt) && (!campaign.endsAt || now < campaign.endsAt);
  const fullByTarget =
    targetReached(campaign) && (campaign.status === 'active' || (campaign.status === 'stopped' && campaign.stopReason === 'target_reached'));
  if (fullByTarget && inWindow) return 'sold_out';
  return isCampaignOpen(campaign, now) ? null : 'campaign_not_active';
}

export function findTier(campaign: Campaign, tierName: string): Tier | undefined {
  return campaign.tiers.find((t) => t.name === tierName);
}

/** A per-customer limit scope: the campaign as a whole, or one tier. */
export interface QuotaScope {
  scope: string;
  limit: number;
}

export const CAMPAIGN_SCOPE = 'campaign';
export const tierScope = (tier: string): string => `tier:${tier}`;

/** The per-customer limits an attempt on `tier` must fit in, campaign scope first. */
export function quotaScopes(campaign: Campaign, tierName: string): QuotaScope[] {
  const scopes: QuotaScope[] = [{ scope: CAMPAIGN_SCOPE, limit: campaign.perCustomerLimit }];
  const tier = findTier(campaign, tierName);
  if (tier?.perCustomerLimit !== undefined) scopes.push({ scope: tierScope(tierName), limit: tier.perCustomerLimit });
  return scopes;
}

export { CampaignValidationError };

const TIER_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Checks the invariants of a new campaign; throws `CampaignValidationError` naming the field. */
export function validateNewCampaign(input: NewCampaign): void {
  if (!input.name.trim() || input.name.length > 200) throw new CampaignValidationError('name must be 1-200 characters', 'name');
  if (input.tiers.length === 0) throw new CampaignValidationError('at least one tier is required', 'tiers');
  const seen = new Set<string>();
  for (const tier of input.tiers) {
    if (!TIER_NAME.test(tier.name)) throw new CampaignValidationError(`tier name "${tier.name}" must match ${TIER_NAME}`, 'tiers');
    if (seen.has(tier.name)) throw new CampaignValidationError(`tier "${tier.name}" is listed twice`, 'tiers');
    seen.add(tier.name);
    if (!tier.reward.trim()) throw new CampaignValidationError(`tier "${tier.name}" needs a reward`, 'tiers');
    if (tier.perCustomerLimit !== undefined && !(Number.isInteger(tier.perCustomerLimit) && tier.perCustomerLimit >= 1))
      throw new CampaignValidationError('tier perCustomerLimit must be an integer >= 1', 'tiers');
  }
  if (!Number.isInteger(input.perCustomerLimit) || input.perCustomerLimit < 1 || input.perCustomerLimit > 1000)
    throw new CampaignValidationError('perCustomerLimit must be an integer in 1..1000', 'perCustomerLimit');
  if (input.target != null && (!Number.isInteger(input.target) || input.target < 1))
    throw new CampaignValidationError('target must be an integer >= 1', 'target');
  if (input.startsAt && Number.isNaN(input.startsAt.getTime())) throw new CampaignValidationError('startsAt is not a valid date', 'startsAt');
  if (input.endsAt && Number.isNaN(input.endsAt.getTime())) throw new CampaignValidationError('endsAt is not a valid date', 'endsAt');
  if (input.startsAt && input.endsAt && input.endsAt <= input.startsAt)
    throw new CampaignValidationError('endsAt must be after startsAt', 'endsAt');
  if (input.settings !== undefined) newCampaignSettings(input.settings);
}
