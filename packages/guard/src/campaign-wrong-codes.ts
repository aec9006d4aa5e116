import type { Redis } from 'ioredis';

/**
 * Wrong codes per campaign (filter misses at the intakes and `code_not_found` at the workers): one Redis hash under the
 * guess budgets' prefix, field = campaign id, incremented by the same script call that spends the budgets. It has no
 * expiry (the counts last as long as Redis's data) and never blocks anything: it is for metrics and the admin.
 */
export function campaignWrongCodesKey(guessPrefix: string): string {
  return `${guessPrefix}:campaigns`;
}

/** A campaign's wrong codes counted so far (0 when none). */
export async function readCampaignWrongCodes(redis: Redis, guessPrefix: string, campaignId: string): Promise<number> {
  return Number((await redis.hget(campaignWrongCodesKey(guessPrefix), campaignId)) ?? 0);
}

/** Every campaign's wrong codes counted so far, by campaign id. */
export async function readAllCampaignWrongCodes(redis: Redis, guessPrefix: string): Promise<Record<string, number>> {
  const raw = await redis.hgetall(campaignWrongCodesKey(guessPrefix));
  return Object.fromEntries(Object.entries(raw).map(([id, n]) => [id, Number(n)]));
}
