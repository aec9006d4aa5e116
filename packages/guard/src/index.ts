export { createRateGuard, type RateGuardOptions } from './rate-guard';
export { createOpenGuard } from './open-guard';
export type { DecisionSource, RateCheck, RateDecision, RateDecisionEvent, RateGuard, RateGuardStats, RateLimitReason } from './rate-decision';
