import { heldFrom, holdVerdict, type HoldRule, type SourceCounts, type SourceEvidence } from './hold-verdict';

/** The defaults: looks one hold (2 s) apart, held at most 15 s from acceptance, caps 10 per address and 50 per subnet. */
const RULE: HoldRule = { stepMs: 2_000, holdMaxMs: 15_000, heldAddressCustomers: heldFrom(10), heldSubnetCustomers: heldFrom(50) };
const NEVER = Number.POSITIVE_INFINITY;
const ACCEPTED = Date.UTC(2026, 11, 3, 12, 0, 0);
const DUE = ACCEPTED + 2_000;
const evidence = (e: Partial<SourceEvidence>): SourceEvidence => ({ blocked: false, addressCustomers: 0, subnetCustomers: 0, ...e });
const counts = (addressCustomers: number, subnetCustomers: number): SourceCounts => ({ addressCustomers, subnetCustomers });

describe('heldFrom', () => {
  it('is a tenth of the cap, rounded up, at least 3 (a household of two is never held to the maximum); no cap: never', () => {
    expect([heldFrom(10), heldFrom(50), heldFrom(55), heldFrom(300), heldFrom(1), heldFrom(0)]).toEqual([3, 5, 6, 30, 3, NEVER]);
  });
});

describe('holdVerdict', () => {
  it('refuses an attempt whose source is blocked, at any look', () => {
    expect(holdVerdict(evidence({ blocked: true }), undefined, ACCEPTED, DUE, RULE)).toEqual({ action: 'refuse' });
    expect(holdVerdict(evidence({ blocked: true, subnetCustomers: 51 }), counts(1, 30), ACCEPTED, ACCEPTED + 15_000, RULE)).toEqual({ action: 'refuse' });
  });

  it('judges a customer alone on their address and subnet at the normal hold (also when nothing is known of the source)', () => {
    expect(holdVerdict(evidence({ addressCustomers: 1, subnetCustomers: 1 }), undefined, ACCEPTED, DUE, RULE)).toEqual({ action: 'judge', held: false });
    expect(holdVerdict(evidence({}), undefined, ACCEPTED, DUE, RULE)).toEqual({ action: 'judge', held: false });
  });

  it('looks again one step later at a source that named more than one customer (address or subnet), noting what it saw', () => {
    expect(holdVerdict(evidence({ addressCustomers: 1, subnetCustomers: 2 }), undefined, ACCEPTED, DUE, RULE)).toEqual({ action: 'defer', untilMs: DUE + 2_000, seen: counts(1, 2) });
    expect(holdVerdict(evidence({ addressCustomers: 2, subnetCustomers: 2 }), undefined, ACCEPTED, DUE + 300, RULE)).toEqual({ action: 'defer', untilMs: DUE + 2_300, seen: counts(2, 2) });
  });

  it('holds it again while the source keeps naming new customers (a bot rotating ids), and judges it once its counts stand still', () => {
    expect(holdVerdict(evidence({ addressCustomers: 1, subnetCustomers: 9 }), counts(1, 4), ACCEPTED, DUE + 2_000, RULE)).toEqual({ action: 'defer', untilMs: DUE + 4_000, seen: counts(1, 9) });
    expect(holdVerdict(evidence({ addressCustomers: 3, subnetCustomers: 9 }), counts(2, 9), ACCEPTED, DUE + 4_000, RULE)).toEqual({ action: 'defer', untilMs: DUE + 6_000, seen: counts(3, 9) });
    // A household of two whose count stands still: judged at this look.
    expect(holdVerdict(evidence({ addressCustomers: 2, subnetCustomers: 2 }), counts(2, 2), ACCEPTED, DUE + 2_000, RULE)).toEqual({ action: 'judge', held: true });
  });

  it('holds a source that named a tenth of its cap to the maximum even when its count stood still for a step (an overloaded intake may read nothing of it)', () => {
    expect(holdVerdict(evidence({ addressCustomers: 1, subnetCustomers: 5 }), counts(1, 5), ACCEPTED, DUE + 2_000, RULE)).toEqual({ action: 'defer', untilMs: DUE + 4_000, seen: counts(1, 5) });
    expect(holdVerdict(evidence({ addressCustomers: 3, subnetCustomers: 3 }), counts(3, 3), ACCEPTED, DUE + 2_000, RULE)).toEqual({ action: 'defer', untilMs: DUE + 4_000, seen: counts(3, 3) });
    expect(holdVerdict(evidence({ addressCustomers: 1, subnetCustomers: 4 }), counts(1, 4), ACCEPTED, DUE + 2_000, RULE)).toEqual({ action: 'judge', held: true });
  });

  it('never holds past the maximum counted from the acceptance: the last look is at it, and judges a source still growing', () => {
    expect(holdVerdict(evidence({ subnetCustomers: 40 }), counts(0, 30), ACCEPTED, ACCEPTED + 14_000, RULE)).toEqual({ action: 'defer', untilMs: ACCEPTED + 15_000, seen: counts(0, 40) });
    expect(holdVerdict(evidence({ subnetCustomers: 49 }), counts(0, 40), ACCEPTED, ACCEPTED + 15_000, RULE)).toEqual({ action: 'judge', held: true });
    // Come due after the maximum (a backlog): judged at once.
    expect(holdVerdict(evidence({ subnetCustomers: 20 }), undefined, ACCEPTED, ACCEPTED + 60_000, RULE)).toEqual({ action: 'judge', held: false });
  });

  it('never defers further than the maximum from now (an acceptance time from a clock ahead)', () => {
    const far = { ...RULE, stepMs: 60_000 };
    expect(holdVerdict(evidence({ subnetCustomers: 12 }), undefined, DUE + 3_600_000, DUE, far)).toEqual({ action: 'defer', untilMs: DUE + 15_000, seen: counts(0, 12) });
  });

  it('holds nobody longer with a maximum of 0 or the hold itself', () => {
    expect(holdVerdict(evidence({ addressCustomers: 9, subnetCustomers: 49 }), undefined, ACCEPTED, DUE, { ...RULE, holdMaxMs: 0 })).toEqual({ action: 'judge', held: false });
    expect(holdVerdict(evidence({ addressCustomers: 9, subnetCustomers: 49 }), undefined, ACCEPTED, DUE, { ...RULE, holdMaxMs: 2_000 })).toEqual({ action: 'judge', held: false });
  });
});
