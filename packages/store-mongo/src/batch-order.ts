import type { AttemptRequest } from '@dropgate/store';

/**
 * The order a batch's attempts are decided in: by campaign, code (redeems first), acceptance time (`now`: first come,
 * first served on one code), customer, attempt id — the order PostgreSQL's dg_attempt_many uses. Pure.
 */
export function batchOrder(requests: readonly AttemptRequest[]): AttemptRequest[] {
  const codeOf = (r: AttemptRequest): string | null => (r.kind === 'redeem' ? r.code : null);
  const cmp = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  return [...requests].sort(
    (a, b) =>
      cmp(a.campaignId, b.campaignId) || cmp(codeOf(a), codeOf(b)) || a.now.getTime() - b.now.getTime() || cmp(a.customerId, b.customerId) || cmp(a.attemptId, b.attemptId),
  );
}

/** Attempt ids to count per campaign, campaigns in id order (so two batches write campaign documents in one order). Pure. */
export function countsByCampaign(toCount: ReadonlyArray<{ campaignId: string; attemptId: string }>): Array<[string, string[]]> {
  const byCampaign = new Map<string, string[]>();
  for (const { campaignId, attemptId } of toCount) byCampaign.set(campaignId, [...(byCampaign.get(campaignId) ?? []), attemptId]);
  return [...byCampaign.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
