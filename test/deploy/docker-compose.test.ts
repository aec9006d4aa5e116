import { ENV_VARS, loadAdminConfig, loadIntakeConfig, loadStoreConfig, loadWorkerConfig } from '@dropgate/config';
import { envOf, MONGO, POSTGRES, PROJECTS, type Compose } from './compose-files';

/**
 * docker-compose.yml (MongoDB) and docker-compose.yml + docker-compose.postgres.yml (PostgreSQL) read against the
 * configuration they feed (no Docker engine runs here; dclint checks the schema): every variable set on a Dropgate
 * service is one packages/config reads, each service's environment parses with that process's own loader, each
 * project runs one store's containers only, a bad configuration stops `up` before any service starts (the `config`
 * service) while a crash at runtime is restarted, and docker gives each process time to finish its own shutdown.
 */
const DROPGATE = ['config', 'migrate', 'intake', 'admin', 'worker'];
/** The long-running Dropgate services (each restarted after a crash). */
const SERVICES = ['intake', 'admin', 'worker'];
const THIRD_PARTY_VARS = new Set(['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']);
const ADMIN_TOKENS = `ops:read+write+export:${'a'.repeat(64)}`;

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
    expect(startedByUp(MONGO)).toEqual(['admin', 'config', 'intake', 'migrate', 'mongo', 'mongo-init', 'redis', 'worker']);
    expect(startedByUp(POSTGRES)).toEqual(['admin', 'config', 'intake', 'migrate', 'postgres', 'redis', 'worker']);
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

  it("checks every service's variables before any starts (the one-shot `config`, with each service's own values)", () => {
    for (const [store, compose] of Object.entries(PROJECTS)) {
      const checked = envOf(compose, 'config');
      for (const service of SERVICES) {
        const own = envOf(compose, service);
        const differing = Object.keys(own).filter((name) => checked[name] !== own[name]);
        expect({ store, service, differing }).toEqual({ store, service, differing: [] });
        // Every service waits for migrate to have completed, and migrate for config.
        expect({ store, service, dependsOn: compose.services[service]?.depends_on }).toEqual({ store, service, dependsOn: { migrate: { condition: 'service_completed_successfully' } } });
      }
      expect(compose.services.migrate?.depends_on?.config).toEqual({ condition: 'service_completed_successfully' });
      expect(compose.services.config?.command).toEqual(['node', 'apps/supervisor/dist/check-config.js']);
    }
  });

  it("calls a service healthy when its /readyz says it can work, on the port its configuration gives", () => {
    for (const compose of Object.values(PROJECTS)) {
      const ports = {
        intake: loadIntakeConfig(envOf(compose, 'intake')).METRICS_PORT,
        admin: loadAdminConfig(envOf(compose, 'admin', { ADMIN_TOKENS })).ADMIN_PORT,
        worker: loadWorkerConfig(envOf(compose, 'worker')).WORKER_METRICS_PORT,
      };
      for (const [service, port] of Object.entries(ports)) {
        const probe = compose.services[service]?.healthcheck?.test?.join(' ') ?? 'none';
        expect(`${service}: ${probe}`).toContain(`${service}: CMD node -e fetch('http://127.0.0.1:${port}/readyz')`);
      }
    }
  });

  it('restarts a service that crashed at runtime, whatever its exit code; runs the one-shots once', () => {
    for (const compose of Object.values(PROJECTS)) {
      for (const service of SERVICES) expect({ service, restart: compose.services[service]?.restart }).toEqual({ service, restart: 'unless-stopped' });
      for (const oneShot of ['config', 'migrate']) expect({ oneShot, restart: compose.services[oneShot]?.restart }).toEqual({ oneShot, restart: 'no' });
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
