import { ENV_VARS, type EnvVarName } from './env-vars';

/** The shared pieces process schemas are built from: named subsets of `ENV_VARS`. */

function pick<const K extends EnvVarName>(...names: K[]): Pick<typeof ENV_VARS, K> {
  const picked: Partial<Pick<typeof ENV_VARS, K>> = {};
  for (const name of names) picked[name] = ENV_VARS[name];
  return picked as Pick<typeof ENV_VARS, K>;
}

export const baseEnv = pick('NODE_ENV', 'LOG_LEVEL', 'SENTRY_DSN', 'SENTRY_ENVIRONMENT', 'SHUTDOWN_TIMEOUT_MS');
export const redisEnv = pick('REDIS_URL', 'QUEUE_PREFIX');
export const storeEnv = pick('STORE', 'DATABASE_URL', 'DATABASE_SCHEMA', 'DATABASE_POOL_SIZE', 'MONGO_URL', 'MONGO_DB', 'CAMPAIGN_CACHE_TTL_MS', 'STORE_CONNECT_TIMEOUT_MS');
/** How attempts are queued and how long their status is kept. */
export const attemptEnv = pick('JOB_ATTEMPTS', 'JOB_BACKOFF_MS', 'ATTEMPT_RETENTION_S', 'ATTEMPT_HOLD_MS', 'ATTEMPT_HOLD_MAX_MS');
/** Timeouts and connection cap of every HTTP server we run. */
export const httpServerEnv = pick('HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS', 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 'HTTP_MAX_CONNECTIONS');
export const customerJwtEnv = pick('CUSTOMER_JWT_SECRET', 'CUSTOMER_JWT_PUBLIC_KEY');
export const intakeHttpEnv = pick('INTAKE_PROCESSES', 'PORT', 'METRICS_PORT', 'METRICS_HOST', 'SHED_EVENT_LOOP_DELAY_MS', 'SHED_MAX_IN_FLIGHT', 'SHED_TARGET_LATENCY_MS', 'SHED_MIN_IN_FLIGHT', 'TRUST_PROXY', 'PUBLIC_CORS_ORIGINS', 'BODY_LIMIT_BYTES', 'MAX_QUEUE_DEPTH', 'QUEUE_DEPTH_REFRESH_MS', 'PREFER_WAIT_MAX_S', 'ENQUEUE_BATCH_MAX', 'ENQUEUE_BATCH_WAIT_MS');
export const rateEnv = pick(
  'RATE_LIMITS_ENABLED',
  'RATE_IP_POINTS',
  'RATE_IP_DURATION_S',
  'RATE_IP_BLOCK_S',
  'RATE_CUSTOMER_POINTS',
  'RATE_CUSTOMER_DURATION_S',
  'RATE_CUSTOMER_BLOCK_S',
  'RATE_SUBNET_POINTS',
  'RATE_SUBNET_DURATION_S',
  'RATE_SUBNET_BLOCK_S',
  'RATE_ADDRESS_CUSTOMERS',
  'RATE_SUBNET_CUSTOMERS',
  'RATE_CUSTOMERS_WINDOW_S',
  'RATE_CUSTOMERS_BLOCK_S',
);
/** Guess budgets: intakes count filter misses, workers the filter's false positives, against the same keys. */
export const guessEnv = pick('GUESS_ADDRESS_BUDGET', 'GUESS_SUBNET_BUDGET', 'GUESS_CUSTOMER_BUDGET', 'GUESS_WINDOW_S', 'GUESS_BLOCK_S', 'GUESS_STRIKE_MEMORY_S');
/** The in-memory code filter (intakes read it; see @dropgate/code-filter). */
export const codeFilterEnv = pick('CODE_FILTER_ENABLED', 'CODE_FILTER_POLL_MS');
export const workerEnv = pick(
  'WORKER_CONCURRENCY',
  'WORKER_METRICS_PORT',
  'METRICS_HOST',
  'WORKER_LOCK_DURATION_MS',
  'WORKER_STALLED_INTERVAL_MS',
  'WORKER_STORE_BATCH_MAX',
  'WORKER_STORE_BATCH_WAIT_MS',
  // The worker announces a campaign its successes stopped at the target (and waits this long for the intakes).
  'CHANGES_ACK_TIMEOUT_MS',
  // The hold's rule holds a source that named a tenth of its distinct-customer cap to ATTEMPT_HOLD_MAX_MS.
  'RATE_ADDRESS_CUSTOMERS',
  'RATE_SUBNET_CUSTOMERS',
  // The intake's switch: off, workers neither count wrong codes nor refuse or hold attempts by their source.
  'RATE_LIMITS_ENABLED',
);
export const adminEnv = pick(
  'ADMIN_PORT',
  'ADMIN_TOKENS',
  'ADMIN_TOKEN',
  'ADMIN_METRICS_PORT',
  'ADMIN_AUTH_MAX_FAILURES',
  'ADMIN_AUTH_WINDOW_S',
  'ADMIN_AUTH_BLOCK_S',
  'TRUST_PROXY',
  'CHANGES_ACK_TIMEOUT_MS',
  'LOCK_SWEEP_INTERVAL_MS',
  'ADMIN_IMPORT_MAX_BYTES',
);
export const supervisorEnv = pick('WORKERS', 'PORT', 'ADMIN_PORT', 'WORKER_METRICS_PORT', 'METRICS_PORT', 'ADMIN_METRICS_PORT', 'REDIS_URL', 'REDIS_CONNECT_TIMEOUT_MS');
