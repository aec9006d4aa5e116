import { z } from 'zod';
import { requireMongoUrl, withSentryEnvironment } from './config-rules';
import { baseEnv, storeEnv } from './env-pieces';
import { loadConfig, type Env, type LoadedConfig } from './load-config';

/** Tools that only need the store (migrations, scripts). */
export const storeConfigSchema = z.object({ ...baseEnv, ...storeEnv }).superRefine(requireMongoUrl).transform(withSentryEnvironment);

export type StoreConfig = LoadedConfig<typeof storeConfigSchema>;

export function loadStoreConfig(env: Env): StoreConfig {
  return loadConfig(storeConfigSchema, env);
}
