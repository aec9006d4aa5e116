import { z } from 'zod';
import { holdMaxAtLeastHold, refuseTrustAll, requireMongoUrl, withSentryEnvironment } from './config-rules';
import { adminEnv, attemptEnv, baseEnv, httpServerEnv, redisEnv, storeEnv } from './env-pieces';
import { loadConfig, type Env, type LoadedConfig } from './load-config';

/** apps/admin: admin API (and the admin jobs worker); without ADMIN_TOKENS it answers 503 admin_not_configured only. */
export const adminConfigSchema = z
  .object({ ...baseEnv, ...redisEnv, ...storeEnv, ...attemptEnv, ...adminEnv, ...httpServerEnv })
  .superRefine(requireMongoUrl)
  .superRefine(refuseTrustAll)
  .superRefine(holdMaxAtLeastHold)
  .transform(withSentryEnvironment);

export type AdminConfig = LoadedConfig<typeof adminConfigSchema>;

export function loadAdminConfig(env: Env): AdminConfig {
  return loadConfig(adminConfigSchema, env);
}
