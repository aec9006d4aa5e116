import { CAMPAIGN_SCOPE, tierScope, type QuotaScope } from '@dropgate/core';
import { quotaKey, type Models } from './models';
import type { Tx } from './transaction';

/** Whether one more unit fits in every scope, given the holders each scope's document has now. Pure. */
export function quotaAllows(scopes: readonly QuotaScope[], holdersByScope: ReadonlyMap<string, readonly string[]>): boolean {
  return scopes.every((s) => (holdersByScope.get(s.scope)?.length ?? 0) < s.limit);
}

/**
 * Per-customer limits, inside a transaction: read the customer's quota documents of the attempt's scopes, and if
 * every scope has room, add the attempt to each. The documents are written, so two attempts of one customer
 * deciding at once conflict and one runs again on what the other wrote: nobody goes over a limit.
 */
export async function reserveQuota(tx: Tx, models: Models, campaignId: string, customerId: string, attemptId: string, scopes: readonly QuotaScope[]): Promise<boolean> {
  const keys = scopes.map((s) => quotaKey(campaignId, s.scope, customerId));
  const docs = await tx.find(models.quotas, { _id: { $in: keys } });
  const holders = new Map(scopes.map((s, i) => [s.scope, docs.find((d) => d._id === keys[i])?.holders ?? []]));
  if (!quotaAllows(scopes, holders)) return false;
  for (const key of keys) await tx.updateOne(models.quotas, { _id: key }, { $push: { holders: attemptId } }, true);
  return true;
}

/** Gives back the units one attempt holds in a campaign (campaign scope and the tier's), e.g. on rollback. */
export async function releaseQuota(tx: Tx, models: Models, campaignId: string, customerId: string, tier: string, attemptId: string): Promise<void> {
  const keys = [CAMPAIGN_SCOPE, tierScope(tier)].map((scope) => quotaKey(campaignId, scope, customerId));
  await tx.updateMany(models.quotas, { _id: { $in: keys }, holders: attemptId }, { $pull: { holders: attemptId } });
}
