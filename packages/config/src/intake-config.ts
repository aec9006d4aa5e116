import { z } from 'zod';
import { adaptiveShedRange, holdMaxAtLeastHold, holdShorterThanWait, refuseTrustAll, requireMongoUrl, separateMetricsPort, withSentryEnvironment } from './config-rules';
import { attemptEnv, baseEnv, codeFilterEnv, customerJwtEnv, guessEnv, httpServerEnv, intakeHttpEnv, rateEnv, redisEnv, storeEnv } from './env-pieces';
import { loadConfig, type Env, type LoadedConfig } from './load-config';

/** apps/intake: HTTP in, rate filter, enqueue. Reads campaigns (cached) from the store. */
export const intakeConfigSchema = z
  .object({ ...baseEnv, ...redisEnv, ...storeEnv, ...attemptEnv, ...intakeHttpEnv, ...httpServerEnv, ...customerJwtEnv, ...rateEnv, ...codeFilterEnv, ...guessEnv })
  .superRefine(requireMongoUrl)
  .superRefine(refuseTrustAll)
  .superRefine(separateMetricsPort)
  .superRefine(holdShorterThanWait)
  .superRefine(holdMaxAtLeastHold)
  .superRefine(adaptiveShedRange)
  .transform(withSentryEnvironment);

export type IntakeConfig = LoadedConfig<typeof intakeConfigSchema>;

export function loadIntakeConfig(env: Env): IntakeConfig {
  return loadConfig(intakeConfigSchema, env);
}

/** Just the customer-token keys (the `customer-token` script signs with the intake's secret). */
export const customerJwtConfigSchema = z.object(customerJwtEnv);
export function loadCustomerJwtConfig(env: Env): LoadedConfig<typeof customerJwtConfigSchema> {
  return loadConfig(customerJwtConfigSchema, env);
}
