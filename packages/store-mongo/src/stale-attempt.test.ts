import { isStale, planFenceUndo, planRecovery, UNDONE_OUTCOME } from './stale-attempt';

const T = new Date('2026-06-01T12:00:00Z');
const later = (ms: number) => new Date(T.getTime() + ms);

describe('stale attempts', () => {
  it('is stale only once nobody renewed the lease for the whole threshold', () => {
    expect(isStale(null, later(1e9), 1000)).toBe(false); // a fresh attempt, never taken over
    expect(isStale(T, later(999), 1000)).toBe(false);
    expect(isStale(T, later(1000), 1000)).toBe(true);
    expect(isStale(T, later(-5000), 1000)).toBe(false); // lease still running
  });

  it('finishes an attempt that holds a code, counted or not', () => {
    expect(planRecovery({ kind: 'redeem', holdsCode: true, counted: false })).toEqual({ action: 'finish' });
    expect(planRecovery({ kind: 'claim', holdsCode: true, counted: true })).toEqual({ action: 'finish' });
  });

  it('undoes an attempt without a code, uncounting only what was counted', () => {
    expect(planRecovery({ kind: 'claim', holdsCode: false, counted: false })).toEqual({ action: 'undo', uncount: false, outcome: UNDONE_OUTCOME.claim });
    expect(planRecovery({ kind: 'redeem', holdsCode: false, counted: true })).toEqual({ action: 'undo', uncount: true, outcome: UNDONE_OUTCOME.redeem });
    expect(UNDONE_OUTCOME.claim).toBe('sold_out');
  });

  it('after losing its lease, a run keeps only what the recorded result owns', () => {
    // Recorded success with the code this run holds (the other run finished our work): nothing to undo.
    expect(planFenceUndo({ outcome: 'redeemed', code: 'A' }, { heldCode: 'A', countedByThisRun: true })).toEqual({
      giveBackCode: false,
      releaseQuota: false,
      uncount: false,
    });
    // Recorded failure, this run took a code and counted it afterwards: undo all of it.
    expect(planFenceUndo({ outcome: 'sold_out', code: null }, { heldCode: 'A', countedByThisRun: true })).toEqual({
      giveBackCode: true,
      releaseQuota: true,
      uncount: true,
    });
    // already_redeemed names a code held by ANOTHER attempt: ours (if any) goes back, and so does our quota.
    expect(planFenceUndo({ outcome: 'already_redeemed', code: 'B' }, { heldCode: 'A', countedByThisRun: false })).toEqual({
      giveBackCode: true,
      releaseQuota: true,
      uncount: false,
    });
    // Recorded failure, this run wrote nothing but maybe quota: release it (idempotent).
    expect(planFenceUndo({ outcome: 'customer_limit_reached', code: null }, { heldCode: null, countedByThisRun: false })).toEqual({
      giveBackCode: false,
      releaseQuota: true,
      uncount: false,
    });
  });
});
