import { campaignRefusal, targetReached } from '@dropgate/core';
import { CAMPAIGN_FIELDS, type CampaignDoc, type Models } from './models';

export type GateRefusal = NonNullable<ReturnType<typeof campaignRefusal>>;

/** Step 2 of the README: may this campaign take an attempt at `now`? The rule itself lives in core. */
export const campaignGate = campaignRefusal;

/**
 * How many attempt ids a campaign remembers as counted (and as given back). A count is idempotent by attempt id
 * as long as the id is still in the window, i.e. for the next COUNTED_WINDOW successes of the campaign; the
 * `counted` marker on the attempt (W5) covers everything after that. Bounded because the campaign document is
 * rewritten on every success: 1000 ids of <= 64 characters keep it well under 100 kB.
 */
export const COUNTED_WINDOW = 1000;

type CounterView = Pick<CampaignDoc, 'redeemedCount' | 'target'>;
const reachedOf = (doc: CounterView): boolean => targetReached({ target: doc.target ?? null, redeemedCount: doc.redeemedCount });

/** The campaign's redeemedCount, maintained with conditional updates only (never read-modify-write). */
export class CampaignTarget {
  constructor(private readonly models: Models) {}

  /**
   * Counts the success of `attemptId`, once: ONE findOneAndUpdate that `$inc`s only while the campaign is active,
   * below its target (or has none) and has not counted this attempt yet, and records the attempt id in the same
   * write. It can never exceed the target and never counts one attempt twice (within COUNTED_WINDOW).
   * Returns null when refused (not active, or full), else whether the count (this one, or the earlier one of the
   * same attempt) reached the target.
   */
  async count(campaignId: string, attemptId: string): Promise<{ reached: boolean } | null> {
    const doc = await this.models.campaigns
      .findOneAndUpdate(
        {
          _id: campaignId,
          status: 'active',
          countedRecent: { $ne: attemptId },
          $or: [{ target: null }, { $expr: { $lt: ['$redeemedCount', '$target'] } }],
        },
        { $inc: { redeemedCount: 1 }, $push: { countedRecent: { $each: [attemptId], $slice: -COUNTED_WINDOW } } },
        { returnDocument: 'after', projection: { redeemedCount: 1, target: 1 } },
      )
      .lean<CounterView>();
    if (doc) return { reached: reachedOf(doc) };
    // Refused, or already counted by an earlier run of this attempt (killed before its `counted` marker).
    const already = await this.models.campaigns.findOne({ _id: campaignId, countedRecent: attemptId }, { redeemedCount: 1, target: 1 }).lean<CounterView>();
    return already ? { reached: reachedOf(already) } : null;
  }

  /** Whether the campaign remembers counting this attempt (only conclusive within COUNTED_WINDOW successes). */
  async isCounted(campaignId: string, attemptId: string): Promise<boolean> {
    return (await this.models.campaigns.exists({ _id: campaignId, countedRecent: attemptId })) !== null;
  }

  /**
   * Moves a campaign (active, or paused — as PostgreSQL does) whose counter reached its target to
   * stopped/target_reached. Idempotent and conditional on the live counter, so the success that reached the
   * target, its redelivery, a target lowered by `update` and any later reader can all call it.
   * Returns the stopped campaign, or null when there was nothing to stop.
   */
  async stopIfReached(campaignId: string): Promise<CampaignDoc | null> {
    return this.models.campaigns
      .findOneAndUpdate(
        { _id: campaignId, status: { $in: ['active', 'paused'] }, target: { $ne: null }, $expr: { $gte: ['$redeemedCount', '$target'] } },
        { $set: { status: 'stopped', stopReason: 'target_reached', updatedAt: new Date() }, $inc: { rev: 1 } },
        { returnDocument: 'after', projection: CAMPAIGN_FIELDS },
      )
      .lean<CampaignDoc>();
  }

  /**
   * Gives the success of `attemptId` back, once (idempotent by attempt id, recorded in the same write), never
   * below zero. `onlyIfCounted`: only when the campaign remembers counting it (used to undo a run's own count;
   * a rollback of an old redemption, long out of the window, uncounts without that condition).
   * Returns whether this call gave one back. A code redeemed without an attempt id (not by this adapter)
   * uncounts unconditionally.
   */
  async uncount(campaignId: string, attemptId: string | null, options: { onlyIfCounted?: boolean } = {}): Promise<boolean> {
    if (attemptId === null) {
      const res = await this.models.campaigns.updateOne({ _id: campaignId, redeemedCount: { $gt: 0 } }, { $inc: { redeemedCount: -1 } });
      return res.modifiedCount === 1;
    }
    const filter: Record<string, unknown> = { _id: campaignId, redeemedCount: { $gt: 0 }, uncountedRecent: { $ne: attemptId } };
    if (options.onlyIfCounted) filter.countedRecent = attemptId;
    const res = await this.models.campaigns.updateOne(filter, {
      $inc: { redeemedCount: -1 },
      $push: { uncountedRecent: { $each: [attemptId], $slice: -COUNTED_WINDOW } },
    });
    return res.modifiedCount === 1;
  }
}
