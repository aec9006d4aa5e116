/**
 * The hold's one rule: when a worker takes an attempt whose hold is over, does it judge it now, refuse it
 * (`source_blocked`), or hold it one more time? Pure: what the worker read of the attempt's source comes in, the
 * decision goes out (docs/bots.md §5).
 *
 * The evidence is what the distinct-customer caps (RATE_*_CUSTOMERS) count: how many customer ids the attempt's
 * address and its subnet named in the current window. A customer alone on their address and /24 names 1: judged at
 * the normal hold. A source that named more than one is looked at again one hold later, and held again for as long as
 * it keeps naming NEW customers between two looks — what a bot rotating ids does until its cap blocks it (then
 * `source_blocked`) — or while it has named a tenth of its cap (at least 3: an overloaded intake may read nothing
 * of a bot for a whole step, so a count that stood still is not proof enough once it is that high), up to the hold's
 * maximum (ATTEMPT_HOLD_MAX_MS from acceptance). A household whose count stands still below that is judged at the
 * next look. On a quiet machine a rotating bot reaches its cap within the first hold; on a loaded one the intake
 * reads its requests slowly and the cap trips later: the looks wait for it.
 */

/** Distinct customer ids an attempt's address and subnet named in the current window (0 when unknown). */
export interface SourceCounts {
  addressCustomers: number;
  subnetCustomers: number;
}

/** What a worker reads of an attempt's source (hashed address and subnet), in the MGET it makes anyway. */
export interface SourceEvidence extends SourceCounts {
  /** Address or subnet blocked now (by any layer of any process). */
  blocked: boolean;
}

export interface HoldRule {
  /** One look's wait (ATTEMPT_HOLD_MS, at least 1 ms here): how long a held attempt waits before the next look. */
  stepMs: number;
  /** Longest an attempt is held, from its acceptance (ATTEMPT_HOLD_MAX_MS); at most the hold itself: nobody held longer. */
  holdMaxMs: number;
  /** Distinct customers of an address from which it is held to the maximum, growing or not (Infinity: never). */
  heldAddressCustomers: number;
  /** Distinct customers of a subnet from which it is held to the maximum, growing or not (Infinity: never). */
  heldSubnetCustomers: number;
}

/** From how many customers a source is held to the maximum: a tenth of its cap, at least 3 (0 cap: never). */
export function heldFrom(cap: number): number {
  return cap > 0 ? Math.max(3, Math.ceil(cap / 10)) : Number.POSITIVE_INFINITY;
}

export type HoldVerdict =
  /** Judge it now; `held`: it was held longer than the hold (the maximum is reached, or its source stood still). */
  | { action: 'judge'; held: boolean }
  /** The source was blocked after the attempt was accepted: recorded as `source_blocked`. */
  | { action: 'refuse' }
  /** Hold it again until `untilMs` (epoch ms), then look again, comparing with `seen`. */
  | { action: 'defer'; untilMs: number; seen: SourceCounts };

/** Named more than one customer (a single customer is never held longer). */
function shared(counts: SourceCounts): boolean {
  return counts.addressCustomers > 1 || counts.subnetCustomers > 1;
}

/** Named a customer since the previous look. */
function grew(now: SourceCounts, before: SourceCounts): boolean {
  return now.addressCustomers > before.addressCustomers || now.subnetCustomers > before.subnetCustomers;
}

/**
 * The verdict on an attempt accepted at `acceptedAtMs`, taken at `nowMs` (its hold over), given its source's
 * `evidence` now and what the previous look `seen` (undefined at the first look). A deferral never reaches past the
 * maximum nor further than `holdMaxMs` from now, so a wrong clock in `acceptedAtMs` cannot hold an attempt forever.
 */
export function holdVerdict(evidence: SourceEvidence, seen: SourceCounts | undefined, acceptedAtMs: number, nowMs: number, rule: HoldRule): HoldVerdict {
  if (evidence.blocked) return { action: 'refuse' };
  const high = evidence.addressCustomers >= rule.heldAddressCustomers || evidence.subnetCustomers >= rule.heldSubnetCustomers;
  const suspect = high || (seen === undefined ? shared(evidence) : grew(evidence, seen));
  if (!suspect) return { action: 'judge', held: seen !== undefined };
  const untilMs = Math.min(nowMs + Math.max(1, rule.stepMs), acceptedAtMs + rule.holdMaxMs, nowMs + rule.holdMaxMs);
  if (untilMs <= nowMs) return { action: 'judge', held: seen !== undefined };
  return { action: 'defer', untilMs, seen: { addressCustomers: evidence.addressCustomers, subnetCustomers: evidence.subnetCustomers } };
}
