import type { CampaignStatus } from '@dropgate/core';
import { COUNTER_SHARDS, counterId, type CampaignCounterDoc, type CampaignDoc, type Models } from './models';
import type { Tx } from './transaction';

/**
 * A campaign's success count, inside transactions.
 *
 * WITH a target the count must be exact, so it lives on the campaign document: a transaction reads it, decides how
 * many successes still fit, and writes it; any concurrent count makes one of the two writes conflict and run again.
 * That document is hot (every success of the campaign writes it), the price of an exact target, as on PostgreSQL.
 * WITHOUT a target nothing needs to be exact at once, and one hot document would make every concurrent success
 * conflict: successes go to one of COUNTER_SHARDS shard documents, picked at random.
 * Setting a target folds the shards into the document and closes them; a success counted on an open shard
 * concurrently conflicts with that fold (the fold writes every shard), so no success slips past the target.
 */

/** How many of `wanted` successes fit below the target (all of them without one). Pure. */
export function grantUnderTarget(counted: number, target: number | null, wanted: number): number {
  if (target === null) return wanted;
  return Math.max(0, Math.min(wanted, target - counted));
}

/** The status change a count of `after` successes makes: an active or paused campaign that reaches its target stops. Pure. */
export function stopAtTarget(
  campaign: Pick<CampaignDoc, 'status' | 'target'>,
  after: number,
): { status: CampaignStatus; stopReason: 'target_reached' } | null {
  const reached = campaign.target !== null && after >= campaign.target;
  return reached && (campaign.status === 'active' || campaign.status === 'paused') ? { status: 'stopped', stopReason: 'target_reached' } : null;
}

/** Counts up to `wanted` successes of a campaign (see above); returns how many it counted. */
export async function countSuccesses(tx: Tx, models: Models, campaignId: string, wanted: number): Promise<number> {
  if (wanted <= 0) return 0;
  const campaign = await tx.findById(models.campaigns, campaignId);
  if (!campaign) return 0;
  if (campaign.target === null) {
    const shard = await tx.updateOne(models.counters, { _id: counterId(campaignId, randomShard()), open: true }, { $inc: { n: wanted } });
    if (shard.matched === 1) return wanted;
  }
  const granted = grantUnderTarget(campaign.redeemedCount, campaign.target, wanted);
  if (granted === 0) return 0;
  const after = campaign.redeemedCount + granted;
  const stop = stopAtTarget(campaign, after);
  const res = await tx.updateOne(
    models.campaigns,
    { _id: campaignId, redeemedCount: campaign.redeemedCount },
    { $set: { redeemedCount: after, ...(stop ? { ...stop, updatedAt: new Date() } : {}) } },
  );
  // Unreachable inside a transaction (a concurrent count would have made this write conflict): fail loudly.
  if (res.matched !== 1) throw new Error(`campaign ${campaignId}: count changed under a transaction`);
  return granted;
}

/** Takes one success back (rollback): from an open shard, else from the campaign document (never below 0 there). */
export async function uncountSuccess(tx: Tx, models: Models, campaignId: string): Promise<void> {
  const shard = await tx.updateOne(models.counters, { _id: counterId(campaignId, randomShard()), open: true }, { $inc: { n: -1 } });
  if (shard.matched === 1) return;
  await tx.updateOne(models.campaigns, { _id: campaignId, redeemedCount: { $gt: 0 } }, { $inc: { redeemedCount: -1 }, $set: { updatedAt: new Date() } });
}

/** The successes counted on a campaign's shards. */
export async function shardedCount(tx: Tx, models: Models, campaignId: string): Promise<number> {
  const rows = await tx.aggregate<{ n: number }, CampaignCounterDoc>(models.counters, [{ $match: { campaignId } }, { $group: { _id: null, n: { $sum: '$n' } } }]);
  return rows[0]?.n ?? 0;
}

/**
 * A target appears: fold the shards into the document and close them (every shard is written: a concurrent
 * success on a shard conflicts). It disappears: reopen them. Returns what was folded.
 */
export async function switchCounting(tx: Tx, models: Models, campaignId: string, hadTarget: boolean, hasTarget: boolean): Promise<number> {
  if (!hadTarget && hasTarget) {
    const folded = await shardedCount(tx, models, campaignId);
    await tx.updateMany(models.counters, { campaignId }, { $set: { n: 0, open: false } });
    await tx.updateOne(models.campaigns, { _id: campaignId }, { $inc: { redeemedCount: folded } });
    return folded;
  }
  if (hadTarget && !hasTarget) await tx.updateMany(models.counters, { campaignId }, { $set: { open: true } });
  return 0;
}

/** The shard documents of a new campaign (all created with it: a shard never appears mid-flight). */
export function newShards(campaignId: string, open: boolean): Array<{ _id: string; campaignId: string; n: number; open: boolean }> {
  return Array.from({ length: COUNTER_SHARDS }, (_, shard) => ({ _id: counterId(campaignId, shard), campaignId, n: 0, open }));
}

const randomShard = (): number => Math.floor(Math.random() * COUNTER_SHARDS);
