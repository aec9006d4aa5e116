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

