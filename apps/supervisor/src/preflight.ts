import { loadAdminConfig, loadIntakeConfig, loadWorkerConfig, type IntakeConfig, type SupervisorConfig } from '@dropgate/config';
import { redisAddress, waitForRedis } from '@dropgate/queue';

/** The environment each child is started with: worker i gets its own metrics port. */
export const workerEnv = (env: NodeJS.ProcessEnv, config: SupervisorConfig, i: number): NodeJS.ProcessEnv => ({
  ...env,
  WORKER_METRICS_PORT: String(config.WORKER_METRICS_PORT + i),
});

/**
 * Every child's configuration, parsed here before anything starts: a bad variable stops `npm start` at once with
 * the message naming it (a ConfigError), instead of three processes printing it while being restarted for half a
 * minute. Returns the intake's, for the start-up summary.
 */
export function checkChildConfigs(env: NodeJS.ProcessEnv, config: SupervisorConfig): IntakeConfig {
  const intake = loadIntakeConfig(env);
  loadAdminConfig(env);
  for (let i = 0; i < config.WORKERS; i++) loadWorkerConfig(workerEnv(env, config, i));
  return intake;
}

/**
 * Every service's configuration from one environment: docker compose's one-shot `config` service, whose environment is
 * the union of the intake's, the admin's and the worker's (the same values; test/deploy checks it).
 */
export function checkServiceConfigs(env: NodeJS.ProcessEnv): void {
  loadIntakeConfig(env);
  loadAdminConfig(env);
  loadWorkerConfig(env);
}

/** Redis answers, or an Error saying where it was looked for (every child needs it; see waitForRedis). */
export function awaitRedis(config: SupervisorConfig, log: (msg: string) => void): Promise<void> {
  return waitForRedis(config.REDIS_URL, {
    timeoutMs: config.REDIS_CONNECT_TIMEOUT_MS,
    onRetry: (err, _tries, nextInMs) =>
      log(`Redis at ${redisAddress(config.REDIS_URL)} (REDIS_URL) does not answer (${err.message}); trying again in ${(nextInMs / 1000).toFixed(1)} s`),
  });
}
