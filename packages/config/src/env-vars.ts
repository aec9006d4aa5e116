import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { adminTokensVar } from './admin-tokens';
import { publicKeyVar } from './customer-jwt';
import { boolVar, dsnVar, enumVar, intListVar, intVar, mongoUrlVar, secretVar, stringVar, urlVar } from './env-fields';
import { corsOriginsVar } from './cors-origins';
import { trustProxyVar } from './trust-proxy';

/**
 * Every environment variable of every Dropgate process, declared once with its type and default.
 * Process schemas pick from this table by name (see `env-pieces.ts`).
 */

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;
const port = (fallback: number) => intVar(0, 65535).default(fallback);

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const STORES = ['postgres', 'mongo'] as const;

export const ENV_VARS = {
  NODE_ENV: enumVar(NODE_ENVS).default('development'),
  LOG_LEVEL: enumVar(LOG_LEVELS).default('info'),
  SENTRY_DSN: dsnVar().optional(),
  /** Defaults to NODE_ENV (filled in by `loadConfig`). */
  SENTRY_ENVIRONMENT: stringVar(/^[A-Za-z0-9_.-]{1,64}$/, 'up to 64 letters, digits, ".", "_" or "-"').optional(),
  SHUTDOWN_TIMEOUT_MS: intVar(100, 10 * 60_000).default(10_000),

  REDIS_URL: urlVar(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  /** BullMQ key prefix, also the prefix of our own Redis keys (rate limits). */
  QUEUE_PREFIX: stringVar(/^[A-Za-z0-9_{}-]{1,64}$/, 'up to 64 letters, digits, "_", "-", "{" or "}"').default('dropgate'),

  STORE: enumVar(STORES).default('postgres'),
  DATABASE_URL: urlVar(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/test'),
  DATABASE_SCHEMA: stringVar(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier').default('dropgate'),
  DATABASE_POOL_SIZE: intVar(1, 1000).default(10),
  /** Required when STORE=mongo (checked by `requireMongoUrl`): a replica set (or mongos), the store checks it at start. */
  MONGO_URL: mongoUrlVar().optional(),
  MONGO_DB: stringVar(/^[A-Za-z0-9_-]{1,63}$/, 'a MongoDB database name').default('dropgate'),
  CAMPAIGN_CACHE_TTL_MS: intVar(50, HOUR_S * 1000).default(2000),
  /** How long a process waits at start for an unreachable store (retrying with backoff) before it exits. */
  STORE_CONNECT_TIMEOUT_MS: intVar(1000, HOUR_S * 1000).default(60_000),
  /** How long `npm start` waits for Redis before starting anything (compose waits for its healthcheck instead). */
  REDIS_CONNECT_TIMEOUT_MS: intVar(1000, HOUR_S * 1000).default(30_000),

  JOB_ATTEMPTS: intVar(1, 100).default(5),
  JOB_BACKOFF_MS: intVar(0, HOUR_S * 1000).default(500),
  ATTEMPT_RETENTION_S: intVar(1, 30 * DAY_S).default(DAY_S),
  /**
   * How long an accepted attempt waits before a worker may judge it (a BullMQ job delay): time for the bot defence
   * to block a source whose first requests of a burst got through before a limit tripped; the worker then refuses
   * them (`source_blocked`). Every customer waits this much longer for an outcome. 0 = judged at once.
   */
  ATTEMPT_HOLD_MS: intVar(0, 60_000).default(2000),
  /**
   * Longest an attempt is held, from its acceptance: a worker looks again, one hold later, at an attempt whose address
   * or subnet named more than one customer, and holds it again while that source keeps naming new ones (a bot
   * rotating ids, until its cap blocks it: source_blocked), up to this. 0 = nobody held longer; else at least
   * ATTEMPT_HOLD_MS. A customer alone on their address and /24 is never held longer.
   */
  ATTEMPT_HOLD_MAX_MS: intVar(0, 600_000).default(15_000),

  PORT: port(3000),
  ADMIN_PORT: port(3001),
  WORKER_METRICS_PORT: port(9091),
  /** Where /metrics and /readyz are served (intake, worker): the operator's side, never the public port. */
  METRICS_PORT: port(9090),
  /** Loopback by default; 0.0.0.0 (or an internal address) only where the network in between is private. */
  METRICS_HOST: stringVar(/^[A-Za-z0-9.:_-]{1,253}$/, 'an address or host name').default('127.0.0.1'),
  TRUST_PROXY: trustProxyVar().default(false),
  /**
   * Web origins whose pages may call the public intake from a browser (CORS): empty = none (no CORS header sent),
   * `*` = any, else a comma-separated list (https://shop.example,https://m.shop.example). See cors-origins.ts.
   */
  PUBLIC_CORS_ORIGINS: corsOriginsVar().default([]),
  /** Slow-loris guards of the public HTTP servers (Node's own are 60 s / 300 s). */
  HTTP_HEADERS_TIMEOUT_MS: intVar(1000, 120_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: intVar(1000, 600_000).default(30_000),
  /** Above a load balancer's idle timeout (often 60 s), so the balancer closes idle connections, not us. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: intVar(1000, 600_000).default(65_000),
  /** Connections a process holds at once; more are refused by Node (0 = no cap). */
  HTTP_MAX_CONNECTIONS: intVar(0, 1_000_000).default(10_000),
  /** Shed new requests (503 overloaded) while the event loop's p99 delay is above this (ms); 0 = never. */
  SHED_EVENT_LOOP_DELAY_MS: intVar(0, 60_000).default(250),
  /**
   * Requests one intake process handles at once; more are shed at once (503 overloaded + Retry-After) before their
   * bodies are read, so what is served under a flood waits behind at most this many (0 = no cap).
   */
  SHED_MAX_IN_FLIGHT: intVar(0, 1_000_000).default(64),
  /**
   * With SHED_MAX_IN_FLIGHT: the cap adapts to latency (AIMD, packages/http adaptive-limit.ts), shrinking while more
   * than 1% of the requests let in take longer than this (ms, from admission to answer) and growing back to
   * SHED_MAX_IN_FLIGHT when they are fast again; 0 = the cap is SHED_MAX_IN_FLIGHT, fixed. Off by default: on this
   * 2-core machine the answers were slow for want of CPU, not for too many in flight, and a smaller cap only shed
   * more (docs/benchmarks.md, "Overload: where a 202's time goes").
   */
  SHED_TARGET_LATENCY_MS: intVar(0, 60_000).default(0),
  /**
   * The adaptive cap's floor: however slow the answers, this many are let in at once. With SHED_TARGET_LATENCY_MS set,
   * above SHED_MAX_IN_FLIGHT (or SHED_MAX_IN_FLIGHT 0) is a start-up error (config-rules.ts).
   */
  SHED_MIN_IN_FLIGHT: intVar(1, 1_000_000).default(8),
  /** Customer tokens (campaigns with customerAuth "jwt"): HS256 secret, at least 32 characters (256 bits). */
  CUSTOMER_JWT_SECRET: secretVar(32).optional(),
  /** Customer tokens: RS256/ES256 public key (PEM), checked at start-up. */
  CUSTOMER_JWT_PUBLIC_KEY: publicKeyVar().optional(),
  BODY_LIMIT_BYTES: intVar(256, 1024 * 1024).default(4096),
  MAX_QUEUE_DEPTH: intVar(1, 100_000_000).default(100_000),
  QUEUE_DEPTH_REFRESH_MS: intVar(10, 60_000).default(250),
  PREFER_WAIT_MAX_S: intVar(0, 60).default(10),
  /** Most queue adds the intake sends to Redis as one addBulk (one pipelined write); 1 = one add per request. */
  ENQUEUE_BATCH_MAX: intVar(1, 1000).default(64),
  /** How long (ms) the first add of a batch waits for others; 0 = only those of the same event-loop turn. */
  ENQUEUE_BATCH_WAIT_MS: intVar(0, 100).default(0),

  RATE_LIMITS_ENABLED: boolVar().default(true),
  RATE_IP_POINTS: intVar(1, 1_000_000).default(20),
  RATE_IP_DURATION_S: intVar(1, DAY_S).default(1),
  RATE_IP_BLOCK_S: intVar(0, DAY_S).default(60),
  RATE_CUSTOMER_POINTS: intVar(1, 1_000_000).default(5),
  RATE_CUSTOMER_DURATION_S: intVar(1, DAY_S).default(10),
  RATE_CUSTOMER_BLOCK_S: intVar(0, DAY_S).default(60),
  /** Requests per subnet (IPv4 /24, IPv6 /64): many addresses of one network count together. */
  RATE_SUBNET_POINTS: intVar(1, 1_000_000).default(100),
  RATE_SUBNET_DURATION_S: intVar(1, DAY_S).default(1),
  RATE_SUBNET_BLOCK_S: intVar(0, DAY_S).default(60),
  /** Distinct customer ids one address / one subnet may name per RATE_CUSTOMERS_WINDOW_S; over it, it is blocked. */
  RATE_ADDRESS_CUSTOMERS: intVar(1, 1_000_000).default(10),
  RATE_SUBNET_CUSTOMERS: intVar(1, 1_000_000).default(50),
  RATE_CUSTOMERS_WINDOW_S: intVar(1, DAY_S).default(600),
  RATE_CUSTOMERS_BLOCK_S: intVar(0, DAY_S).default(600),

  /**
   * Guess budgets (wrong codes) per address, subnet (IPv4 /24, IPv6 /64) and customer id over GUESS_WINDOW_S; a key
   * over budget is blocked for the next of GUESS_BLOCK_S (escalating; remembered GUESS_STRIKE_MEMORY_S). Campaigns
   * may override them (docs/bots.md).
   */
  GUESS_ADDRESS_BUDGET: intVar(1, 1_000_000).default(20),
  GUESS_SUBNET_BUDGET: intVar(1, 1_000_000).default(100),
  GUESS_CUSTOMER_BUDGET: intVar(1, 1_000_000).default(10),
  GUESS_WINDOW_S: intVar(1, DAY_S).default(900),
  GUESS_BLOCK_S: intListVar(1, 7 * DAY_S).default([60, 600, 3600]),
  GUESS_STRIKE_MEMORY_S: intVar(1, 30 * DAY_S).default(DAY_S),

  /** In-memory code filter: a well-formed code certainly not in the campaign is answered 404 at the intake. */
  CODE_FILTER_ENABLED: boolVar().default(true),
  /** How often an intake polls the filters' version key in Redis: a rebuilt filter is used within about this long. */
  CODE_FILTER_POLL_MS: intVar(50, 60_000).default(250),

  /**
   * Intake processes on this host (node:cluster, sharing PORT; the primary serves METRICS_PORT for all of them).
   * Default: one per core this process may use. 1 = no cluster, the intake is one process.
   */
  INTAKE_PROCESSES: intVar(1, 256).default(availableParallelism()),
  WORKERS: intVar(1, 256).default(2),
  /**
   * Jobs in flight per worker. High enough that, under a backlog, the jobs one event-loop turn brings back fill
   * large store batches (bench:drain: 128 halved the PostgreSQL CPU per attempt against 32), and that a worker's
   * event loop never waits on one store round trip with nothing else to do.
   */
  WORKER_CONCURRENCY: intVar(1, 10_000).default(128),
  /** BullMQ worker lock: a job whose worker stops renewing it for this long counts as stalled (BullMQ default). */
  WORKER_LOCK_DURATION_MS: intVar(1000, HOUR_S * 1000).default(30_000),
  /** How often a worker looks for stalled jobs (BullMQ default). */
  WORKER_STALLED_INTERVAL_MS: intVar(1000, HOUR_S * 1000).default(30_000),
  /**
   * Most attempts a worker hands to the store in ONE call (redemptions.processMany: one transaction on PostgreSQL);
   * 1 = off, every attempt is its own call. A batch gathers the jobs that arrive while the previous event-loop turn
   * runs (plus WORKER_STORE_BATCH_WAIT_MS).
   */
  WORKER_STORE_BATCH_MAX: intVar(1, 1000).default(64),
  /** How long a batch waits for more attempts after its first one; 0 = only the current event-loop turn. */
  WORKER_STORE_BATCH_WAIT_MS: intVar(0, 1000).default(0),

  /**
   * Named admin tokens with scopes, as SHA-256 hashes: `name:read+write:<sha256 hex>,...` (`npm run admin-token`).
   * Unset (or empty): the admin stays up and answers every request 503 `admin_not_configured` (ADMIN_TOKENS_MISSING),
   * rather than exiting into a restart loop (docker compose restarts whatever the exit code); malformed: refused.
   */
  ADMIN_TOKENS: adminTokensVar().optional(),
  /**
   * The former single plain token, no longer read: setting it is a start-up error saying what to set instead
   * (silently ignoring it would lock an operator out without saying why; accepting it would keep a plain secret).
   */
  ADMIN_TOKEN: z.undefined({
    error: () =>
      'is no longer read (no plain tokens in configuration): set ADMIN_TOKENS=admin:read+write+export:<sha256 hex of the token> instead (`npm run admin-token -- --name admin --scopes read,write,export` makes a new token and prints its line), and unset ADMIN_TOKEN',
  }).optional(),
  /** The admin's Prometheus metrics, on an internal port of their own (not the API's). */
  ADMIN_METRICS_PORT: port(9190),
  /** Failed admin logins one address may make per ADMIN_AUTH_WINDOW_S before it is blocked for ADMIN_AUTH_BLOCK_S. */
  ADMIN_AUTH_MAX_FAILURES: intVar(1, 10_000).default(10),
  ADMIN_AUTH_WINDOW_S: intVar(1, DAY_S).default(60),
  ADMIN_AUTH_BLOCK_S: intVar(1, DAY_S).default(300),
  /**
   * How long an admin change waits for every intake to have applied it (pub/sub, acknowledged) before answering: the
   * caller's next request to any intake then sees it. An intake that does not answer in time catches up by its reload.
   */
  CHANGES_ACK_TIMEOUT_MS: intVar(0, 60_000).default(250),
  /**
   * The largest code import the admin takes (bytes of CSV or JSON lines): the file is staged in Redis until its job
   * has read it, so this bounds the memory one import may take there (64 MiB: some 3 million codes).
   */
  ADMIN_IMPORT_MAX_BYTES: intVar(1024, 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /** How often the admin sweeps timed locks that are due (a fallback: each lock also has a delayed job at its time). */
  LOCK_SWEEP_INTERVAL_MS: intVar(1000, 24 * HOUR_S * 1000).default(30_000),
};

export type EnvVarName = keyof typeof ENV_VARS;
