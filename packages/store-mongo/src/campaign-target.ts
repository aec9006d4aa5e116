import { isCampaignOpen, type Campaign } from '@dropgate/core';
import type { CampaignDoc, Models } from './models';

export type GateRefusal = 'campaign_not_active' | 'sold_out';

/** Is the target set and reached? */
export const targetReached = (c: Pick<Campaign, 'target' | 'redeemedCount'>): boolean => c.target !== null && c.redeemedCount >= c.target;

/**
 * Step 2 of the README: may this campaign take an attempt at `now`? Pure. A campaign that is full because of
 * its target answers `sold_out` (whether or not it has been moved to `stopped` yet); anything else not open
 * answers `campaign_not_active`.
 */
export function campaignGate(campaign: Campaign | null, now: Date): GateRefusal | null {
  if (!campaign) return 'campaign_not_active';
  const inWindow = (!campaign.startsAt || now >= campaign.startsAt) && (!campaign.endsAt || now < campaign.endsAt);
  const fullByTarget =
    targetReached(campaign) && (campaign.status === 'active' || (campaign.status === 'stopped' && campaign.stopReason === 'target_reached'));
  if (fullByTarget && inWindow) return 'sold_out';
  return isCampaignOpen(campaign, now) ? null : 'campaign_not_active';
}

/** The campaign's redeemedCount, maintained with conditional updates only (never read-modify-write). */
export class CampaignTarget {
  constructor(private readonly models: Models) {}

  /**
   * Counts one success: `$inc` only while the campaign is active and below its target (or has none), evaluated
   * on the live document so a concurrent pause or a lowered target is honoured. It can never exceed the target.
   * Returns null when refused (not active, or full), else whether this increment reached the target.
   */
  async count(campaignId: string): Promise<{ reached: boolean } | null> {
    const doc = await this.models.campaigns
      .findOneAndUpdate(
        { _id: campaignId, status: 'active', $or: [{ target: null }, { $expr: { $lt: ['$redeemedCount', '$target'] } }] },
        { $inc: { redeemedCount: 1 } },
        { returnDocument: 'after', projection: { redeemedCount: 1, target: 1 } },
      )
      .lean<Pick<CampaignDoc, 'redeemedCount' | 'target'>>();
    if (!doc) return null;
    return { reached: targetReached({ target: doc.target ?? null, redeemedCount: doc.redeemedCount }) };
  }

  /**
   * Moves an active campaign whose counter reached its target to stopped/target_reached. Idempotent and
   * conditional, so the success that reached the target, its redelivery and any later reader can all call it.
   */
  async stopIfReached(campaignId: string): Promise<void> {
    await this.models.campaigns.updateOne(
      { _id: campaignId, status: 'active', target: { $ne: null }, $expr: { $gte: ['$redeemedCount', '$target'] } },
      { $set: { status: 'stopped', stopReason: 'target_reached', updatedAt: new Date() } },
    );
  }

  /** Gives one success back (rollback). Never below zero. */
  async uncount(campaignId: string): Promise<void> {
    await this.models.campaigns.updateOne({ _id: campaignId, redeemedCount: { $gt: 0 } }, { $inc: { redeemedCount: -1 } });
  }
}
