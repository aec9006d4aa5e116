import { redeemRefusalOutcome, statesAllowing, type Campaign, type CodeState } from '@dropgate/core';
import type { CodeDoc } from './models';

export type RedeemRefusal = 'already_redeemed' | 'code_already_used' | 'code_locked' | 'code_disabled' | 'code_not_found';
export type RedeemVerdict = { ok: true } | { ok: false; outcome: RedeemRefusal };

export type JudgedCode = Pick<CodeDoc, 'state' | 'customerId' | 'lockReleaseAt' | 'publishedTo'>;

/** A lock whose release time has passed counts as available (lazy release; `releaseDueLocks` sweeps). */
export const isDueLock = (code: Pick<CodeDoc, 'state' | 'lockReleaseAt'>, now: Date): boolean =>
  code.state === 'locked' && code.lockReleaseAt != null && code.lockReleaseAt <= now;

/**
 * Steps 4-5 of the README for one code as read: may `customerId` redeem it at `now`? Pure; the write that
 * follows is conditional on the very state judged here, so a change in between is caught and re-judged.
 */
export function judgeRedeem(code: JudgedCode, campaign: Pick<Campaign, 'redeemRequiresPublication'>, customerId: string, now: Date): RedeemVerdict {
  if (code.state === 'redeemed' && code.customerId === customerId) return { ok: false, outcome: 'already_redeemed' };
  const state: CodeState = isDueLock(code, now) ? 'available' : code.state;
  if (!statesAllowing('redeem').includes(state)) return { ok: false, outcome: redeemRefusalOutcome(code.state) };
  if (state === 'published') {
    // Not revealed: a code published to someone else.
    if (code.publishedTo != null && code.publishedTo !== customerId) return { ok: false, outcome: 'code_not_found' };
    return { ok: true };
  }
  // Available (never published): hidden when the campaign only hands out published codes.
  return campaign.redeemRequiresPublication ? { ok: false, outcome: 'code_not_found' } : { ok: true };
}
