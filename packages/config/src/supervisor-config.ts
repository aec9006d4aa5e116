import { z } from 'zod';
import { withSentryEnvironment } from './config-rules';
import { baseEnv, supervisorEnv } from './env-pieces';
import { loadConfig, type Env, type LoadedConfig } from './load-config';

/**
 * `npm start`: spawns intake, admin and WORKERS workers (worker i serves metrics on WORKER_METRICS_PORT + i);
 * each child parses its own config.
 */
export const supervisorConfigSchema = z
  .object({ ...baseEnv, ...supervisorEnv })
  .superRefine((config, ctx) => {
    const metricsFrom = config.WORKER_METRICS_PORT;
    const metricsTo = metricsFrom + config.WORKERS - 1;
    if (metricsFrom !== 0 && metricsTo > 65535)
      ctx.addIssue({ code: 'custom', path: ['WORKER_METRICS_PORT'], message: `plus WORKERS - 1 must stay <= 65535` });
    if (config.PORT !== 0 && config.PORT === config.ADMIN_PORT)
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PORT'], message: `must differ from PORT (both ${config.PORT})` });
    if (config.METRICS_PORT !== 0 && (config.METRICS_PORT === config.PORT || config.METRICS_PORT === config.ADMIN_PORT))
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: `must differ from PORT and ADMIN_PORT` });
    for (const [name, port] of [['PORT', config.PORT], ['ADMIN_PORT', config.ADMIN_PORT], ['METRICS_PORT', config.METRICS_PORT], ['ADMIN_METRICS_PORT', config.ADMIN_METRICS_PORT]] as const) {
      if (metricsFrom !== 0 && port >= metricsFrom && port <= metricsTo)
        ctx.addIssue({ code: 'custom', path: [name], message: `must be outside the worker metrics ports ${metricsFrom}-${metricsTo}` });
    }
  })
  .transform(withSentryEnvironment);

export type SupervisorConfig = LoadedConfig<typeof supervisorConfigSchema>;

export function loadSupervisorConfig(env: Env): SupervisorConfig {
  return loadConfig(supervisorConfigSchema, env);
}
