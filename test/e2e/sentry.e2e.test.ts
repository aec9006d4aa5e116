import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { captureException, closeSentry, flushSentry, initSentry } from '@dropgate/observability';
import { closeRedis, createAttemptQueueEvents, createRedis, QUEUES } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import {
  appEntry,
  appEnv,
  deleteKeysByPrefix,
  freePort,
  http,
  migrateApp,
  SentryIngest,
  tempPgSchema,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  waitFor,
  type SentryEvent,
} from '@dropgate/testkit';
// The intake's own test harness (app-specific: it builds the intake app in this process).
import { createCampaignWithCodes } from '../../apps/intake/test/campaign-fixture';
import { startIntake, type RunningIntake } from '../../apps/intake/test/intake-harness';

/**
 * Errors reach Sentry, with the tags an on-call engineer filters by, and domain outcomes never do: the real built
 * worker process (SENTRY_DSN pointed at a local ingest) and the intake app in this process, both sending real
 * envelopes over HTTP to a stand-in for Sentry's ingest endpoint.
 */

const schema = tempPgSchema('dg_t');
const prefix = `dgt${randomBytes(4).toString('hex')}`;

const messageOf = (e: SentryEvent): string => (e.exception?.values ?? []).map((v) => v.value ?? '').join(' ');

/**
 * Sentry's Node SDK hooks process-wide diagnostics channels (http) that outlive this file and keep writing to the
 * SDK's globals (`__SENTRY__`). Jest soft-deletes a finished file's globals, and writing to a soft-deleted property
 * recurses without end: every later HTTP request served in this jest worker would then die inside the server with
 * "Maximum call stack size exceeded" and hang. Mark those globals as protected from Jest's cleanup.
 */
function keepSentryGlobals(): void {
  const protect = Symbol.for('$$jest-protect-from-deletion');
  for (const key of Object.keys(globalThis)) {
    const value = (globalThis as Record<string, unknown>)[key];
    if (/sentry/i.test(key) && value !== null && typeof value === 'object') Reflect.defineProperty(value, protect, { value: [], configurable: true, writable: true });
  }
}

const ingest = new SentryIngest();
let dsn = '';
let store: Store;

beforeAll(async () => {
  dsn = `http://publickey@127.0.0.1:${await ingest.listen()}/1`;
  store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 4, applicationName: 'dropgate-sentry-e2e' });
});

afterAll(async () => {
  await closeSentry(2000);
  keepSentryGlobals();
  await store?.close();
  await schema.drop();
  await ingest.close();
  await deleteKeysByPrefix(prefix);
});

describe('the worker process reports failed jobs to Sentry', () => {
  let worker: ChildProcess;
  let stderr = '';
  const connection = createRedis(TEST_REDIS_URL, 'client', 'sentry-e2e');
  const eventsConnection = createRedis(TEST_REDIS_URL, 'worker', 'sentry-e2e-events');
  const queue = new Queue(QUEUES.attempts, { connection, prefix });
  const events = createAttemptQueueEvents(eventsConnection, prefix);

  beforeAll(async () => {
    const env = appEnv({
      DATABASE_SCHEMA: schema.name,
      QUEUE_PREFIX: prefix,
      WORKER_METRICS_PORT: String(await freePort()),
      SENTRY_DSN: dsn,
      SENTRY_ENVIRONMENT: 'e2e',
    });
    migrateApp(env);
    worker = spawn(process.execPath, [appEntry('worker')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    worker.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor('the worker metrics endpoint', async () => ((await fetch(`http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`)).ok ? true : undefined), 15_000);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  }, 30_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
    }
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await closeRedis(connection);
    await closeRedis(eventsConnection);
  });

  it('sends a provoked failure (unknown job name) with app, queue and attemptId tags, once, not retried; never a domain outcome', async () => {
    // A domain outcome first: a claim on a sold-out tier completes as a result, and must not be reported.
    const { campaign } = await createCampaignWithCodes(store, { tiers: [{ name: 'standard', reward: 'x', quantity: 0 }] });
    const soldOutId = `att_soldout_${randomBytes(6).toString('hex')}`;
    const soldOutJob = await queue.add('claim', { campaignId: campaign.id, customerId: 'too-late' }, { jobId: soldOutId, attempts: 3 });
    await expect(soldOutJob.waitUntilFinished(events, 10_000)).resolves.toMatchObject({ outcome: 'sold_out' });

    const doomedId = `att_doomed_${randomBytes(6).toString('hex')}`;
    await queue.add('bogus', { campaignId: campaign.id, customerId: 'x' }, { jobId: doomedId, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
    const event = await ingest.waitForEvent('the failed job in Sentry', (e) => e.tags?.attemptId === doomedId);
    expect(messageOf(event)).toContain('unknown job name "bogus"');
    expect(event.tags).toMatchObject({ app: 'worker', queue: QUEUES.attempts, attemptId: doomedId, final: 'true' });
    expect(event.environment).toBe('e2e');
    expect(event.exception?.values?.[0]?.type).toBe('UnrecoverableError');
    expect(ingest.paths.every((p) => p.startsWith('/api/1/envelope/'))).toBe(true);

    // Failed for good on its first try: no retry, so nothing more will be reported for it.
    const job = await queue.getJob(doomedId);
    expect({ state: await job?.getState(), attemptsMade: job?.attemptsMade }).toEqual({ state: 'failed', attemptsMade: 1 });

    // The sold-out claim (finished before the failure was even queued) produced no event.
    const reported = ingest.events();
    expect(reported.filter((e) => e.tags?.attemptId === soldOutId || /sold_out/.test(JSON.stringify(e)))).toEqual([]);
    expect(reported.filter((e) => e.tags?.attemptId === doomedId)).toHaveLength(1);
  });

  it('sends what is pending before it exits on SIGTERM (exit code 0)', async () => {
    const lastId = `att_last_${randomBytes(6).toString('hex')}`;
    const failed = new Promise<void>((resolve) => {
      const onFailed = ({ jobId }: { jobId: string }): void => {
        if (jobId !== lastId) return;
        events.off('failed', onFailed);
        resolve();
      };
      events.on('failed', onFailed);
    });
    // Another job name: Sentry's Dedupe integration drops an event identical (message and stack) to the one before.
    await queue.add('bogus-last', { campaignId: 'c', customerId: 'x' }, { jobId: lastId, attempts: 1 });
    await failed;
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    // No waiting here: the worker answered only after our ingest stored the envelope, so it is already in.
    expect(ingest.events().filter((e) => e.tags?.attemptId === lastId)).toHaveLength(1);
    expect(stderr).not.toMatch(/failed to start|unhandled/i);
  });
});

describe('the intake app reports unexpected errors to Sentry, and only those', () => {
  let app: RunningIntake;
  const boom = `catalog exploded ${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    await store.migrate();
    expect(initSentry({ dsn, environment: 'e2e', app: 'intake' })).toBe(true);
    app = await startIntake({
      store,
      env: { QUEUE_PREFIX: `${prefix}-intake` },
      // A lookup that breaks for one campaign id, and knows no other.
      campaigns: {
        get: (id) => {
          if (id === 'explode') throw new Error(boom);
          return undefined;
        },
      },
      // as main.ts's reportError does
      onUnexpected: (err, req) => void captureException(err, { app: 'intake', route: (req.url ?? '').split('?')[0] ?? '' }),
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers 500 internal_error (JSON, no stack) and sends the error tagged app=intake; a 4xx is not sent', async () => {
    const notFound = await http(app.url, '/v1/claims', { body: { campaignId: 'no_such_campaign', customerId: 'x' } });
    expect(notFound.status).toBe(404);
    const invalid = await http(app.url, '/v1/claims', { body: { campaignId: 'explode', customerId: 'x\u0000' } });
    expect(invalid.status).toBe(400);

    const res = await http(app.url, '/v1/claims', { body: { campaignId: 'explode', customerId: 'victim' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual({ error: { code: 'internal_error', message: 'internal error' } });
    expect(res.text).not.toContain(boom);
    expect(res.text).not.toMatch(/\bat |\.ts:\d+/);
    expect(app.unexpected).toHaveLength(1);

    expect(await flushSentry(5000)).toBe(true);
    const event = await ingest.waitForEvent('the intake error in Sentry', (e) => messageOf(e).includes(boom));
    expect(event.tags).toMatchObject({ app: 'intake', route: '/v1/claims' });
    expect(event.environment).toBe('e2e');
    // Everything queued was flushed: the 404 and the 400 produced no event.
    const intakeEvents = ingest.events().filter((e) => e.tags?.app === 'intake');
    expect(intakeEvents.map(messageOf)).toEqual([expect.stringContaining(boom)]);
    // No request body or customer id travelled with it.
    expect(JSON.stringify(event)).not.toContain('victim');
  });
});
