import type { AttemptKind, Outcome } from '@dropgate/core';

/**
 * Recovery of attempts that never finished (a worker died and no redelivery came, e.g. the queue ran out of
 * retries) — pure decisions only; the writes are in MongoRedemptionService.recover.
 *
 * An attempt is STALE when nobody has renewed its lease for `staleAfterMs`: live runs renew every third of the
 * lease, and `abandon` ends the lease at the moment the run gave up, so the time since `leaseUntil` is the time
 * since anyone last worked on it. A stale attempt is not run again as if new: whatever it was asked is now
 * old news. It is settled from what it already wrote:
 *   - it holds a code (W3 done): FINISH — count it (idempotent by attempt id, never over the target) and record
 *     the success; if the campaign refuses the count (full, paused, stopped) the code is given back and the
 *     refusal recorded, exactly as a live run would have done at W4;
 *   - it holds no code: UNDO — release its quota units, give back its count if the campaign remembers one
 *     (only possible when a stalled run's code was taken back in between), and record UNDONE_OUTCOME.
 */

/** The recorded outcome of an undone attempt. The outcome vocabulary (@dropgate/core) has no "abandoned"
 *  word; these are the closest refusals a customer already understands ("nothing for you, try again"):
 *  a claim got no code (`sold_out`), a redeem could not take its code now (`code_locked`). The attempt
 *  document also carries `recovered: 'undone'`, so these are told apart from real refusals in storage. */
export const UNDONE_OUTCOME: Record<AttemptKind, Outcome> = { claim: 'sold_out', redeem: 'code_locked' };

/** Default time without a lease renewal after which an attempt is stale (far beyond any queue retry backoff). */
export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;

/** Was the lease, as it was before a takeover, run out for at least `staleAfterMs` at wall-clock `wallNow`? */
export function isStale(previousLeaseUntil: Date | null, wallNow: Date, staleAfterMs: number): boolean {
  if (previousLeaseUntil === null) return false;
  return wallNow.getTime() - previousLeaseUntil.getTime() >= staleAfterMs;
}

export type RecoveryPlan = { action: 'finish' } | { action: 'undo'; uncount: boolean; outcome: Outcome };

export interface RecoveryFacts {
  kind: AttemptKind;
  /** A code carries this attempt's id (W3 done and not taken back). */
  holdsCode: boolean;
  /** The attempt's `counted` marker is set, or the campaign remembers counting it. */
  counted: boolean;
}

export function planRecovery(facts: RecoveryFacts): RecoveryPlan {
  if (facts.holdsCode) return { action: 'finish' };
  return { action: 'undo', uncount: facts.counted, outcome: UNDONE_OUTCOME[facts.kind] };
}

/**
 * After a run lost its lease and another run recorded `recorded`: what must this run take back of its own
 * writes? Its code, unless the recorded result is a success with that very code; its quota units and its
 * count, unless the recorded result is a success that holds a code (then those belong to it).
 */
export interface FenceUndo {
  giveBackCode: boolean;
  releaseQuota: boolean;
  uncount: boolean;
}

export function planFenceUndo(
  recorded: { outcome: Outcome; code: string | null },
  own: { heldCode: string | null; countedByThisRun: boolean },
): FenceUndo {
  const recordedHolds = (recorded.outcome === 'redeemed' || recorded.outcome === 'claimed') && recorded.code !== null;
  return {
    giveBackCode: own.heldCode !== null && !(recordedHolds && recorded.code === own.heldCode),
    releaseQuota: !recordedHolds,
    uncount: own.countedByThisRun && !recordedHolds,
  };
}
