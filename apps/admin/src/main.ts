import { ChangePublisher } from '@dropgate/changes';
import { codeFilterPrefix, rebuildCodeFilter } from '@dropgate/code-filter';
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
  ShutdownRegistry,
} from '@dropgate/observability';
import { createAttemptQueue, createLockReleaseQueue, createRedis } from '@dropgate/queue';
import { openStore, storeSettingsFrom } from '@dropgate/store-runtime';
import { createAdminApp } from './app';
import { LockReleases } from './jobs/lock-releases';

function main(): void {
  const config = loadAdminConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, app: 'admin' });
  initSentry({ dsn: config.SENTRY_DSN, environment: config.SENTRY_ENVIRONMENT, app: 'admin', secrets: [config.ADMIN_TOKEN] });
  const shutdown = new ShutdownRegistry(logger, config.SHUTDOWN_TIMEOUT_MS);
  // Registered first so it runs last: errors raised while closing still get reported.
  shutdown.register('sentry', () => closeSentry(2000));

  const store = openStore(storeSettingsFrom(config, 'dropgate-admin'));
  shutdown.register('store', () => store.close());
  const onRedisError = (err: Error): void => logger.warn({ err: err.message }, 'redis connection error');
  const changes = new ChangePublisher({
    redis: createRedis(config.REDIS_URL, 'client', 'admin', { shutdown, onError: onRedisError }),
    subscriber: createRedis(config.REDIS_URL, 'worker', 'admin-change-acks', { shutdown, onError: onRedisError }),
    prefix: config.QUEUE_PREFIX,
    ackTimeoutMs: config.CHANGES_ACK_TIMEOUT_MS,
    onError: (err) => logger.warn({ err }, 'change not published (intakes catch up by their periodic reload)'),
  });
  // Not awaited: with Redis down the admin still starts; until the subscription is up a change only waits its timeout.
  changes.start().catch((err: unknown) => logger.warn({ err }, 'change acknowledgements unavailable'));
  shutdown.register('changes', () => changes.stop());
  // Timed locks: the lock-release worker, its periodic sweep and a sweep now (not awaited: Redis may still be down).
  const lockQueue = createLockReleaseQueue(createRedis(config.REDIS_URL, 'client', 'admin-locks', { shutdown, onError: onRedisError }), config.QUEUE_PREFIX, onRedisError);
  shutdown.register('lock-release queue', () => lockQueue.close());
  const lockReleases = new LockReleases({
    queue: lockQueue,
    workerConnection: createRedis(config.REDIS_URL, 'worker', 'admin-lock-worker', { shutdown, onError: onRedisError }),
    prefix: config.QUEUE_PREFIX,
    store,
    changes,
    sweepEveryMs: config.LOCK_SWEEP_INTERVAL_MS,
    onError: (err) => {
      logger.error({ err }, 'lock release failed');
      captureException(err, { app: 'admin', part: 'lock-releases' });
    },
  });
  shutdown.register('lock-releases', () => lockReleases.close());
  lockReleases.start().catch((err: unknown) => logger.error({ err }, 'lock releases could not start'));
  const registry = createMetricsRegistry('admin');
  // bull-board's view of the queues (read-only) on a connection of its own.
  const redis = createRedis(config.REDIS_URL, 'client', 'admin', { shutdown, onError: (err) => logger.warn({ err: err.message }, 'redis error') });
  const attemptQueue = createAttemptQueue(redis, config.QUEUE_PREFIX);
  shutdown.register('attempt queue', () => attemptQueue.close());
  const app = createAdminApp({
    store,
    changes,
    lockReleases,
    token: config.ADMIN_TOKEN,
    trustProxy: config.TRUST_PROXY,
    bodyLimitBytes: 64 * 1024,
    onCodesChanged: async (campaignId) => {
      try {
        const { filter, published } = await rebuildCodeFilter(store, redis, codeFilterPrefix(config.QUEUE_PREFIX), campaignId);
        logger.info({ campaign: campaignId, kind: filter.kind, codes: filter.count, bytes: filter.bytes, published }, 'code filter rebuilt');
      } catch (err) {
        // Without a filter the intakes queue every code of the campaign: slower against bots, never wrong.
        logger.error({ err, campaign: campaignId }, 'code filter rebuild failed');
        captureException(err, { app: 'admin', part: 'code-filter' });
      }
    },
    metricsText: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    page: { queues: [attemptQueue] },
    generationProgress: (campaign) => {
      let lastLogged = 0;
      // One line per 100k codes (and the last): visible progress without flooding the log.
      return (inserted, total) => {
        if (inserted !== total && inserted - lastLogged < 100_000) return;
        lastLogged = inserted;
        logger.info({ campaign, inserted, total, percent: Math.floor((100 * inserted) / Math.max(1, total)) }, 'generating codes');
      };
    },
    onUnexpected: (err, req) => {
      logger.error({ err, route: req.path }, 'unexpected error');
      captureException(err, { app: 'admin', route: req.path });
    },
  });
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
