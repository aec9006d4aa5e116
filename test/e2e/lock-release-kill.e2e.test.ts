import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  abortOnExit,
  appEntry,
  appEnv,
  deleteKeysByPrefix,
  dropSchema,
  freePort,
  migrateApp,
  requestJson,
  stopChild,
  waitFor,
} from '@dropgate/testkit';

/**
 * A timed lock survives the death of every process: codes are locked with `releaseAt` a few seconds ahead, then
 * the intake, the admin (which runs the lock-release jobs) and the worker are all SIGKILLed. Nothing runs when
 * the release time passes; the codes are still locked in the database then. Once the processes are started again
 * the codes come back by themselves (the delayed job still in Redis, or the admin's sweep at start), and a fan
 * redeems one of them at the intake. Redis and PostgreSQL stay up (they are what "every process" persists into).
 */

const id = randomBytes(4).toString('hex');
const token = randomBytes(18).toString('base64url');
const schema = `dg_e2e_kill_${id}`;
const prefix = `dgkill${id}`;
let env: Record<string, string>;
let urls: { intake: string; intakeInternal: string; admin: string; workerMetrics: string };
let running: ChildProcess[] = [];

function launch(app: string, extra: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [appEntry(app)], { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('error', () => undefined); // reported by abortOnExit while starting
  running.push(child);
  return child;
}

/** Intake, admin and a worker, as `npm start` runs them; resolves once each answers. */
async function startAll(): Promise<void> {
  const children = [launch('intake'), launch('admin'), launch('worker', { WORKER_METRICS_PORT: new URL(urls.workerMetrics).port })];
  const died = new AbortController();
  const unwatch = children.map((c, i) => abortOnExit(c, ['intake', 'admin', 'worker'][i]!, died));
  try {
    for (const url of [`${urls.intakeInternal}/readyz`, `${urls.admin}/readyz`, `${urls.workerMetrics}/metrics`]) {
      await waitFor(`${url} ready`, async () => ((await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => null))?.ok ? true : undefined), 30_000, 50, died.signal);
    }
  } finally {
    for (const off of unwatch) off();
  }
}

/** SIGKILL to every process: no shutdown hook runs, nothing is handed over. */
async function killAll(): Promise<void> {
  const gone = running.map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()))));
  for (const c of running) c.kill('SIGKILL');
  await Promise.all(gone);
  running = [];
}

async function codeStates(campaignId: string): Promise<Record<string, number>> {
  const db = new Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM ${schema}.codes WHERE campaign_id = $1 GROUP BY state`, [campaignId]);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  } finally {
    await db.end();
  }
}

const admin = <T>(path: string, body?: unknown) => requestJson<T>(`${urls.admin}/admin/v1${path}`, { body, headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  const [port, adminPort, metricsPort, adminMetricsPort, workerMetricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  env = appEnv({
    DATABASE_SCHEMA: schema,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    METRICS_PORT: String(metricsPort),
    ADMIN_METRICS_PORT: String(adminMetricsPort),
    ADMIN_TOKENS: `admin:read+write+export:${createHash('sha256').update(token).digest('hex')}`,
    // The periodic sweep far away: what releases the codes after the restart is the delayed job or the start-up sweep.
    LOCK_SWEEP_INTERVAL_MS: String(3_600_000),
  });
  urls = {
    intake: `http://127.0.0.1:${port}`,
    intakeInternal: `http://127.0.0.1:${metricsPort}`,
    admin: `http://127.0.0.1:${adminPort}`,
    workerMetrics: `http://127.0.0.1:${workerMetricsPort}`,
  };
  migrateApp(env);
  await startAll();
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((c) => stopChild(c)));
  await Promise.allSettled([dropSchema(schema, env.DATABASE_URL), deleteKeysByPrefix(prefix, env.REDIS_URL)]);
}, 60_000);

it('releases codes at their releaseAt although every process was SIGKILLed between the lock and the release', async () => {
  const created = await admin<{ id: string }>('/campaigns', {
    name: 'Show night',
    tiers: [{ name: 'skate-deck', reward: 'Skate deck', quantity: 20 }],
    perCustomerLimit: 1,
    code: { pattern: 'SHOW-####-####' },
    status: 'active',
  });
  expect(created.status).toBe(201);
  const campaignId = created.body.id;

  const releaseAt = new Date(Date.now() + 4_000);
  const lock = await admin<{ locked: number; codes: string[]; releaseJobId: string | null }>(`/campaigns/${campaignId}/locks`, {
    tier: 'skate-deck',
    count: 20,
    releaseAt: releaseAt.toISOString(),
    reason: 'held for the show',
  });
  expect(lock.status).toBe(201);
  expect(lock.body.locked).toBe(20);
  expect(lock.body.releaseJobId).not.toBeNull();

  await killAll();
  // Past the release time with nothing running: the codes are still locked.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, releaseAt.getTime() - Date.now()) + 1_500));
  expect(await codeStates(campaignId)).toEqual({ locked: 20 });

  await startAll();
  await waitFor('the locked codes released after the restart', async () => ((await codeStates(campaignId)).available === 20 ? true : undefined), 15_000, 100);
  expect(await codeStates(campaignId)).toEqual({ available: 20 });

  // The intake sees them as redeemable again.
  const redeemed = await requestJson<{ outcome?: string }>(`${urls.intake}/v1/redemptions`, {
    body: { campaignId, code: lock.body.codes[0], customerId: 'fan-after-restart' },
    headers: { prefer: 'wait=10' },
  });
  expect({ status: redeemed.status, outcome: redeemed.body.outcome }).toEqual({ status: 200, outcome: 'redeemed' });
}, 120_000);
