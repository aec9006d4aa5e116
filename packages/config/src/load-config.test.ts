import { availableParallelism } from 'node:os';
import { ADMIN_TOKENS_MISSING, ConfigError, loadAdminConfig, loadIntakeConfig, loadStoreConfig, loadSupervisorConfig, loadWorkerConfig, type Env } from './index';

const ADMIN_TOKEN = 'a-long-enough-admin-token';

function issuesOf(load: () => unknown): { variable: string; message: string }[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('loadIntakeConfig', () => {
  it('fills in every default', () => {
    expect(loadIntakeConfig({})).toEqual({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      SENTRY_ENVIRONMENT: 'development',
      SHUTDOWN_TIMEOUT_MS: 10_000,
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'dropgate',
      STORE: 'postgres',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      DATABASE_SCHEMA: 'dropgate',
      DATABASE_POOL_SIZE: 10,
      MONGO_DB: 'dropgate',
      CAMPAIGN_CACHE_TTL_MS: 2000,
      STORE_CONNECT_TIMEOUT_MS: 60_000,
      JOB_ATTEMPTS: 5,
      JOB_BACKOFF_MS: 500,
      ATTEMPT_RETENTION_S: 86_400,
      ATTEMPT_HOLD_MS: 2000,
      ATTEMPT_HOLD_MAX_MS: 15_000,
      INTAKE_PROCESSES: availableParallelism(),
      PORT: 3000,
      METRICS_PORT: 9090,
      METRICS_HOST: '127.0.0.1',
      SHED_EVENT_LOOP_DELAY_MS: 250,
      SHED_MAX_IN_FLIGHT: 64,
      SHED_TARGET_LATENCY_MS: 0,
      SHED_MIN_IN_FLIGHT: 8,
      TRUST_PROXY: false,
      PUBLIC_CORS_ORIGINS: [],
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 65_000,
      HTTP_MAX_CONNECTIONS: 10_000,
      BODY_LIMIT_BYTES: 4096,
      MAX_QUEUE_DEPTH: 100_000,
      QUEUE_DEPTH_REFRESH_MS: 250,
      PREFER_WAIT_MAX_S: 10,
      ENQUEUE_BATCH_MAX: 64,
      ENQUEUE_BATCH_WAIT_MS: 0,
      RATE_LIMITS_ENABLED: true,
      RATE_IP_POINTS: 20,
      RATE_IP_DURATION_S: 1,
      RATE_IP_BLOCK_S: 60,
      RATE_CUSTOMER_POINTS: 5,
      RATE_CUSTOMER_DURATION_S: 10,
      RATE_CUSTOMER_BLOCK_S: 60,
      RATE_SUBNET_POINTS: 100,
      RATE_SUBNET_DURATION_S: 1,
      RATE_SUBNET_BLOCK_S: 60,
      RATE_ADDRESS_CUSTOMERS: 10,
      RATE_SUBNET_CUSTOMERS: 50,
      RATE_CUSTOMERS_WINDOW_S: 600,
      RATE_CUSTOMERS_BLOCK_S: 600,
      GUESS_ADDRESS_BUDGET: 20,
      GUESS_SUBNET_BUDGET: 100,
      GUESS_CUSTOMER_BUDGET: 10,
      GUESS_WINDOW_S: 900,
      GUESS_BLOCK_S: [60, 600, 3600],
      GUESS_STRIKE_MEMORY_S: 86400,
      CODE_FILTER_ENABLED: true,
      CODE_FILTER_POLL_MS: 250,
    });
  });

  it('holds attempts ATTEMPT_HOLD_MS (0 allowed), always shorter than the longest Prefer: wait', () => {
    expect(loadIntakeConfig({ ATTEMPT_HOLD_MS: '0' }).ATTEMPT_HOLD_MS).toBe(0);
    expect(loadIntakeConfig({ ATTEMPT_HOLD_MS: '2500', PREFER_WAIT_MAX_S: '3' }).ATTEMPT_HOLD_MS).toBe(2500);
    expect(issuesOf(() => loadIntakeConfig({ ATTEMPT_HOLD_MS: '3000', PREFER_WAIT_MAX_S: '3' }))).toEqual([
      { variable: 'ATTEMPT_HOLD_MS', message: 'must be shorter than PREFER_WAIT_MAX_S (3 s): a client waiting for its outcome would never see one' },
    ]);
    // No waiting at all: any hold will do.
    expect(loadIntakeConfig({ ATTEMPT_HOLD_MS: '5000', PREFER_WAIT_MAX_S: '0' }).ATTEMPT_HOLD_MS).toBe(5000);
    expect(() => loadIntakeConfig({ ATTEMPT_HOLD_MS: '-1' })).toThrow(/ATTEMPT_HOLD_MS/);
    expect(loadWorkerConfig({}).ATTEMPT_HOLD_MS).toBe(2000);
  });

  it('holds a source naming new customers at most ATTEMPT_HOLD_MAX_MS: 0 (nobody held longer) or at least ATTEMPT_HOLD_MS, in every process that reads the hold', () => {
    expect(loadWorkerConfig({})).toMatchObject({ ATTEMPT_HOLD_MS: 2000, ATTEMPT_HOLD_MAX_MS: 15_000 });
    expect(loadWorkerConfig({ ATTEMPT_HOLD_MS: '3000', ATTEMPT_HOLD_MAX_MS: '3000' }).ATTEMPT_HOLD_MAX_MS).toBe(3000);
    expect(loadWorkerConfig({ ATTEMPT_HOLD_MS: '3000', ATTEMPT_HOLD_MAX_MS: '0' }).ATTEMPT_HOLD_MAX_MS).toBe(0);
    const tooShort = { variable: 'ATTEMPT_HOLD_MAX_MS', message: 'must be 0 (nobody held longer) or at least ATTEMPT_HOLD_MS (3000 ms): it is the longest an attempt is held' };
    expect(issuesOf(() => loadWorkerConfig({ ATTEMPT_HOLD_MS: '3000', ATTEMPT_HOLD_MAX_MS: '2999' }))).toEqual([tooShort]);
    expect(issuesOf(() => loadIntakeConfig({ ATTEMPT_HOLD_MS: '3000', ATTEMPT_HOLD_MAX_MS: '2999' }))).toEqual([tooShort]);
    // A hold longer than the default maximum needs the maximum raised with it (or 0).
    expect(issuesOf(() => loadWorkerConfig({ ATTEMPT_HOLD_MS: '20000' }))[0]?.variable).toBe('ATTEMPT_HOLD_MAX_MS');
    expect(() => loadWorkerConfig({ ATTEMPT_HOLD_MAX_MS: '-1' })).toThrow(/ATTEMPT_HOLD_MAX_MS/);
  });

  it('refuses an adaptive cap (SHED_TARGET_LATENCY_MS) with no cap to adapt or a floor above the ceiling', () => {
    expect(issuesOf(() => loadIntakeConfig({ SHED_TARGET_LATENCY_MS: '100', SHED_MAX_IN_FLIGHT: '0' }))).toEqual([
      { variable: 'SHED_TARGET_LATENCY_MS', message: 'needs a cap to adapt: set SHED_MAX_IN_FLIGHT above 0, or SHED_TARGET_LATENCY_MS to 0 (no adaptive cap)' },
    ]);
    expect(issuesOf(() => loadIntakeConfig({ SHED_TARGET_LATENCY_MS: '100', SHED_MAX_IN_FLIGHT: '16', SHED_MIN_IN_FLIGHT: '17' }))).toEqual([
      { variable: 'SHED_MIN_IN_FLIGHT', message: 'must be at most SHED_MAX_IN_FLIGHT (16) while SHED_TARGET_LATENCY_MS is set: the adaptive cap moves between the two' },
    ]);
    // The default floor (8) above a small ceiling, too.
    expect(issuesOf(() => loadIntakeConfig({ SHED_TARGET_LATENCY_MS: '100', SHED_MAX_IN_FLIGHT: '4' }))[0]?.variable).toBe('SHED_MIN_IN_FLIGHT');
    expect(loadIntakeConfig({ SHED_TARGET_LATENCY_MS: '100', SHED_MAX_IN_FLIGHT: '16', SHED_MIN_IN_FLIGHT: '16' })).toMatchObject({ SHED_MAX_IN_FLIGHT: 16, SHED_MIN_IN_FLIGHT: 16 });
    // No adaptive cap: the floor is unused, any cap (or none) will do.
    expect(loadIntakeConfig({ SHED_MAX_IN_FLIGHT: '0' }).SHED_TARGET_LATENCY_MS).toBe(0);
    expect(loadIntakeConfig({ SHED_MAX_IN_FLIGHT: '1', SHED_MIN_IN_FLIGHT: '8' }).SHED_MAX_IN_FLIGHT).toBe(1);
  });

  it('runs one intake process per core unless INTAKE_PROCESSES says otherwise (1 = no cluster), never 0', () => {
    expect(loadIntakeConfig({}).INTAKE_PROCESSES).toBe(availableParallelism());
    expect(loadIntakeConfig({ INTAKE_PROCESSES: '1' }).INTAKE_PROCESSES).toBe(1);
    expect(issuesOf(() => loadIntakeConfig({ INTAKE_PROCESSES: '0' }))).toEqual([{ variable: 'INTAKE_PROCESSES', message: 'must be an integer between 1 and 256' }]);
  });

  it('reads GUESS_BLOCK_S as a list of seconds and refuses a malformed one', () => {
    expect(loadIntakeConfig({ GUESS_BLOCK_S: '30,300' }).GUESS_BLOCK_S).toEqual([30, 300]);
    expect(() => loadIntakeConfig({ GUESS_BLOCK_S: '30,,300' })).toThrow(/GUESS_BLOCK_S/);
    expect(() => loadIntakeConfig({ GUESS_BLOCK_S: '0' })).toThrow(/GUESS_BLOCK_S/);
  });

  it('parses given values into their types', () => {
    const config = loadIntakeConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: '8080',
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      RATE_IP_POINTS: '100',
      RATE_LIMITS_ENABLED: '0',
      SENTRY_DSN: 'https://abc123@o1.ingest.sentry.io/42',
      SENTRY_ENVIRONMENT: 'staging',
      TRUST_PROXY: '1',
    });
    expect(config).toMatchObject({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: 8080,
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      RATE_IP_POINTS: 100,
      RATE_LIMITS_ENABLED: false,
      SENTRY_DSN: 'https://abc123@o1.ingest.sentry.io/42',
      SENTRY_ENVIRONMENT: 'staging',
      TRUST_PROXY: 1,
    });
  });

  it('defaults SENTRY_ENVIRONMENT to NODE_ENV', () => {
    expect(loadIntakeConfig({ NODE_ENV: 'test' }).SENTRY_ENVIRONMENT).toBe('test');
  });

  it('treats an empty value as unset', () => {
    const config = loadIntakeConfig({ PORT: '', SENTRY_DSN: '' });
    expect(config.PORT).toBe(3000);
    expect(config.SENTRY_DSN).toBeUndefined();
  });

  it('ignores unknown variables and reads only the env it is given', () => {
    const before = process.env.PORT;
    process.env.PORT = '1234';
    try {
      expect(loadIntakeConfig({ HOME: '/root', SOMETHING_ELSE: 'x' }).PORT).toBe(3000);
    } finally {
      if (before === undefined) delete process.env.PORT;
      else process.env.PORT = before;
    }
  });

  it('returns a frozen object', () => {
    const config = loadIntakeConfig({ TRUST_PROXY: '10.0.0.0/8,loopback' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.TRUST_PROXY)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it.each([
    ['1', true],
    ['true', true],
    ['0', false],
    ['false', false],
  ])('parses boolean %p strictly', (raw, expected) => {
    expect(loadIntakeConfig({ RATE_LIMITS_ENABLED: raw }).RATE_LIMITS_ENABLED).toBe(expected);
  });

  it.each(['TRUE', 'yes', 'no', 'on', '2', ' true'])('rejects boolean %p', (raw) => {
    expect(issuesOf(() => loadIntakeConfig({ RATE_LIMITS_ENABLED: raw }))).toEqual([
      { variable: 'RATE_LIMITS_ENABLED', message: "must be one of 'true', 'false', '1', '0'" },
    ]);
  });

  it.each(['abc', '1.5', '1e3', '0x10', '-1', '70000', ' 80', '80px'])('rejects PORT=%p naming the variable', (raw) => {
    expect(issuesOf(() => loadIntakeConfig({ PORT: raw }))).toEqual([{ variable: 'PORT', message: 'must be an integer between 0 and 65535' }]);
  });

  it('reports every bad variable at once, without echoing values', () => {
    let error: unknown;
    try {
      loadIntakeConfig({ PORT: 'x', REDIS_URL: 'http://secret-host:6379', LOG_LEVEL: 'loud', JOB_ATTEMPTS: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, issues } = error as ConfigError;
    expect(issues.map((i) => i.variable).sort()).toEqual(['JOB_ATTEMPTS', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
    expect(message).toMatch(/^Invalid configuration: /);
    expect(message).toContain('REDIS_URL must be a redis/rediss URL');
    expect(message).toContain('LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace, silent');
    expect(message).not.toContain('secret-host');
  });

  it('requires MONGO_URL when STORE=mongo', () => {
    expect(issuesOf(() => loadIntakeConfig({ STORE: 'mongo' }))).toEqual([{ variable: 'MONGO_URL', message: 'is required when STORE=mongo' }]);
    expect(loadIntakeConfig({ STORE: 'mongo', MONGO_URL: 'mongodb://127.0.0.1:27017' })).toMatchObject({
      STORE: 'mongo',
      MONGO_URL: 'mongodb://127.0.0.1:27017',
    });
    expect(issuesOf(() => loadIntakeConfig({ STORE: 'mysql' }))[0]).toEqual({ variable: 'STORE', message: 'must be one of: postgres, mongo' });
  });

  it('takes a replica set URL listing its members, and refuses what is not a MongoDB URL', () => {
    const members = 'mongodb://app:s%40cret@db-1:27017,db-2:27017,[::1]:27018/dropgate?replicaSet=rs0&authSource=admin';
    expect(loadIntakeConfig({ STORE: 'mongo', MONGO_URL: members }).MONGO_URL).toBe(members);
    expect(loadIntakeConfig({ STORE: 'mongo', MONGO_URL: 'mongodb+srv://app:pw@cluster0.example.net/?retryWrites=true' }).STORE).toBe('mongo');
    for (const bad of ['postgres://db:5432/x', 'mongodb://', 'mongodb://db-1:27017,/x', 'mongodb://db-1:port', 'mongodb+srv://a.example.net,b.example.net/', 'db-1:27017']) {
      expect(issuesOf(() => loadIntakeConfig({ STORE: 'mongo', MONGO_URL: bad }))).toEqual([{ variable: 'MONGO_URL', message: 'must be a mongodb/mongodb+srv URL' }]);
    }
  });

  it('validates URLs and identifiers', () => {
    expect(issuesOf(() => loadIntakeConfig({ DATABASE_URL: 'mysql://x' }))[0]?.variable).toBe('DATABASE_URL');
    expect(issuesOf(() => loadIntakeConfig({ DATABASE_SCHEMA: 'drop;table' }))[0]?.variable).toBe('DATABASE_SCHEMA');
    expect(issuesOf(() => loadIntakeConfig({ QUEUE_PREFIX: 'a:b' }))[0]?.variable).toBe('QUEUE_PREFIX');
    expect(issuesOf(() => loadIntakeConfig({ SENTRY_DSN: 'not a url' }))[0]?.variable).toBe('SENTRY_DSN');
    expect(issuesOf(() => loadIntakeConfig({ SENTRY_DSN: 'https://sentry.io/1' }))[0]?.variable).toBe('SENTRY_DSN');
  });
});

describe('loadAdminConfig', () => {
  const HASH = 'a'.repeat(64);
  const OTHER = 'b'.repeat(64);

  it('takes ADMIN_TOKENS unset or empty as none (the admin then answers 503 admin_not_configured, saying the format)', () => {
    expect(loadAdminConfig({}).ADMIN_TOKENS).toBeUndefined();
    expect(loadAdminConfig({ ADMIN_TOKENS: '' }).ADMIN_TOKENS).toBeUndefined();
    expect(ADMIN_TOKENS_MISSING).toMatch(/^ADMIN_TOKENS is not set, so the admin accepts no token: set ADMIN_TOKENS=name:scope1\+scope2:sha256hex/);
  });

  it('parses named tokens with scopes as hashes', () => {
    const config = loadAdminConfig({ ADMIN_TOKENS: `ops:read+write:${HASH}, auditor:read:${OTHER}`, ADMIN_PORT: '4001' });
    expect(config.ADMIN_TOKENS).toEqual([
      { name: 'ops', scopes: ['read', 'write'], sha256: HASH },
      { name: 'auditor', scopes: ['read'], sha256: OTHER },
    ]);
    expect(config).toMatchObject({ ADMIN_PORT: 4001, ADMIN_METRICS_PORT: 9190, ADMIN_AUTH_MAX_FAILURES: 10, ADMIN_AUTH_WINDOW_S: 60, ADMIN_AUTH_BLOCK_S: 300 });
  });

  it.each([
    ['a plain token instead of a hash', 'ops:read:a-long-enough-admin-token', /entry 1 must be name:scope1\+scope2:sha256hex/],
    ['an upper-case hash', `ops:read:${'A'.repeat(64)}`, /entry 1 must be/],
    ['an unknown scope', `ops:read+admin:${HASH}`, /entry 1 has an unknown scope "admin"/],
    ['no scope', `ops::${HASH}`, /entry 1 must be/],
    ['a name twice', `ops:read:${HASH},ops:write:${OTHER}`, /entry 2 repeats the name "ops"/],
    ['one hash for two names', `ops:read:${HASH},other:write:${HASH}`, /entry 2 repeats the hash/],
  ])('refuses %s, without echoing the value', (_name, value, message) => {
    const issues = issuesOf(() => loadAdminConfig({ ADMIN_TOKENS: value }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.variable).toBe('ADMIN_TOKENS');
    expect(issues[0]!.message).toMatch(message);
    expect(JSON.stringify(issues)).not.toContain('a-long-enough-admin-token');
  });

  it('refuses the former ADMIN_TOKEN at start-up, saying what to set instead', () => {
    const issues = issuesOf(() => loadAdminConfig({ ADMIN_TOKEN, ADMIN_TOKENS: `ops:read:${HASH}` }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.variable).toBe('ADMIN_TOKEN');
    expect(issues[0]!.message).toMatch(/is no longer read .* set ADMIN_TOKENS=admin:read\+write\+export:<sha256 hex of the token>/);
    expect(JSON.stringify(issues)).not.toContain(ADMIN_TOKEN);
  });
});

describe('loadWorkerConfig', () => {
  it('defaults to 128 jobs in flight per worker', () => {
    expect(loadWorkerConfig({}).WORKER_CONCURRENCY).toBe(128);
  });

  it('has worker settings and no intake ones', () => {
    const config = loadWorkerConfig({ WORKER_CONCURRENCY: '64' });
    expect(config).toMatchObject({
      WORKER_CONCURRENCY: 64,
      WORKER_METRICS_PORT: 9091,
      WORKER_LOCK_DURATION_MS: 30_000,
      WORKER_STALLED_INTERVAL_MS: 30_000,
      WORKER_STORE_BATCH_MAX: 64,
      WORKER_STORE_BATCH_WAIT_MS: 0,
      JOB_ATTEMPTS: 5,
      STORE: 'postgres',
    });
    expect(config).not.toHaveProperty('PORT');
    expect(config).not.toHaveProperty('ADMIN_TOKEN');
  });

  it('reads the rate limits switch, as the intake does (workers count wrong codes and hold attempts only when on)', () => {
    expect(loadWorkerConfig({}).RATE_LIMITS_ENABLED).toBe(true);
    expect(loadWorkerConfig({ RATE_LIMITS_ENABLED: 'false' }).RATE_LIMITS_ENABLED).toBe(false);
  });

  it('rejects a zero concurrency', () => {
    expect(issuesOf(() => loadWorkerConfig({ WORKER_CONCURRENCY: '0' }))[0]?.variable).toBe('WORKER_CONCURRENCY');
  });

  it('takes a store batch size, 1 meaning off, and refuses 0', () => {
    expect(loadWorkerConfig({ WORKER_STORE_BATCH_MAX: '1', WORKER_STORE_BATCH_WAIT_MS: '2' })).toMatchObject({ WORKER_STORE_BATCH_MAX: 1, WORKER_STORE_BATCH_WAIT_MS: 2 });
    expect(issuesOf(() => loadWorkerConfig({ WORKER_STORE_BATCH_MAX: '0' }))[0]?.variable).toBe('WORKER_STORE_BATCH_MAX');
  });
});

describe('loadSupervisorConfig', () => {
  it('has the process count and ports', () => {
    const env: Env = { WORKERS: '4' };
    expect(loadSupervisorConfig(env)).toMatchObject({ WORKERS: 4, PORT: 3000, ADMIN_PORT: 3001, WORKER_METRICS_PORT: 9091, SHUTDOWN_TIMEOUT_MS: 10_000 });
  });

  it('refuses two processes on one port (0 = any free port is fine)', () => {
    expect(issuesOf(() => loadSupervisorConfig({ PORT: '3001' }))).toEqual([{ variable: 'ADMIN_PORT', message: 'must differ from PORT (both 3001)' }]);
    // worker i serves metrics on WORKER_METRICS_PORT + i
    expect(issuesOf(() => loadSupervisorConfig({ WORKERS: '3', WORKER_METRICS_PORT: '2999' }))).toEqual([
      { variable: 'PORT', message: 'must be outside the worker metrics ports 2999-3001' },
      { variable: 'ADMIN_PORT', message: 'must be outside the worker metrics ports 2999-3001' },
    ]);
    expect(issuesOf(() => loadSupervisorConfig({ WORKERS: '4', WORKER_METRICS_PORT: '65534' }))[0]?.variable).toBe('WORKER_METRICS_PORT');
    expect(loadSupervisorConfig({ PORT: '0', ADMIN_PORT: '0', WORKER_METRICS_PORT: '0' }).PORT).toBe(0);
  });
});

describe('loadStoreConfig', () => {
  it('has the store settings only', () => {
    const config = loadStoreConfig({ STORE: 'mongo', MONGO_URL: 'mongodb://127.0.0.1:27017', DATABASE_POOL_SIZE: '3' });
    expect(config).toMatchObject({ STORE: 'mongo', MONGO_URL: 'mongodb://127.0.0.1:27017', MONGO_DB: 'dropgate', DATABASE_POOL_SIZE: 3 });
    expect(config).not.toHaveProperty('REDIS_URL');
    expect(issuesOf(() => loadStoreConfig({ STORE: 'mongo' }))[0]?.variable).toBe('MONGO_URL');
  });
});
