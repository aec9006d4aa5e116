import { CAMPAIGN_SCOPE, tierScope, type Campaign, type QuotaScope } from '@dropgate/core';
import { isDuplicateKeyError } from './mongo-errors';
import { quotaKey, type Models, type QuotaDoc } from './models';

const MAX_UPSERT_RACES = 20;

/**
 * Per-customer limits as conditional writes on one small document per (campaign, scope, customer):
 * an attempt holds a unit by having its id in `holders`. Reserving and releasing are idempotent by attempt id,
 * which is what lets a redelivery redo them blindly.
 */
export class CustomerQuota {
  constructor(private readonly models: Models) {}

  /**
   * Reserves one unit in every scope; on the first refusal gives back what it took and returns false.
   * Narrowest scope first (tier, then campaign — the reverse of quotaScopes' order): a unit taken and then given
   * back is visible to the customer's concurrent attempts for a moment, so it is taken in the wider campaign
   * scope only once the tier has said yes; otherwise claims of a full tier would briefly fill the campaign scope
   * and refuse the customer's other tiers (PostgreSQL serialises this under the quota row lock instead).
   */
  async reserve(campaignId: string, customerId: string, attemptId: string, scopes: QuotaScope[]): Promise<boolean> {
    const taken: string[] = [];
    for (const { scope, limit } of [...scopes].reverse()) {
      const key = quotaKey(campaignId, scope, customerId);
      if (!(await this.reserveOne(key, limit, attemptId))) {
        if (taken.length > 0) await this.models.quotas.updateMany({ _id: { $in: taken } }, { $pull: { holders: attemptId } });
        return false;
      }
      taken.push(key);
    }
    return true;
  }

  /**
   * `$push` only if the attempt is not a holder yet and slot `limit-1` is empty, upserting the first time.
   * When the filter does not match, the upsert tries to insert the existing `_id` and fails with 11000: then the
   * document tells whether we already hold a unit (a redelivery: fine), the limit is reached, or we merely lost
   * a race to create the document (retry).
   */
  private async reserveOne(key: string, limit: number, attemptId: string): Promise<boolean> {
    for (let i = 0; i < MAX_UPSERT_RACES; i++) {
      try {
        await this.models.quotas.updateOne(
          { _id: key, holders: { $ne: attemptId }, [`holders.${limit - 1}`]: { $exists: false } },
          { $push: { holders: attemptId } },
          { upsert: true, setDefaultsOnInsert: false },
        );
        return true;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      const doc = await this.models.quotas.findById(key).lean<QuotaDoc>();
      const holders = doc?.holders ?? [];
      if (holders.includes(attemptId)) return true;
      if (holders.length >= limit) return false;
    }
    throw new Error(`customer quota ${key}: too much contention, giving up`);
  }

  /**
   * Gives back whatever this attempt holds in the campaign, in every scope it could have used (one write).
   * Used for failed attempts (including redeliveries that do not know what an earlier run reserved) and rollbacks.
   */
  async releaseAll(campaign: Pick<Campaign, 'id' | 'tiers'>, customerId: string, attemptId: string): Promise<void> {
    const keys = [CAMPAIGN_SCOPE, ...campaign.tiers.map((t) => tierScope(t.name))].map((scope) => quotaKey(campaign.id, scope, customerId));
    await this.models.quotas.updateMany({ _id: { $in: keys } }, { $pull: { holders: attemptId } });
  }

  /** Like releaseAll for a known tier only (idempotent); returns the keys that still held the attempt. */
  async releaseFor(campaignId: string, tier: string, customerId: string, attemptId: string): Promise<string[]> {
    const keys = [CAMPAIGN_SCOPE, tierScope(tier)].map((scope) => quotaKey(campaignId, scope, customerId));
    const held = await this.models.quotas.find({ _id: { $in: keys }, holders: attemptId }, { _id: 1 }).lean<Pick<QuotaDoc, '_id'>[]>();
    if (held.length > 0) await this.models.quotas.updateMany({ _id: { $in: held.map((d) => d._id) } }, { $pull: { holders: attemptId } });
    return held.map((d) => d._id);
  }
}
