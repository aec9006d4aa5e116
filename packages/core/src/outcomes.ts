/**
 * The outcome vocabulary: the one source of truth for what an attempt can end as.
 * Every layer (store, worker, intake, admin, metrics) speaks these words and no others.
 */
export const OUTCOMES = {
  /** A specific code was redeemed by this attempt. */
  redeemed: { success: true },
  /** The next available code of a tier was assigned by this attempt. */
  claimed: { success: true },
  /** Same customer + same code already redeemed (by another attempt): idempotent success. */
  already_redeemed: { success: true },
  code_not_found: { success: false },
  code_already_used: { success: false },
  code_locked: { success: false },
  code_disabled: { success: false },
  campaign_not_active: { success: false },
  customer_limit_reached: { success: false },
  sold_out: { success: false },
  /**
   * Refused by the bot defence after it was accepted: when a worker came to it, its source (address or subnet) had
   * been blocked by the rate, distinct-customer or guess-budget layers (see ATTEMPT_HOLD_MS, docs/bots.md).
   */
  source_blocked: { success: false },
} as const satisfies Record<string, { success: boolean }>;

export type Outcome = keyof typeof OUTCOMES;

export const OUTCOME_NAMES = Object.keys(OUTCOMES) as Outcome[];

export function isOutcome(value: unknown): value is Outcome {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(OUTCOMES, value);
}

export function isSuccessOutcome(outcome: Outcome): boolean {
  return OUTCOMES[outcome].success;
}
