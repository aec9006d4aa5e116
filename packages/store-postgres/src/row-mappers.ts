import { storedCampaignSettings, type AttemptResult, type Campaign, CampaignStatus, type CodeSpec, type CodeState, type Outcome, type StopReason, type Tier } from '@dropgate/core';
import type { CodeRecord, Publication } from '@dropgate/store';

/** Rows as `pg` returns them: timestamptz → Date, integer → number, jsonb → parsed, text[] → string[]. */
export interface CampaignRow {
  id: string;
  name: string;
  status: CampaignStatus;
  starts_at: Date | null;
  ends_at: Date | null;
  tiers: Tier[];
  per_customer_limit: number;
  target: number | null;
  code_spec: CodeSpec;
  redeem_requires_publication: boolean;
  redeemed_count: number;
  stop_reason: StopReason | null;
  /** Parsed jsonb; read through storedCampaignSettings (defaults for fields added since it was written). */
  settings: unknown;
  created_at: Date;
  updated_at: Date;
}

export interface CodeRow {
  campaign_id: string;
  code: string;
  tier: string;
  state: CodeState;
  customer_id: string | null;
  attempt_id: string | null;
  redeemed_at: Date | null;
  lock_release_at: Date | null;
  lock_reason: string | null;
  publication_id: string | null;
}

export interface AttemptRow {
  attempt_id: string;
  kind: AttemptResult['kind'];
  campaign_id: string;
  customer_id: string;
  outcome: Outcome;
  code: string | null;
  tier: string | null;
  reward: string | null;
  finished_at: Date;
  rolled_back_at: Date | null;
}

export interface PublicationRow {
  publication_id: string;
  campaign_id: string;
  tier: string;
  channel: string | null;
  customer_id: string | null;
  count: number;
  codes: string[];
  created_at: Date;
}

/**
 * Campaign columns for SELECT and RETURNING: redeemedCount is the campaign row's count plus its counter shards
 * (campaign_counters), summed in the same statement, so it is one consistent number.
 */
export const CAMPAIGN_COLUMNS = `id, name, status, starts_at, ends_at, tiers, per_customer_limit, target, code_spec,
  redeem_requires_publication, stop_reason, settings, created_at, updated_at,
  (redeemed_count + coalesce((SELECT sum(k.redeemed) FROM campaign_counters AS k WHERE k.campaign_id = campaigns.id), 0))::integer
    AS redeemed_count`;

export const CODE_COLUMNS = 'campaign_id, code, tier, state, customer_id, attempt_id, redeemed_at, lock_release_at, lock_reason, publication_id';

export function toCampaign(row: CampaignRow): Campaign {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    tiers: row.tiers,
    perCustomerLimit: row.per_customer_limit,
    target: row.target,
    codeSpec: row.code_spec,
    redeemRequiresPublication: row.redeem_requires_publication,
    redeemedCount: row.redeemed_count,
    stopReason: row.stop_reason,
    settings: storedCampaignSettings(row.settings),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toCodeRecord(row: CodeRow): CodeRecord {
  return {
    campaignId: row.campaign_id,
    code: row.code,
    tier: row.tier,
    state: row.state,
    customerId: row.customer_id,
    attemptId: row.attempt_id,
    redeemedAt: row.redeemed_at,
    lockReleaseAt: row.lock_release_at,
    // Kept after the lock ended (nothing clears it): only a locked code has a reason.
    lockReason: row.state === 'locked' ? (row.lock_reason ?? null) : null,
    publicationId: row.publication_id,
  };
}

export function toAttempt(row: AttemptRow): AttemptResult {
  return {
    attemptId: row.attempt_id,
    kind: row.kind,
    campaignId: row.campaign_id,
    customerId: row.customer_id,
    outcome: row.outcome,
    code: row.code,
    tier: row.tier,
    reward: row.reward,
    finishedAt: row.finished_at,
    rolledBackAt: row.rolled_back_at ?? null,
  };
}

export function toPublication(row: PublicationRow): Publication {
  return {
    publicationId: row.publication_id,
    campaignId: row.campaign_id,
    tier: row.tier,
    channel: row.channel,
    customerId: row.customer_id,
    codes: row.codes,
    createdAt: row.created_at,
  };
}
