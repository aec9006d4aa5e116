import http from 'node:http';
import { loadAdminConfig } from '@dropgate/config';
import {
  captureException,
  closeSentry,
  createLogger,
  createMetricsRegistry,
  createPublicServer,
  httpTimeoutsFrom,
  initSentry,
  installSignalHandlers,
  metricsHandler,
  ShutdownRegistry,
} from '@dropgate/observability';
import { createAdminJobQueue, createAttemptQueue, createRedis, QUEUES } from '@dropgate/queue';
import { openStore, storeSettingsFrom } from '@dropgate/store-runtime';
import { tokenEntries } from './admin-tokens';
import { createAdminApp } from './app';
import { createAuthThrottle } from './auth-throttle';
import { onCodesChanged } from './codes-changed';
import { startAdminJobsWorker } from './jobs/admin-jobs-worker';

function main(): void {
  const config = loadAdminConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, app: 'admin' });
  // No token is in the configuration (ADMIN_TOKENS holds hashes only), so there is no configured secret to scrub.
  initSentry({ dsn: config.SENTRY_DSN, environment: config.SENTRY_ENVIRONMENT, app: 'admin' });
  const shutdown = new ShutdownRegistry(logger, config.SHUTDOWN_TIMEOUT_MS);
  // Registered first so it runs last: errors raised while closing still get reported.
  shutdown.register('sentry', () => closeSentry(2000));

  const store = openStore(storeSettingsFrom(config, 'dropgate-admin'));
  shutdown.register('store', () => store.close());
  const onRedisError = (err: Error) => logger.warn({ err: err.message }, 'redis connection error');
  const client = createRedis(config.REDIS_URL, 'client', 'admin', { shutdown, onError: onRedisError });
  const jobs = createAdminJobQueue(client, config.QUEUE_PREFIX, onRedisError);
  shutdown.register('admin-jobs queue', () => jobs.close());

  // The admin jobs worker runs in this process: long operations (code generation) survive the request, and a
  // restarted admin picks up where a killed one stopped (BullMQ stalled-job recovery + the job's resume point).
  const workerConnection = createRedis(config.REDIS_URL, 'worker', 'admin-jobs', { shutdown, onError: onRedisError });
  const worker = startAdminJobsWorker({
    connection: workerConnection,
    prefix: config.QUEUE_PREFIX,
    store,
    onCodesChanged: (campaignId) => onCodesChanged(campaignId),
    onError: (err) => logger.error({ err }, 'admin jobs worker error'),
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
  });
  shutdown.register('admin-jobs worker', () => worker.close());

  // bull-board's view of the queues (read-only).
  const attemptQueue = createAttemptQueue(client, config.QUEUE_PREFIX);
  shutdown.register('attempt queue', () => attemptQueue.close());

  const app = createAdminApp({
    store,
    jobs,
    tokens: tokenEntries(config.ADMIN_TOKENS),
    authThrottle: createAuthThrottle({
      redis: client,
      keyPrefix: `${config.QUEUE_PREFIX}:admin-auth`,
      maxFailures: config.ADMIN_AUTH_MAX_FAILURES,
      windowS: config.ADMIN_AUTH_WINDOW_S,
      blockS: config.ADMIN_AUTH_BLOCK_S,
    }),
    onCodesChanged: (campaignId) => onCodesChanged(campaignId),
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
  const metricsServer = http.createServer(metricsHandler(registry));
  metricsServer.on('error', (err) => {
    // Metrics are not worth taking the admin down for (a port taken by another process): say so loudly.
    logger.error({ err, port: config.ADMIN_METRICS_PORT }, 'admin metrics port unavailable; serving no metrics');
    captureException(err, { app: 'admin', what: 'metrics-port' });
  });
  metricsServer.listen(config.ADMIN_METRICS_PORT, () => logger.info({ port: config.ADMIN_METRICS_PORT }, 'admin metrics listening'));
  shutdown.register('metrics-http', () => new Promise<void>((resolve) => metricsServer.close(() => resolve())));
  const server = createPublicServer(app, httpTimeoutsFrom(config));
  server.listen(config.ADMIN_PORT, () => logger.info({ port: config.ADMIN_PORT }, 'admin listening'));
  shutdown.register('http', () => new Promise<void>((resolve) => server.close(() => resolve())));
  installSignalHandlers(shutdown, logger);
}

try {
  main();
} catch (err) {
  process.stderr.write(`admin failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}
