/**
 * One customer, one id: "Alice", "alice " and "Ａｌｉｃｅ" (full-width) are the same customer. Every path a customer id
 * enters by (the intake's bodies and tokens, the stores' redeem/claim/publish, admin inputs) goes through this one
 * function, so per-customer limits, rate keys and idempotency scopes all see the same string.
 *
 * NFKC folds compatibility forms (full-width letters, ligatures, superscripts); lower-casing is locale-independent;
 * NFKC again because lower-casing can leave a string that NFKC would still change; trim last (NFKC turns exotic
 * spaces into plain ones). Applying it twice changes nothing.
 */
export function normalizeCustomerId(raw: string): string {
  return raw.normalize('NFKC').toLowerCase().normalize('NFKC').trim();
}

/** Longest customer id accepted (after normalisation). */
export const CUSTOMER_ID_MAX_LENGTH = 128;
