import { z } from 'zod';
import { loadConfig, type Env, type LoadedConfig } from './load-config';

/** The admin API's base URL: DROPGATE_ADMIN_URL and the CLI's --url, one rule for both. */
export const adminApiUrl = z.url({ protocol: /^https?$/ });

/** apps/cli: where the admin API is and the token to send (flags --url/--token override both). */
export const cliConfigSchema = z.object({
  DROPGATE_ADMIN_URL: adminApiUrl.default('http://127.0.0.1:3001'),
  DROPGATE_TOKEN: z.string().min(1).optional(),
});

export type CliConfig = LoadedConfig<typeof cliConfigSchema>;

export function loadCliConfig(env: Env): CliConfig {
  return loadConfig(cliConfigSchema, env);
}
