import { z } from 'zod';
import { requireMongoUrl, withSentryEnvironment } from './config-rules';
import { attemptEnv, baseEnv, codeFilterEnv, guessEnv, intakeHttpEnv, rateEnv, redisEnv, storeEnv } from './env-pieces';
import { loadConfig, type Env, type LoadedConfig } from './load-config';

/** apps/intake: HTTP in, rate filter, enqueue. Reads campaigns (cached) from the store. */
export const intakeConfigSchema = z
  .object({ ...baseEnv, ...redisEnv, ...storeEnv, ...attemptEnv, ...intakeHttpEnv, ...rateEnv, ...codeFilterEnv, ...guessEnv })
  .superRefine(requireMongoUrl)
  .transform(withSentryEnvironment);

export type IntakeConfig = LoadedConfig<typeof intakeConfigSchema>;

export function loadIntakeConfig(env: Env): IntakeConfig {
  return loadConfig(intakeConfigSchema, env);
}
