import type { z } from 'zod';

/** Rules that span more than one variable, shared by the process schemas. */

export function requireMongoUrl(config: { STORE: string; MONGO_URL?: string | undefined }, ctx: z.RefinementCtx): void {
  if (config.STORE === 'mongo' && config.MONGO_URL === undefined)
    ctx.addIssue({ code: 'custom', path: ['MONGO_URL'], message: 'is required when STORE=mongo' });
}

/** SENTRY_ENVIRONMENT defaults to NODE_ENV. */
export function withSentryEnvironment<T extends { NODE_ENV: string; SENTRY_ENVIRONMENT?: string | undefined }>(
  config: T,
): Omit<T, 'SENTRY_ENVIRONMENT'> & { SENTRY_ENVIRONMENT: string } {
  return { ...config, SENTRY_ENVIRONMENT: config.SENTRY_ENVIRONMENT ?? config.NODE_ENV };
}

/**
 * TRUST_PROXY=true believes every X-Forwarded-For entry, so any client picks its own address (and rate-limit
 * identity) by sending one: refused. Name the hops (a count) or the proxies' addresses/subnets instead.
 */
export function refuseTrustAll(config: { TRUST_PROXY: unknown }, ctx: z.RefinementCtx): void {
  if (config.TRUST_PROXY === true)
    ctx.addIssue({
      code: 'custom',
      path: ['TRUST_PROXY'],
      message:
        "must not be 'true' (that lets any client choose its address by sending X-Forwarded-For): give the number of proxies in front (e.g. 1) or their addresses/subnets (e.g. 10.0.0.0/8)",
    });
}

export function separateMetricsPort(config: { PORT: number; METRICS_PORT: number }, ctx: z.RefinementCtx): void {
  if (config.PORT !== 0 && config.PORT === config.METRICS_PORT)
    ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: `must differ from PORT (both ${config.PORT}): metrics stay off the public port` });
}

/**
 * A client asking to wait (`Prefer: wait`) can only see its outcome if the wait outlasts the hold: a hold as long as
 * the longest wait would turn every waited-for request into a 202.
 */
export function holdShorterThanWait(config: { ATTEMPT_HOLD_MS: number; PREFER_WAIT_MAX_S: number }, ctx: z.RefinementCtx): void {
  if (config.PREFER_WAIT_MAX_S > 0 && config.ATTEMPT_HOLD_MS >= config.PREFER_WAIT_MAX_S * 1000)
    ctx.addIssue({
      code: 'custom',
      path: ['ATTEMPT_HOLD_MS'],
      message: `must be shorter than PREFER_WAIT_MAX_S (${config.PREFER_WAIT_MAX_S} s): a client waiting for its outcome would never see one`,
    });
}

/** The hold's maximum is off (0) or never shorter than the hold every attempt gets. */
export function holdMaxAtLeastHold(config: { ATTEMPT_HOLD_MS: number; ATTEMPT_HOLD_MAX_MS: number }, ctx: z.RefinementCtx): void {
  if (config.ATTEMPT_HOLD_MAX_MS !== 0 && config.ATTEMPT_HOLD_MAX_MS < config.ATTEMPT_HOLD_MS)
    ctx.addIssue({
      code: 'custom',
      path: ['ATTEMPT_HOLD_MAX_MS'],
      message: `must be 0 (nobody held longer) or at least ATTEMPT_HOLD_MS (${config.ATTEMPT_HOLD_MS} ms): it is the longest an attempt is held`,
    });
}

/**
 * The adaptive cap (SHED_TARGET_LATENCY_MS) moves between SHED_MIN_IN_FLIGHT and SHED_MAX_IN_FLIGHT: without a
 * ceiling (0 = no cap) there is nothing to adapt, and a floor above the ceiling is no range. Both refused rather than
 * the target ignored or the floor lowered behind the operator's back.
 */
export function adaptiveShedRange(config: { SHED_TARGET_LATENCY_MS: number; SHED_MAX_IN_FLIGHT: number; SHED_MIN_IN_FLIGHT: number }, ctx: z.RefinementCtx): void {
  if (config.SHED_TARGET_LATENCY_MS === 0) return;
  if (config.SHED_MAX_IN_FLIGHT === 0)
    ctx.addIssue({
      code: 'custom',
      path: ['SHED_TARGET_LATENCY_MS'],
      message: 'needs a cap to adapt: set SHED_MAX_IN_FLIGHT above 0, or SHED_TARGET_LATENCY_MS to 0 (no adaptive cap)',
    });
  else if (config.SHED_MIN_IN_FLIGHT > config.SHED_MAX_IN_FLIGHT)
    ctx.addIssue({
      code: 'custom',
      path: ['SHED_MIN_IN_FLIGHT'],
      message: `must be at most SHED_MAX_IN_FLIGHT (${config.SHED_MAX_IN_FLIGHT}) while SHED_TARGET_LATENCY_MS is set: the adaptive cap moves between the two`,
    });
}
