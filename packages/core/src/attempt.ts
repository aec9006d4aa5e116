import type { Outcome } from './outcomes';

export type AttemptKind = 'redeem' | 'claim';

/** Redeem one specific code (someone found it on the web and typed it in). */
export interface RedeemRequest {
  attemptId: string;
  campaignId: string;
  code: string;
  customerId: string;
  now: Date;
}

/** Take the next available code of a tier (first come, first served). */
export interface ClaimRequest {
  attemptId: string;
  campaignId: string;
  /** Defaults to the campaign's first tier. */
  tier?: string | undefined;
  customerId: string;
  now: Date;
}

/** The final, recorded result of an attempt. Delivering the same attempt again returns the same result. */
export interface AttemptResult {
  attemptId: string;
  kind: AttemptKind;
  campaignId: string;
  customerId: string;
  outcome: Outcome;
  code: string | null;
  tier: string | null;
  reward: string | null;
  finishedAt: Date;
  /**
   * Set when an operator rolled the attempt's code back (`codes.rollback`), as of that request's `now`: the record
   * keeps what the attempt got, but it no longer holds that code, which may since have gone to someone else.
   */
  rolledBackAt: Date | null;
}

/** Attempt ids are chosen by callers (queue job ids); keep them to a safe, bounded alphabet. */
export const ATTEMPT_ID = /^[A-Za-z0-9_-]{8,64}$/;
