import { judgeRedeem, type JudgedCode } from './redeem-judge';

const NOW = new Date('2026-06-01T12:00:00Z');
const open = { redeemRequiresPublication: false };
const gated = { redeemRequiresPublication: true };
const code = (over: Partial<JudgedCode> = {}): JudgedCode => ({
  state: 'available',
  customerId: null,
  lockReleaseAt: null,
  publishedTo: null,
  ...over,
});

describe('judgeRedeem', () => {
  it('lets anyone redeem an available code unless the campaign requires publication', () => {
    expect(judgeRedeem(code(), open, 'alice', NOW)).toEqual({ ok: true });
    expect(judgeRedeem(code(), gated, 'alice', NOW)).toEqual({ ok: false, outcome: 'code_not_found' });
  });

  it('answers already_redeemed to the owner and code_already_used to anyone else', () => {
    const redeemed = code({ state: 'redeemed', customerId: 'alice' });
    expect(judgeRedeem(redeemed, open, 'alice', NOW)).toEqual({ ok: false, outcome: 'already_redeemed' });
    expect(judgeRedeem(redeemed, open, 'bob', NOW)).toEqual({ ok: false, outcome: 'code_already_used' });
  });

  it('honours a lock until its release time, a lock without one forever', () => {
    const timed = code({ state: 'locked', lockReleaseAt: new Date(NOW.getTime() + 1) });
    expect(judgeRedeem(timed, open, 'a', NOW)).toEqual({ ok: false, outcome: 'code_locked' });
    expect(judgeRedeem(timed, open, 'a', new Date(NOW.getTime() + 1))).toEqual({ ok: true });
    expect(judgeRedeem(code({ state: 'locked' }), open, 'a', new Date(9e15))).toEqual({ ok: false, outcome: 'code_locked' });
    // a due lock is an available code: still hidden when publication is required
    expect(judgeRedeem(timed, gated, 'a', new Date(NOW.getTime() + 1))).toEqual({ ok: false, outcome: 'code_not_found' });
  });

  it('refuses disabled codes', () => {
    expect(judgeRedeem(code({ state: 'disabled' }), open, 'a', NOW)).toEqual({ ok: false, outcome: 'code_disabled' });
  });

  it('lets a published code be redeemed by its customer or, for a channel, by anyone', () => {
    expect(judgeRedeem(code({ state: 'published' }), gated, 'anyone', NOW)).toEqual({ ok: true });
    const personal = code({ state: 'published', publishedTo: 'vip' });
    expect(judgeRedeem(personal, gated, 'vip', NOW)).toEqual({ ok: true });
    expect(judgeRedeem(personal, open, 'other', NOW)).toEqual({ ok: false, outcome: 'code_not_found' });
  });
});
