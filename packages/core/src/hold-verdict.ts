/**
 * The hold's one rule: when a worker takes an attempt whose hold (ATTEMPT_HOLD_MS, counted from its acceptance) is
 * over, does it judge it now, refuse it (`source_blocked`), or hold it longer? Pure: what the worker read of the
 * attempt's source comes in, the decision goes out (docs/bots.md §5).
 *
 * A source is SUSPECT while its address or its subnet has named at least a share of its distinct-customer cap
 * (RATE_*_CUSTOMERS) in the current window, and always at least 2 customers: one customer alone is never suspect.
 * A suspect source is on its way to the cap (a bot rotating ids), or is several people behind one address or /24: its
 * attempts are held until the hold's maximum (ATTEMPT_HOLD_MAX_MS), then refused if the source was blocked meanwhile,
 * judged otherwise. On a quiet machine a rotating bot reaches its cap within the hold; on a loaded one the intake
 * reads its requests slowly and the cap trips later, so the hold must stretch for the sources that look like it.
 */

/** What a worker reads of an attempt's source (hashed address and subnet), in the MGET it makes anyway. */
export interface SourceEvidence {
  /** Address or subnet blocked now (by any layer of any process). */
  blocked: boolean;
  /** Distinct customer ids its address named in the current window (0 when unknown). */
  addressCustomers: number;
  /** Distinct customer ids its subnet named in the current window (0 when unknown). */
  subnetCustomers: number;
}

export interface HoldRule {
  /** Longest an attempt is held, from its acceptance (ATTEMPT_HOLD_MAX_MS): a suspect source's attempts wait this long. */
  holdMaxMs: number;
  /** Distinct customers of an address from which it is suspect (Infinity: never). */
  suspectAddressCustomers: number;
  /** Distinct customers of a subnet from which it is suspect (Infinity: never). */
  suspectSubnetCustomers: number;
}

export type HoldVerdict =
  /** Judge it now; `suspect`: the source still looks suspect, but the hold's maximum is reached. */
  | { action: 'judge'; suspect: boolean }
  /** The source was blocked after the attempt was accepted: recorded as `source_blocked`. */
  | { action: 'refuse' }
  /** Hold it again, until `untilMs` (epoch ms), then decide again. */
  | { action: 'defer'; untilMs: number };

/** Fewest distinct customers that make a source suspect: `sharePct` % of its cap, at least 2 (0 %: never suspect). */
export function suspectThreshold(cap: number, sharePct: number): number {
  if (sharePct <= 0 || cap <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(2, Math.ceil((cap * sharePct) / 100));
}

/** The rule from the settings: caps RATE_ADDRESS_CUSTOMERS / RATE_SUBNET_CUSTOMERS, share ATTEMPT_SUSPECT_SHARE_PCT. */
export function holdRuleOf(settings: { holdMaxMs: number; addressCap: number; subnetCap: number; suspectSharePct: number }): HoldRule {
  return {
    holdMaxMs: settings.holdMaxMs,
    suspectAddressCustomers: suspectThreshold(settings.addressCap, settings.suspectSharePct),
    suspectSubnetCustomers: suspectThreshold(settings.subnetCap, settings.suspectSharePct),
  };
}

export function isSuspect(evidence: SourceEvidence, rule: HoldRule): boolean {
  return evidence.addressCustomers >= rule.suspectAddressCustomers || evidence.subnetCustomers >= rule.suspectSubnetCustomers;
}

/**
 * The verdict on an attempt accepted at `acceptedAtMs`, taken at `nowMs` (its normal hold over), given its source's
 * `evidence`. A suspect source's attempt is deferred ONCE, to the hold's maximum: its distinct-customer counts only
 * grow within their window, so a look in between could only refuse it sooner, never judge it sooner. The deferral
 * never reaches further than `holdMaxMs` from now, so a wrong clock in `acceptedAtMs` cannot hold an attempt forever.
 */
export function holdVerdict(evidence: SourceEvidence, acceptedAtMs: number, nowMs: number, rule: HoldRule): HoldVerdict {
  if (evidence.blocked) return { action: 'refuse' };
  if (!isSuspect(evidence, rule)) return { action: 'judge', suspect: false };
  const untilMs = Math.min(acceptedAtMs + rule.holdMaxMs, nowMs + rule.holdMaxMs);
  return untilMs > nowMs ? { action: 'defer', untilMs } : { action: 'judge', suspect: true };
}
