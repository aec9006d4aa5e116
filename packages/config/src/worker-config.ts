import { z } from 'zod';
import { holdMaxAtLeastHold, requireMongoUrl, withSentryEnvironment } from './config-rules';
import { attemptEnv, baseEnv, guessEnv, redisEnv, storeEnv, workerEnv } from './env-pieces';
import { loadConfig, type Env, type LoadedConfig } from './load-config';

/** apps/worker: consumes attempts and calls the store. */
export const workerConfigSchema = z
  .object({ ...baseEnv, ...redisEnv, ...storeEnv, ...attemptEnv, ...workerEnv, ...guessEnv })
  .superRefine(requireMongoUrl)
  .superRefine(holdMaxAtLeastHold)
  .transform(withSentryEnvironment);

export type WorkerConfig = LoadedConfig<typeof workerConfigSchema>;

export function loadWorkerConfig(env: Env): WorkerConfig {
  return loadConfig(workerConfigSchema, env);
}
