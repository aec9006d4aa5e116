import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_VARS, loadAdminConfig, loadIntakeConfig, loadStoreConfig, loadWorkerConfig, type Env } from '@dropgate/config';

/**
 * docker-compose.yml read against the configuration it feeds (no Docker engine runs here; dclint checks the
 * schema): every variable it sets on a Dropgate service is one packages/config reads, each service's environment
 * parses with that process's own loader, and docker gives each process time to finish its own shutdown.
 */
interface Service {
  environment?: Record<string, string | null>;
  stop_grace_period?: string;
  command?: string[];
}
const compose = parse(readFileSync(path.resolve(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const DROPGATE = ['migrate', 'intake', 'admin', 'worker'];
const THIRD_PARTY_VARS = new Set(['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']);

/** The environment a service gets with nothing set on the host: `${X:-default}` → default. */
function envOf(service: string, host: Record<string, string> = {}): Env {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(compose.services[service]?.environment ?? {})) {
    env[name] = String(value ?? '').replace(/\$\{(\w+):-([^}]*)\}/g, (_, v: string, fallback: string) => host[v] ?? fallback);
  }
  return env;
}

const seconds = (duration: string | undefined): number => {
  if (duration === undefined) return 10; // docker's default
  const m = /^(\d+)(s|m)$/.exec(duration);
  if (!m) throw new Error(`unexpected stop_grace_period ${duration}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
};

describe('docker-compose.yml', () => {
  it('sets only variables packages/config reads', () => {
    for (const service of DROPGATE) {
      const unknown = Object.keys(envOf(service)).filter((name) => !(name in ENV_VARS) && !THIRD_PARTY_VARS.has(name));
      expect({ service, unknown }).toEqual({ service, unknown: [] });
    }
  });

  it("gives each service an environment its process accepts (both stores; ADMIN_TOKENS from the host's .env)", () => {
    const ADMIN_TOKENS = `ops:read+write+export:${'a'.repeat(64)}`;
    for (const STORE of ['mongo', 'postgres']) {
      expect(() => loadStoreConfig(envOf('migrate', { STORE }))).not.toThrow();
      expect(() => loadIntakeConfig(envOf('intake', { STORE }))).not.toThrow();
      expect(() => loadWorkerConfig(envOf('worker', { STORE }))).not.toThrow();
      expect(() => loadAdminConfig(envOf('admin', { STORE, ADMIN_TOKENS }))).not.toThrow();
    }
  });

  it('lets every process finish its shutdown before docker SIGKILLs it (stop_grace_period)', () => {
    // The intake's cluster primary waits SHUTDOWN_TIMEOUT_MS for its workers, plus 2 s (intake-cluster.ts).
    const intake = loadIntakeConfig(envOf('intake'));
    expect(seconds(compose.services.intake?.stop_grace_period)).toBeGreaterThan((intake.SHUTDOWN_TIMEOUT_MS + 2000) / 1000);
    const admin = loadAdminConfig(envOf('admin', { ADMIN_TOKENS: `ops:read:${'a'.repeat(64)}` }));
    expect(seconds(compose.services.admin?.stop_grace_period)).toBeGreaterThan(admin.SHUTDOWN_TIMEOUT_MS / 1000);
    const worker = loadWorkerConfig(envOf('worker'));
    expect(seconds(compose.services.worker?.stop_grace_period)).toBeGreaterThan(worker.SHUTDOWN_TIMEOUT_MS / 1000);
  });
});
