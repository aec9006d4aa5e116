import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_VARS, loadAdminConfig, loadIntakeConfig, loadStoreConfig, loadWorkerConfig, type Env } from '@dropgate/config';

/**
 * docker-compose.yml (MongoDB) and docker-compose.yml + docker-compose.postgres.yml (PostgreSQL) read against the
 * configuration they feed (no Docker engine runs here; dclint checks the schema): every variable set on a Dropgate
 * service is one packages/config reads, each service's environment parses with that process's own loader, each
 * project runs one store's containers only, and docker gives each process time to finish its own shutdown.
 */
interface Dependency {
  condition?: string;
  required?: boolean;
}
interface Service {
  environment?: Record<string, string | null>;
  stop_grace_period?: string;
  command?: string[];
  profiles?: string[];
  depends_on?: Record<string, Dependency>;
}
interface Compose {
  services: Record<string, Service>;
}

const read = (file: string): Compose => parse(readFileSync(path.resolve(__dirname, '..', '..', file), 'utf8'), { merge: true }) as Compose;

/** Compose's merge of an override file (`-f a -f b`): mappings merged key by key, scalars replaced, sequences appended. */
function merged(base: unknown, override: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(override)) return [...(base as unknown[]), ...(override as unknown[])];
  if (isMapping(base) && isMapping(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) out[key] = key in base ? merged(base[key], value) : value;
    return out;
  }
  return override;
}
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const MONGO = read('docker-compose.yml');
const POSTGRES = merged(MONGO, read('docker-compose.postgres.yml')) as Compose;
const PROJECTS = { mongo: MONGO, postgres: POSTGRES };
const DROPGATE = ['migrate', 'intake', 'admin', 'worker'];
const THIRD_PARTY_VARS = new Set(['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']);
const ADMIN_TOKENS = `ops:read+write+export:${'a'.repeat(64)}`;

/** The environment a service gets (`${X:-default}` → the host's X, else default). */
function envOf(compose: Compose, service: string, host: Record<string, string> = {}): Env {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(compose.services[service]?.environment ?? {})) {
    env[name] = String(value ?? '').replace(/\$\{(\w+):-([^}]*)\}/g, (_, v: string, fallback: string) => host[v] ?? fallback);
  }
  return env;
}

/** The services `docker compose up` starts with no profile given: those without one. */
const startedByUp = (compose: Compose): string[] =>
  Object.entries(compose.services)
    .filter(([, s]) => (s.profiles ?? []).length === 0)
    .map(([name]) => name)
    .sort();

const seconds = (duration: string | undefined): number => {
  if (duration === undefined) return 10; // docker's default
  const m = /^(\d+)(s|m)$/.exec(duration);
  if (!m) throw new Error(`unexpected stop_grace_period ${duration}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
};

describe('docker-compose.yml', () => {
  it('sets only variables packages/config reads', () => {
    for (const [store, compose] of Object.entries(PROJECTS)) {
      for (const service of DROPGATE) {
        const unknown = Object.keys(envOf(compose, service)).filter((name) => !(name in ENV_VARS) && !THIRD_PARTY_VARS.has(name));
        expect({ store, service, unknown }).toEqual({ store, service, unknown: [] });
      }
    }
  });

  it("gives each service an environment its process accepts (both stores; ADMIN_TOKENS from the host's .env)", () => {
    for (const [store, compose] of Object.entries(PROJECTS)) {
      expect(loadStoreConfig(envOf(compose, 'migrate')).STORE).toBe(store);
      expect(loadIntakeConfig(envOf(compose, 'intake')).STORE).toBe(store);
      expect(loadWorkerConfig(envOf(compose, 'worker')).STORE).toBe(store);
      expect(loadAdminConfig(envOf(compose, 'admin', { ADMIN_TOKENS })).STORE).toBe(store);
    }
  });

  it("starts the admin without the host's ADMIN_TOKENS (it then answers 503 admin_not_configured instead of exiting into a restart loop)", () => {
    expect(MONGO.services.admin?.environment?.ADMIN_TOKENS).toBe('${ADMIN_TOKENS:-}');
    for (const compose of Object.values(PROJECTS)) expect(loadAdminConfig(envOf(compose, 'admin')).ADMIN_TOKENS).toBeUndefined();
  });

  it('runs one store: `up` starts MongoDB alone, or (with docker-compose.postgres.yml) PostgreSQL alone', () => {
    expect(startedByUp(MONGO)).toEqual(['admin', 'intake', 'migrate', 'mongo', 'mongo-init', 'redis', 'worker']);
    expect(startedByUp(POSTGRES)).toEqual(['admin', 'intake', 'migrate', 'postgres', 'redis', 'worker']);
    // The store every Dropgate service is given is the one that runs.
    expect(new URL(envOf(POSTGRES, 'migrate').DATABASE_URL!).hostname).toBe('postgres');
    expect(new URL(envOf(MONGO, 'migrate').MONGO_URL!).hostname).toBe('mongo');
    expect(POSTGRES.services.migrate?.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
  });

  it("depends only on services that run, or not required (compose refuses a required one that is left out)", () => {
    for (const [store, compose] of Object.entries(PROJECTS)) {
      const started = new Set(startedByUp(compose));
      for (const name of started) {
        for (const [dependency, { required }] of Object.entries(compose.services[name]?.depends_on ?? {})) {
          if (!started.has(dependency)) expect({ store, name, dependency, required }).toEqual({ store, name, dependency, required: false });
        }
      }
    }
  });

  it('lets every process finish its shutdown before docker SIGKILLs it (stop_grace_period)', () => {
    // The intake's cluster primary waits SHUTDOWN_TIMEOUT_MS for its workers, plus 2 s (intake-cluster.ts).
    const intake = loadIntakeConfig(envOf(MONGO, 'intake'));
    expect(seconds(MONGO.services.intake?.stop_grace_period)).toBeGreaterThan((intake.SHUTDOWN_TIMEOUT_MS + 2000) / 1000);
    const admin = loadAdminConfig(envOf(MONGO, 'admin', { ADMIN_TOKENS }));
    expect(seconds(MONGO.services.admin?.stop_grace_period)).toBeGreaterThan(admin.SHUTDOWN_TIMEOUT_MS / 1000);
    const worker = loadWorkerConfig(envOf(MONGO, 'worker'));
    expect(seconds(MONGO.services.worker?.stop_grace_period)).toBeGreaterThan(worker.SHUTDOWN_TIMEOUT_MS / 1000);
  });
});
