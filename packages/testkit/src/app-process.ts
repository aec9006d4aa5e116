import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './test-env';

/** The repository root: this file is packages/testkit/src (under jest) or packages/testkit/dist (built). */
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The built entry point of an app, `apps/<app>/dist/<file>` (what `npm start` runs; build first with `tsc -b`). */
export function appEntry(app: string, file = 'main.js'): string {
  return path.join(ROOT, 'apps', app, 'dist', file);
}

/**
 * The environment a spawned Dropgate process starts from: the test PostgreSQL (STORE=postgres) and Redis,
 * NODE_ENV=test, warnings only; `extra` on top (schema, queue prefix, ports, ...).
 */
export function appEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    STORE: 'postgres',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    // No load shedding: this machine is shared and often loaded, and a test's burst must not meet a 503 because
    // another job stalled the event loop (or a burst outnumbered the in-flight cap). Shedding has tests of its own
    // (packages/http); a test may set it back.
    SHED_EVENT_LOOP_DELAY_MS: '0',
    SHED_MAX_IN_FLIGHT: '0',
    // One intake process, not one per core: tests that want the cluster ask for it (intake-cluster.e2e.test.ts).
    INTAKE_PROCESSES: '1',
    // Every customer of a test comes from 127.0.0.1: the hold's rule would see one address naming new customers and
    // hold their attempts again and again. Nobody is held longer unless a test asks (the rule has tests of its own:
    // deferred-verdict.int.test.ts); bench:drop sets the shipped value back.
    ATTEMPT_HOLD_MAX_MS: '0',
    ...extra,
  };
}

/** Migrates `env`'s DATABASE_URL / DATABASE_SCHEMA with the built migrate entry, as a deployment does; throws with its stderr. */
export function migrateApp(env: Record<string, string>): void {
  const migrate = spawnSync(process.execPath, [appEntry('supervisor', 'migrate.js')], { env, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.error?.message ?? migrate.stderr}`);
}
