import type { GuessBudget, GuessBudgetOverride, GuessVerdict, WrongGuess } from './guess-budget';

export interface CampaignGuessOverridesOptions {
  /** Reads a campaign's `settings.guessBudget` as stored now (undefined: no such campaign). */
  load: (campaignId: string) => Promise<GuessBudgetOverride | undefined>;
  /** How long a read answers for (a changed override is used by then at the latest). */
  ttlMs: number;
  /** The read failed: the wrong code is counted with the configured limits. */
  onError?: ((err: unknown) => void) | undefined;
  now?: (() => number) | undefined;
}

interface Held {
  at: number;
  override: Promise<GuessBudgetOverride | undefined>;
}

/**
 * The campaigns' guess-budget overrides for a process without a campaign catalog (the worker): each campaign is read
 * at most once per `ttlMs`, concurrent callers sharing the read, so a burst of wrong codes costs one store read.
 */
export class CampaignGuessOverrides {
  private readonly held = new Map<string, Held>();
  private readonly now: () => number;

  constructor(private readonly options: CampaignGuessOverridesOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Never rejects: a failed read answers undefined (the configured limits) and is retried on the next call. */
  get(campaignId: string): Promise<GuessBudgetOverride | undefined> {
    const now = this.now();
    const held = this.held.get(campaignId);
    if (held && now - held.at < this.options.ttlMs) return held.override;
    const override = this.options.load(campaignId).catch((err: unknown) => {
      this.options.onError?.(err);
      if (this.held.get(campaignId)?.override === override) this.held.delete(campaignId);
      return undefined;
    });
    this.held.set(campaignId, { at: now, override });
    return override;
  }
}

/**
 * Counts a wrong code (the worker's `code_not_found`) with its campaign's overrides, applied by the same
 * `GuessBudget.limitsWith` as the intake's filter misses.
 */
export function wrongCodeCounter(budget: Pick<GuessBudget, 'recordWrongGuess'>, overrides: CampaignGuessOverrides): (guess: WrongGuess) => Promise<GuessVerdict> {
  return async (guess) => budget.recordWrongGuess(guess, await overrides.get(guess.campaignId));
}
