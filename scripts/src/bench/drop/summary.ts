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
  /** Of botRejected: shed (503 overloaded, refused before the body was read), not judged by the defence. */
  botShed: number;
  botsServed: number;
  doubleAssigned: number;
  customerOverLimit: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
  /** p50/p99 of the POSTs answered at once (refusals, bots' 202s; the baseline's every answer). */
  immediateP50Ms: number;
  immediateP99Ms: number;
  /** p50/p99 of the accepted `Prefer: wait` POSTs (legit customers): answered when the outcome is known, so at least
   *  ATTEMPT_HOLD_MS; null without any (the baseline). */
  longPollP50Ms: number | null;
  longPollP99Ms: number | null;
  longPolls: number;
  /** Long polls whose wait ran out (202: no outcome within `wait=10`). */
  longPollTimedOut: number;
  /**
   * Legit customers whose first request came before the last code went (all of them if codes were left), and how
   * many of them were served. NOT a fairness figure: with far more customers than codes, most of them lose a fair
   * race (the code they found went to a customer who asked for it earlier). See the legit* figures below.
   */
  legitBeforeSoldOut: number;
  legitBeforeSoldOutServed: number;
  /** Legit customers with a request refused by the bot defence: 429 (rate limits, blocks, guess budgets),
   *  `source_blocked`, or a correctly typed published code answered `code_not_found`. Aim: 0. */
  legitRefusedByDefence: number;
  /** Legit customers left unserved although a code they asked for was still free when they asked: refused
   *  `code_already_used` while the code went to a request accepted AFTER theirs (or to nobody). Aim: 0. */
  legitLostWhileAvailable: number;
  /** Of those: the longest time by which the code's winner was accepted after them (ms; null when none). */
  legitLostWhileAvailableMaxGapMs: number | null;
  /** Legit customers whose session ended on an infrastructure failure (5xx, network error, no outcome in 30 s). Aim: 0. */
  legitFailed: number;
  /** Unserved for fair reasons only: every code they asked for went to an earlier request, or the campaign sold out. */
  legitLostFairly: number;
  legitRateLimited: number;
  /** Legit customers' POSTs answered 503 (shed); a customer retries one after its Retry-After, up to 5 times. */
  legitShed: number;
  /** Legit sessions that ended on a 503 after those retries (counted in legitFailed too). Aim: 0. */
  legitGaveUpShed: number;
  errors: number;
  status5xx: number;
  statusReads: number;
  answers: Record<string, number>;
}

export interface SideTimeline {
  requests: SecondBucket[];
  /** Codes won per second since the replay started, by legit customers and by bots. */
  redeemed: Array<{ t: number; legit: number; bots: number }>;
  /** The legit customers' long polls by the second they were sent: how many, their p50 and p99 (ms). */
  longPolls: Array<{ t: number; n: number; p50Ms: number | null; p99Ms: number | null }>;
}

/** What a legit customer's unserved session is put down to (see SideSummary). */
type LegitVerdict = 'served' | 'defence' | 'failed' | 'lostWhileAvailable' | 'lostFairly';

const FAILURES = new Set(['error', 'network_error', 'no_outcome_in_30s', 'no_outcome']);

/**
 * Why each legit customer was, or was not, served. A try's time is its acceptance time as recorded by the side
 * (Dropgate: the attempt's judged-at time, the same clock as the winner's redeemed_at), else the moment it was sent.
 */
function legitVerdicts(r: ReplayResult, holders: readonly Holder[], acceptedAt: ReadonlyMap<string, number>): { verdicts: Map<string, LegitVerdict>; gapsMs: number[] } {
  const gapsMs: number[] = [];
  const holderOf = new Map<string, Holder>();
  for (const h of holders) {
    const known = holderOf.get(h.code);
    if (!known || h.redeemedAt < known.redeemedAt) holderOf.set(h.code, h);
  }
  const served = new Set(holders.filter((h) => h.customerId.startsWith(LEGIT_PREFIX)).map((h) => h.customerId));
  const seen = new Map<string, Set<LegitVerdict>>();
  for (const t of r.legitTries) {
    let flags = seen.get(t.customerId);
    if (!flags) seen.set(t.customerId, (flags = new Set()));
    if (t.status === 429 || t.outcome === 'source_blocked' || (!t.mistyped && t.outcome === 'code_not_found')) flags.add('defence');
    else if (t.status >= 500 || FAILURES.has(t.outcome)) flags.add('failed');
    else if (!t.mistyped && t.outcome === 'code_already_used') {
      const holder = holderOf.get(t.code);
      const accepted = t.attemptId === undefined ? undefined : acceptedAt.get(t.attemptId);
      const at = accepted ?? t.sentAt;
      if (!holder || holder.redeemedAt.getTime() > at) {
        flags.add('lostWhileAvailable');
        if (holder) gapsMs.push(holder.redeemedAt.getTime() - at);
      }
    }
  }
  // Refused by the defence or failed counts even for a customer served in the end: it must never happen to one.
  const verdicts = new Map<string, LegitVerdict>();
  for (const customer of r.legitFirstAt.keys()) {
    const flags = seen.get(customer) ?? new Set<LegitVerdict>();
    const verdict: LegitVerdict = flags.has('defence')
      ? 'defence'
      : flags.has('failed')
        ? 'failed'
        : served.has(customer)
          ? 'served'
          : flags.has('lostWhileAvailable')
            ? 'lostWhileAvailable'
            : 'lostFairly';
    verdicts.set(customer, verdict);
  }
  return { verdicts, gapsMs };
}

export function summarise(
  r: ReplayResult,
  holders: readonly Holder[],
  totalCodes: number,
  db: { doubleAssigned: number; customerOverLimit: number; lost: number; async: boolean; acceptedAt?: ReadonlyMap<string, number> | undefined },
): { summary: SideSummary; timeline: SideTimeline } {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const legitHolders = new Set(holders.filter((h) => h.customerId.startsWith(LEGIT_PREFIX)).map((h) => h.customerId));
  // The moment the last code went: when the distinct codes won reached the campaign's total.
  const firstWin = new Map<string, number>();
  for (const h of holders) firstWin.set(h.code, Math.min(firstWin.get(h.code) ?? Infinity, h.redeemedAt.getTime()));
  const soldOutAt = firstWin.size >= totalCodes ? Math.max(...firstWin.values()) : Infinity;
  let legitBeforeSoldOut = 0;
  let legitBeforeSoldOutServed = 0;
  for (const [customer, at] of r.legitFirstAt) {
    if (at >= soldOutAt) continue;
    legitBeforeSoldOut++;
    if (legitHolders.has(customer)) legitBeforeSoldOutServed++;
  }
  const fairness = legitVerdicts(r, holders, db.acceptedAt ?? new Map());
  const verdicts = [...fairness.verdicts.values()];
  const countOf = (v: LegitVerdict): number => verdicts.filter((x) => x === v).length;
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
      botShed: db.async ? r.botShed : 0,
      botsServed: holders.filter((h) => h.customerId.startsWith(BOT_PREFIX)).length,
      doubleAssigned: db.doubleAssigned,
      customerOverLimit: db.customerOverLimit,
      lost: db.lost,
      p50Ms: round(quantile(sorted, 0.5), 1),
      p99Ms: round(quantile(sorted, 0.99), 1),
      ...split(r),
      legitBeforeSoldOut,
      legitBeforeSoldOutServed,
      legitRefusedByDefence: countOf('defence'),
      legitLostWhileAvailable: countOf('lostWhileAvailable'),
      legitLostWhileAvailableMaxGapMs: fairness.gapsMs.length ? Math.max(...fairness.gapsMs) : null,
      legitFailed: countOf('failed'),
      legitLostFairly: countOf('lostFairly'),
      legitRateLimited: r.legitRateLimited,
      legitShed: r.legitShed,
      legitGaveUpShed: r.legitGaveUpShed,
      errors: r.errors,
      status5xx,
      statusReads: r.statusReads,
      answers: r.answers,
    },
    timeline: { requests: r.timeline, redeemed, longPolls: longPollsBySecond(r) },
  };
}

/** p50/p99 of the answers given at once and of the long polls, apart (the long polls wait for the outcome on purpose). */
function split(r: ReplayResult): Pick<SideSummary, 'immediateP50Ms' | 'immediateP99Ms' | 'longPollP50Ms' | 'longPollP99Ms' | 'longPolls' | 'longPollTimedOut'> {
  const immediate = [...r.immediateLatenciesMs].sort((a, b) => a - b);
  const longPoll = [...r.longPollLatenciesMs].sort((a, b) => a - b);
  return {
    immediateP50Ms: round(quantile(immediate, 0.5), 1),
    immediateP99Ms: round(quantile(immediate, 0.99), 1),
    longPollP50Ms: longPoll.length ? round(quantile(longPoll, 0.5), 1) : null,
    longPollP99Ms: longPoll.length ? round(quantile(longPoll, 0.99), 1) : null,
    longPolls: longPoll.length,
    longPollTimedOut: r.longPollTimedOut,
  };
}

function longPollsBySecond(r: ReplayResult): SideTimeline['longPolls'] {
  const bySecond: number[][] = [];
  for (const t of r.legitTries) {
    if (!t.longPoll) continue;
    const second = Math.max(0, Math.floor((t.sentAt - r.startedAt) / 1000));
    while (bySecond.length <= second) bySecond.push([]);
    bySecond[second]!.push(t.ms);
  }
  return bySecond.map((ms, t) => {
    const sorted = ms.sort((a, b) => a - b);
    return { t, n: sorted.length, p50Ms: sorted.length ? round(quantile(sorted, 0.5), 0) : null, p99Ms: sorted.length ? round(quantile(sorted, 0.99), 0) : null };
  });
}
