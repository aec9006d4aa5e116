export { createRateGuard, type RateGuardOptions } from './rate-guard';
export { createOpenGuard } from './open-guard';
export type { DecisionSource, RateCheck, RateDecision, RateDecisionEvent, RateGuard, RateGuardStats, RateLimitReason } from './rate-decision';
export { clientSource, customerKey, subnetOf, type ClientSource } from './client-source';
export { BlockMirror } from './block-mirror';
export { blockSecondsFor, DEFAULT_GUESS_BUDGET, guessBudgetFrom, guessBudgetPrefix, guessBudgetWith, type GuessBudgetLimits, type GuessBudgetSettings } from './guess-budget-limits';
export { GuessBudget, type GuessBudgetOptions, type GuessBudgetOverride, type GuessScope, type GuessVerdict, type WrongGuess } from './guess-budget';
export { SharedSourceBlocks, sourceBlocksPrefix, type SharedSourceBlocksOptions } from './shared-source-blocks';
export { CampaignGuessOverrides, wrongCodeCounter, type CampaignGuessOverridesOptions } from './campaign-guess-overrides';
