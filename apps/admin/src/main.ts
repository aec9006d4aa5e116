import { ChangePublisher } from '@dropgate/changes';
import { codeFilterPrefix } from '@dropgate/code-filter';
import { ADMIN_TOKENS_MISSING, loadAdminConfig, type AdminConfig } from '@dropgate/config';
import { guessBudgetPrefix, readAllCampaignWrongCodes, readCampaignWrongCodes } from '@dropgate/guard';
import {
  captureException,
  closeSentry,
  closeServer,
  createInternalServer,
  createLogger,
  createMetricsRegistry,
  createPublicServer,
  dependencyChecks,
  httpTimeoutsFrom,
  initSentry,
  installSignalHandlers,
  listenOn,
  registryMetrics,
  reportedOutageLog,
  ShutdownRegistry,
  type Logger,
} from '@dropgate/observability';
import { AdminJobCancels, createAdminJobQueue, createAttemptQueue, createLockReleaseQueue, createRedis, QUEUES, redisAnswers, UploadStaging } from '@dropgate/queue';
import { openStore, storeSettingsFrom, waitForConfiguredStore } from '@dropgate/store-runtime';
import { exitOnStartupFailure } from '@dropgate/supervision';
import { tokenEntries } from './admin-tokens';
import { createAdminApp } from './app';
import { createNotConfiguredApp } from './not-configured-app';
import { LockReleases } from './jobs/lock-releases';
import { createAuthThrottle } from './auth-throttle';
import { redisCalls } from './redis-calls';
import { codesChangedHook } from './codes-changed';
import { registerWrongCodesMetric } from './wrong-codes-metric';
import { startAdminJobsWorker } from './jobs/admin-jobs-worker';
import { errorMessage } from '@dropgate/core';

async function main(): Promise<void> {
  const config = loadAdminConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, app: 'admin' });
  // No token is in the configuration (ADMIN_TOKENS holds hashes only), so there is no configured secret to scrub.
  initSentry({ dsn: config.SENTRY_DSN, environment: config.SENTRY_ENVIRONMENT, app: 'admin' });
  const shutdown = new ShutdownRegistry(logger, config.SHUTDOWN_TIMEOUT_MS);
  // Registered first so it runs last: errors raised while closing still get reported.
  shutdown.register('sentry', () => closeSentry(2000));
  if (config.ADMIN_TOKENS === undefined) return serveNotConfigured(config, logger, shutdown);
  const tokens = tokenEntries(config.ADMIN_TOKENS);

  const store = openStore(storeSettingsFrom(config, 'dropgate-admin'));
  shutdown.register('store', () => store.close());
  // A store that starts after us is waited for (STORE_CONNECT_TIMEOUT_MS); one that stays down stops the admin.
  await waitForConfiguredStore(store, config, (fields, message) => logger.warn(fields, message));
  // Redis going away: one line when it goes, a summary at most every 10 s, one when it is back, one report; the
  // failures that follow from it (jobs workers, sweeps, publications) are only counted meanwhile (`quiet`).
  const redisOutage = reportedOutageLog('redis', { app: 'admin', part: 'redis' }, logger);
  const quiet = redisOutage.unlessDown;
  const onRedisError = quiet((err) => logger.warn({ err: errorMessage(err) }, 'redis connection error'));
  const changes = new ChangePublisher({
    redis: createRedis(config.REDIS_URL, 'client', 'admin', { shutdown, health: redisOutage }),
    subscriber: createRedis(config.REDIS_URL, 'worker', 'admin-change-acks', { shutdown, health: redisOutage }),
    prefix: config.QUEUE_PREFIX,
    ackTimeoutMs: config.CHANGES_ACK_TIMEOUT_MS,
    onError: quiet((err) => logger.warn({ err }, 'change not published (intakes catch up by their periodic reload)')),
    isDown: () => redisOutage.isDown,
  });
  // Not awaited: with Redis down the admin still starts; until the subscription is up a change only waits its timeout.
  changes.start().catch(quiet((err) => logger.warn({ err }, 'change acknowledgements unavailable')));
  shutdown.register('changes', () => changes.stop());
  // Timed locks: the lock-release worker, its periodic sweep and a sweep now (not awaited: Redis may still be down).
  const lockQueue = createLockReleaseQueue(createRedis(config.REDIS_URL, 'client', 'admin-locks', { shutdown, health: redisOutage }), config.QUEUE_PREFIX, onRedisError);
  shutdown.register('lock-release queue', () => lockQueue.close());
  const lockReleases = new LockReleases({
    queue: lockQueue,
    workerConnection: createRedis(config.REDIS_URL, 'worker', 'admin-lock-worker', { shutdown, health: redisOutage }),
    prefix: config.QUEUE_PREFIX,
    store,
    changes,
    sweepEveryMs: config.LOCK_SWEEP_INTERVAL_MS,
    onError: quiet((err) => {
      logger.error({ err }, 'lock release failed');
      captureException(err, { app: 'admin', part: 'lock-releases' });
    }),
  });
  shutdown.register('lock-releases', () => lockReleases.close());
  lockReleases.start().catch(quiet((err) => logger.error({ err }, 'lock releases could not start')));
  const client = createRedis(config.REDIS_URL, 'client', 'admin', { shutdown, health: redisOutage });
  // After a generation job or an import: the campaign's code filter is rebuilt, then a codes change is published.
  const codesChanged = codesChangedHook({
    store,
    redis: client,
    filterPrefix: codeFilterPrefix(config.QUEUE_PREFIX),
    changes,
    onFilterRebuilt: (campaignId, filter, published) =>
      logger.info({ campaign: campaignId, kind: filter.kind, codes: filter.count, bytes: filter.bytes, published }, 'code filter rebuilt'),
    // Without a filter the intakes queue every code of the campaign: slower against bots, never wrong. During a Redis
    // outage the failure is one of the outage's (counted in its summary), not an error of its own.
    onError: quiet((err, campaignId: string) => {
      logger.error({ err, campaign: campaignId }, 'code filter rebuild or codes change failed');
      captureException(err, { app: 'admin', part: 'code-filter' });
    }),
  });
  const jobs = createAdminJobQueue(client, config.QUEUE_PREFIX, onRedisError);
  shutdown.register('admin-jobs queue', () => jobs.close());
  // Imports: the request streams the file into Redis, the import job reads it from there (a restart loses nothing).
  const uploads = new UploadStaging({ redis: client, prefix: config.QUEUE_PREFIX, maxBytes: config.ADMIN_IMPORT_MAX_BYTES });
  const jobCancels = new AdminJobCancels(client, config.QUEUE_PREFIX);

  // The admin jobs worker runs in this process: long operations (code generation, imports) survive the request, and a
  // restarted admin picks up where a killed one stopped (BullMQ stalled-job recovery + the job's resume point).
  const workerConnection = createRedis(config.REDIS_URL, 'worker', 'admin-jobs', { shutdown, health: redisOutage });
  const worker = startAdminJobsWorker({
    connection: workerConnection,
    prefix: config.QUEUE_PREFIX,
    store,
    uploads,
    cancels: jobCancels,
    onCodesChanged: (campaignId, cause) => codesChanged(campaignId, cause),
    onError: quiet((err) => logger.error({ err }, 'admin jobs worker error')),
    onFailed: (job, err) => {
      logger.warn({ jobId: job?.id, name: job?.name, attemptsMade: job?.attemptsMade, err: err.message }, 'admin job failed');
      captureException(err, { app: 'admin', queue: QUEUES.adminJobs, jobId: job?.id ?? 'unknown' });
    },
  });
  const lastLogged = new Map<string, number>();
  // One log line per 100k codes: visible progress without flooding the log.
  worker.on('progress', (job, progress) => {
    const p = progress as { done?: number; total?: number };
    if (typeof p.done !== 'number' || typeof p.total !== 'number' || !job.id) return;
    const last = lastLogged.get(job.id) ?? 0;
    if (p.done !== p.total && p.done - last < 100_000) return;
    lastLogged.set(job.id, p.done);
    logger.info({ jobId: job.id, name: job.name, done: p.done, total: p.total, percent: Math.floor((100 * p.done) / Math.max(1, p.total)) }, 'admin job progress');
  });
  worker.on('completed', (job) => {
    lastLogged.delete(job.id ?? '');
    logger.info({ jobId: job.id, name: job.name, result: job.returnvalue }, 'admin job completed');
    // A generation job that activated its campaign: every intake reloads it (its codes were announced already).
    const result = job.returnvalue as { activated?: boolean } | undefined;
    if (result?.activated === true && typeof job.data?.campaignId === 'string') {
      void changes.publish({ kind: 'campaign', campaignId: job.data.campaignId, action: 'status' }).catch((err: unknown) => logger.warn({ err }, 'campaign activation not published'));
    }
  });
  shutdown.register('admin-jobs worker', () => worker.close());

  // bull-board's view of the queues (read-only).
  const attemptQueue = createAttemptQueue(client, config.QUEUE_PREFIX);
  shutdown.register('attempt queue', () => attemptQueue.close());

  // A request's Redis calls: refused at once (503 unavailable) while Redis is away, a failure a 503 too, never a
  // 500 with a stack per request; the outage log has the outage.
  const redis = redisCalls({
    isDown: () => redisOutage.isDown,
    onError: quiet((err) => logger.warn({ err: errorMessage(err) }, 'redis call failed (answered 503 unavailable)')),
  });
  const app = createAdminApp({
    store,
    // /readyz: Redis too (the jobs, the uploads and the login throttle live there), not the store alone.
    redisReady: () => redisAnswers(client),
    jobs,
    redis,
    tokens,
    authThrottle: createAuthThrottle({
      redis: client,
      keyPrefix: `${config.QUEUE_PREFIX}:admin-auth`,
      maxFailures: config.ADMIN_AUTH_MAX_FAILURES,
      windowS: config.ADMIN_AUTH_WINDOW_S,
      blockS: config.ADMIN_AUTH_BLOCK_S,
    }),
    changes,
    lockReleases,
    wrongCodes: (campaignId) => readCampaignWrongCodes(client, guessBudgetPrefix(config.QUEUE_PREFIX), campaignId),
    uploads,
    jobCancels,
    trustProxy: config.TRUST_PROXY,
    bodyLimitBytes: 64 * 1024,
    page: { queues: [attemptQueue, jobs] },
    onUnexpected: (err, req) => {
      logger.error({ err, route: req.path }, 'unexpected error');
      captureException(err, { app: 'admin', route: req.path });
    },
    onAuditError: (err) => {
      logger.error({ err }, 'audit entry not recorded');
      captureException(err, { app: 'admin', what: 'audit' });
    },
  });

  // Prometheus metrics on the internal metrics port only, never on the API's port.
  const registry = createMetricsRegistry('admin');
  registerWrongCodesMetric(
    registry,
    () => readAllCampaignWrongCodes(client, guessBudgetPrefix(config.QUEUE_PREFIX)),
    quiet((err) => logger.warn({ err }, 'wrong codes per campaign unreadable (redis): left out of this scrape')),
  );
  // The same readiness on the metrics port as on the API's /readyz (the store and Redis answer).
  const metricsServer = createInternalServer({ metrics: registryMetrics(registry), ready: dependencyChecks({ [`the ${store.name} store`]: () => store.ping(), Redis: () => redisAnswers(client) }) });
  metricsServer.on('error', (err) => {
    // Metrics are not worth taking the admin down for (a port taken by another process): say so loudly.
    logger.error({ err, port: config.ADMIN_METRICS_PORT }, 'admin metrics port unavailable; serving no metrics');
    captureException(err, { app: 'admin', what: 'metrics-port' });
  });
  metricsServer.listen(config.ADMIN_METRICS_PORT, () => logger.info({ port: config.ADMIN_METRICS_PORT }, 'admin metrics listening'));
  shutdown.register('metrics-http', () => new Promise<void>((resolve) => metricsServer.close(() => resolve())));
  const server = createPublicServer(app, httpTimeoutsFrom(config));
  const port = await listenOn(server, config.ADMIN_PORT, undefined, 'ADMIN_PORT');
  logger.info({ port }, 'admin listening');
  shutdown.register('http', () => closeServer(server));
  installSignalHandlers(shutdown, logger, { parent: process });
}

/** Without ADMIN_TOKENS: no store, no Redis, no jobs; the API port answers 503 admin_not_configured until restarted configured. */
async function serveNotConfigured(config: AdminConfig, logger: Logger, shutdown: ShutdownRegistry): Promise<void> {
  logger.error({ variable: 'ADMIN_TOKENS' }, ADMIN_TOKENS_MISSING);
  const server = createPublicServer(createNotConfiguredApp(ADMIN_TOKENS_MISSING), httpTimeoutsFrom(config));
  const port = await listenOn(server, config.ADMIN_PORT, undefined, 'ADMIN_PORT');
  logger.warn({ port }, 'admin listening, not configured: every request answers 503 admin_not_configured');
  shutdown.register('http', () => closeServer(server));
  installSignalHandlers(shutdown, logger, { parent: process });
}

main().catch((err: unknown) => exitOnStartupFailure('admin', err));
