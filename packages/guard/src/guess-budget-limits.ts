/**
 * How many wrong codes a source may send before it is blocked, and for how long. Every wrong code counts against
 * the address, its subnet and the customer id at once; the first budget spent blocks that key. Each new block of
 * the same key within `strikeMemoryS` lasts the next duration of `blockS` (e.g. 1 min, 10 min, 1 h, then 1 h).
 */
export interface GuessBudgetLimits {
  addressGuesses: number;
  subnetGuesses: number;
  customerGuesses: number;
  /** The window the budgets count over (a fixed window, from the key's first wrong code). */
  windowS: number;
  /** Escalating block durations: the nth block lasts blockS[n-1] (the last one repeats). */
  blockS: readonly number[];
  /** How long a key's blocks are remembered for escalation. */
  strikeMemoryS: number;
}

/**
 * Defaults (docs/bots.md has the arithmetic): an honest person may mistype several times (10 wrong codes per
 * customer, 20 per address per 15 min: a family or an office behind one address included); a bot sending
 * well-formed wrong codes from one address is blocked at its 21st, whatever customer ids it rotates; a subnet
 * rotating addresses at its 101st.
 */
export const DEFAULT_GUESS_BUDGET: GuessBudgetLimits = Object.freeze({
  addressGuesses: 20,
  subnetGuesses: 100,
  customerGuesses: 10,
  windowS: 15 * 60,
  blockS: Object.freeze([60, 600, 3600]),
  strikeMemoryS: 24 * 3600,
});

/** The block the nth strike (1-based) earns. */
export function blockSecondsFor(strike: number, blockS: readonly number[]): number {
  if (blockS.length === 0) return 0;
  const index = Math.min(Math.max(1, Math.floor(strike)), blockS.length) - 1;
  return blockS[index] as number;
}

/** Campaign overrides (partial) over the defaults; checked so a bad override cannot switch the budget off. */
export function guessBudgetWith(base: GuessBudgetLimits, override: Partial<GuessBudgetLimits> | undefined): GuessBudgetLimits {
  if (!override) return base;
  const merged = { ...base, ...override };
  for (const name of ['addressGuesses', 'subnetGuesses', 'customerGuesses', 'windowS', 'strikeMemoryS'] as const) {
    const v = merged[name];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`guess budget ${name} must be a positive integer (got ${String(v)})`);
  }
  if (merged.blockS.length === 0 || merged.blockS.some((s) => !Number.isInteger(s) || s < 1)) throw new RangeError('guess budget blockS must be positive whole seconds');
  return merged;
}

/** The GUESS_* settings as @dropgate/config parses them (structural: this package does not read config). */
export interface GuessBudgetSettings {
  GUESS_ADDRESS_BUDGET: number;
  GUESS_SUBNET_BUDGET: number;
  GUESS_CUSTOMER_BUDGET: number;
  GUESS_WINDOW_S: number;
  GUESS_BLOCK_S: readonly number[];
  GUESS_STRIKE_MEMORY_S: number;
}

export function guessBudgetFrom(settings: GuessBudgetSettings): GuessBudgetLimits {
  return guessBudgetWith(DEFAULT_GUESS_BUDGET, {
    addressGuesses: settings.GUESS_ADDRESS_BUDGET,
    subnetGuesses: settings.GUESS_SUBNET_BUDGET,
    customerGuesses: settings.GUESS_CUSTOMER_BUDGET,
    windowS: settings.GUESS_WINDOW_S,
    blockS: settings.GUESS_BLOCK_S,
    strikeMemoryS: settings.GUESS_STRIKE_MEMORY_S,
  });
}

/** The one place the guess budgets' Redis prefix is derived (intakes and workers must count on the same keys). */
export function guessBudgetPrefix(queuePrefix: string): string {
  return `${queuePrefix}:gb`;
}
