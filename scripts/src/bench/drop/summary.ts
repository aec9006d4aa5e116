import { round } from '../table';
import type { Holder } from './dropgate-side';
import { quantile, type ReplayResult, type SecondBucket } from './replay';
import { BOT_PREFIX, LEGIT_PREFIX } from './traffic';

/** One side's figures, as the final JSON line carries them (issue 7 item 8), plus what explains them. */
export interface SideSummary {
  requests: number;
  durationS: number;
  requestsPerSec: number;
  accepted: number;
  rateLimited: number;
  filtered: number;
  redeemed: number;
  legitServed: number;
  legitTotal: number;
  botRequests: number;
  botRejected: number;
  /** Of botRejected: refused because the campaign was over (sold out), not by the defence. */
  botRejectedCampaignOver: number;
  botsServed: number;
  doubleAssigned: number;
  customerOverLimit: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
  /** Legit customers whose first request came before the last code went (all of them if codes were left). */
  legitEligible: number;
  legitEligibleServed: number;
  legitRateLimited: number;
  errors: number;
  status5xx: number;
  statusReads: number;
  answers: Record<string, number>;
}

export interface SideTimeline {
  requests: SecondBucket[];
  /** Codes won per second since the replay started, by legit customers and by bots. */
  redeemed: Array<{ t: number; legit: number; bots: number }>;
}

export function summarise(
  r: ReplayResult,
  holders: readonly Holder[],
  totalCodes: number,
  db: { doubleAssigned: number; customerOverLimit: number; lost: number; async: boolean },
): { summary: SideSummary; timeline: SideTimeline } {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const legitHolders = new Set(holders.filter((h) => h.customerId.startsWith(LEGIT_PREFIX)).map((h) => h.customerId));
  // The moment the last code went: when the distinct codes won reached the campaign's total.
  const firstWin = new Map<string, number>();
  for (const h of holders) firstWin.set(h.code, Math.min(firstWin.get(h.code) ?? Infinity, h.redeemedAt.getTime()));
  const soldOutAt = firstWin.size >= totalCodes ? Math.max(...firstWin.values()) : Infinity;
  let legitEligible = 0;
  let legitEligibleServed = 0;
  for (const [customer, at] of r.legitFirstAt) {
    if (at >= soldOutAt) continue;
    legitEligible++;
    if (legitHolders.has(customer)) legitEligibleServed++;
  }
  const redeemed: SideTimeline['redeemed'] = [];
  for (const h of holders) {
    const t = Math.max(0, Math.floor((h.redeemedAt.getTime() - r.startedAt) / 1000));
    while (redeemed.length <= t) redeemed.push({ t: redeemed.length, legit: 0, bots: 0 });
    if (h.customerId.startsWith(BOT_PREFIX)) redeemed[t]!.bots++;
    else redeemed[t]!.legit++;
  }
  const status5xx = Object.entries(r.statuses).reduce((n, [s, c]) => n + (Number(s) >= 500 ? c : 0), 0);
  return {
    summary: {
      requests: r.requests,
      durationS: round(r.durationS, 1),
      requestsPerSec: Math.round(r.requests / r.durationS),
      accepted: r.accepted,
      rateLimited: r.rateLimited,
      filtered: db.async ? r.notFoundAtOnce : 0,
      redeemed: holders.length,
      legitServed: legitHolders.size,
      legitTotal: r.legitTotal,
      botRequests: r.botRequests,
      botRejected: db.async ? r.botRefused : 0,
      botRejectedCampaignOver: db.async ? r.botRefusedCampaignOver : 0,
      botsServed: holders.filter((h) => h.customerId.startsWith(BOT_PREFIX)).length,
      doubleAssigned: db.doubleAssigned,
      customerOverLimit: db.customerOverLimit,
      lost: db.lost,
      p50Ms: round(quantile(sorted, 0.5), 1),
      p99Ms: round(quantile(sorted, 0.99), 1),
      legitEligible,
      legitEligibleServed,
      legitRateLimited: r.legitRateLimited,
      errors: r.errors,
      status5xx,
      statusReads: r.statusReads,
      answers: r.answers,
    },
    timeline: { requests: r.timeline, redeemed },
  };
}
