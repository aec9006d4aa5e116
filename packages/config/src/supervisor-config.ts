import { z } from 'zod';
import { withSentryEnvironment } from './config-rules';
import { baseEnv, supervisorEnv } from './env-pieces';
import { loadConfig, type Env, type LoadedConfig } from './load-config';

/** `npm start`: spawns intake, WORKERS workers and admin; each child parses its own config. */
export const supervisorConfigSchema = z
  .object({ ...baseEnv, ...supervisorEnv })
  .superRefine((config, ctx) => {
    const ports: [string, number][] = [
      ['PORT', config.PORT],
      ['ADMIN_PORT', config.ADMIN_PORT],
      ['WORKER_METRICS_PORT', config.WORKER_METRICS_PORT],
    ];
    for (const [i, [name, port]] of ports.entries()) {
      const clash = ports.slice(0, i).find(([, other]) => port !== 0 && other === port);
      if (clash) ctx.addIssue({ code: 'custom', path: [name], message: `must differ from ${clash[0]} (both ${port})` });
    }
  })
  .transform(withSentryEnvironment);

export type SupervisorConfig = LoadedConfig<typeof supervisorConfigSchema>;

export function loadSupervisorConfig(env: Env): SupervisorConfig {
  return loadConfig(supervisorConfigSchema, env);
}
