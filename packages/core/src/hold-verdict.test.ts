import { holdRuleOf, holdVerdict, isSuspect, suspectThreshold, type HoldRule, type SourceEvidence } from './hold-verdict';

/** The defaults: caps 10 per address and 50 per subnet, a tenth of them suspect, held at most 15 s. */
const RULE: HoldRule = holdRuleOf({ holdMaxMs: 15_000, addressCap: 10, subnetCap: 50, suspectSharePct: 10 });
const ACCEPTED = Date.UTC(2026, 11, 3, 12, 0, 0);
const DUE = ACCEPTED + 2_000;
const evidence = (e: Partial<SourceEvidence>): SourceEvidence => ({ blocked: false, addressCustomers: 0, subnetCustomers: 0, ...e });

describe('suspectThreshold', () => {
  it('is the share of the cap, rounded up, never under 2 (one customer alone is never suspect); 0 % or no cap: never', () => {
    expect(suspectThreshold(50, 10)).toBe(5);
    expect(suspectThreshold(55, 10)).toBe(6);
    expect(suspectThreshold(10, 10)).toBe(2);
    expect(suspectThreshold(5, 10)).toBe(2);
    expect(suspectThreshold(1, 100)).toBe(2);
    expect(suspectThreshold(300, 20)).toBe(60);
    expect(suspectThreshold(50, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(suspectThreshold(0, 10)).toBe(Number.POSITIVE_INFINITY);
  });

  it('makes the default rule suspect at 2 customers of an address or 5 of a subnet', () => {
    expect(RULE).toEqual({ holdMaxMs: 15_000, suspectAddressCustomers: 2, suspectSubnetCustomers: 5 });
    expect(isSuspect(evidence({ addressCustomers: 1, subnetCustomers: 4 }), RULE)).toBe(false);
    expect(isSuspect(evidence({ addressCustomers: 2 }), RULE)).toBe(true);
    expect(isSuspect(evidence({ addressCustomers: 1, subnetCustomers: 5 }), RULE)).toBe(true);
  });
});

describe('holdVerdict', () => {
  it('refuses an attempt whose source is blocked, suspect or not, at any time', () => {
    expect(holdVerdict(evidence({ blocked: true }), ACCEPTED, DUE, RULE)).toEqual({ action: 'refuse' });
    expect(holdVerdict(evidence({ blocked: true, subnetCustomers: 51 }), ACCEPTED, ACCEPTED + 15_000, RULE)).toEqual({ action: 'refuse' });
  });

  it('judges a clean source at its normal hold: one customer of an address and of its subnet', () => {
    expect(holdVerdict(evidence({ addressCustomers: 1, subnetCustomers: 1 }), ACCEPTED, DUE, RULE)).toEqual({ action: 'judge', suspect: false });
    expect(holdVerdict(evidence({}), ACCEPTED, DUE, RULE)).toEqual({ action: 'judge', suspect: false });
  });

  it('defers a suspect source once, to the hold maximum counted from the acceptance', () => {
    expect(holdVerdict(evidence({ subnetCustomers: 12 }), ACCEPTED, DUE, RULE)).toEqual({ action: 'defer', untilMs: ACCEPTED + 15_000 });
    expect(holdVerdict(evidence({ addressCustomers: 3 }), ACCEPTED, ACCEPTED + 9_000, RULE)).toEqual({ action: 'defer', untilMs: ACCEPTED + 15_000 });
  });

  it('judges a still suspect source once the hold maximum is reached (also when the attempt comes due later: a backlog)', () => {
    expect(holdVerdict(evidence({ subnetCustomers: 49 }), ACCEPTED, ACCEPTED + 15_000, RULE)).toEqual({ action: 'judge', suspect: true });
    expect(holdVerdict(evidence({ subnetCustomers: 49 }), ACCEPTED, ACCEPTED + 60_000, RULE)).toEqual({ action: 'judge', suspect: true });
  });

  it('never defers further than the hold maximum from now (an acceptance time from a clock ahead)', () => {
    expect(holdVerdict(evidence({ subnetCustomers: 12 }), DUE + 3_600_000, DUE, RULE)).toEqual({ action: 'defer', untilMs: DUE + 15_000 });
  });

  it('never defers when the maximum is the hold itself (ATTEMPT_HOLD_MAX_MS = ATTEMPT_HOLD_MS) or the share is 0', () => {
    const noLonger = holdRuleOf({ holdMaxMs: 2_000, addressCap: 10, subnetCap: 50, suspectSharePct: 10 });
    expect(holdVerdict(evidence({ subnetCustomers: 30 }), ACCEPTED, DUE, noLonger)).toEqual({ action: 'judge', suspect: true });
    const off = holdRuleOf({ holdMaxMs: 15_000, addressCap: 10, subnetCap: 50, suspectSharePct: 0 });
    expect(holdVerdict(evidence({ addressCustomers: 9, subnetCustomers: 49 }), ACCEPTED, DUE, off)).toEqual({ action: 'judge', suspect: false });
  });
});
