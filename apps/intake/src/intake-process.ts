import { ChangeFeed } from '@dropgate/changes';
import { CodeFilterCache, codeFilterPrefix } from '@dropgate/code-filter';
import type { IntakeConfig } from '@dropgate/config';
import {
  answerClusterMetrics,
  captureException,
  closeSentry,
  closeServer,
  createInternalServer,
  createLogger,
  createPublicServer,
  httpTimeoutsFrom,
  initSentry,
  installSignalHandlers,
  listenOn,
  readyUntilShutdown,
  reportedOutageLog,
  ShutdownRegistry,
} from '@dropgate/observability';
import { createAttemptQueue, createRedis } from '@dropgate/queue';
import { openStore, storeSettingsFrom, waitForConfiguredStore } from '@dropgate/store-runtime';
import { assembleIntake } from './assemble-intake';
import { CampaignCatalog } from './campaign-catalog';
import { followChanges } from './catalog-changes';
import { answerReadiness } from './cluster-readiness';
import { errorMessage } from '@dropgate/core';

/**
 * One intake process: HTTP in, guard, enqueue. `clustered`: one of INTAKE_PROCESSES node:cluster workers sharing
 * PORT; the primary then serves METRICS_PORT, asking each worker for its metrics and readiness over IPC.
 */
export async function runIntake(config: IntakeConfig, clustered: boolean): Promise<void> {
  // First: a primary's scrape while this worker starts gets an empty answer at once, not a 5 s wait.
  if (clustered) answerClusterMetrics();
  const logger = createLogger({ level: config.LOG_LEVEL, app: 'intake' });
  initSentry({ dsn: config.SENTRY_DSN, environment: config.SENTRY_ENVIRONMENT, app: 'intake', secrets: [config.CUSTOMER_JWT_SECRET] });
  const shutdown = new ShutdownRegistry(logger, config.SHUTDOWN_TIMEOUT_MS);
  // Registered first so it runs last: errors raised while closing still get reported.
  shutdown.register('sentry', () => closeSentry(2000));
  const reportError = (err: unknown, tags: Record<string, string> = {}): void => {
    logger.error({ err, ...tags }, 'unexpected error');
    captureException(err, { app: 'intake', ...tags });
  };

  const store = openStore(storeSettingsFrom(config, 'dropgate-intake'));
  shutdown.register('store', () => store.close());
  // The catalog is loaded from it below: a store that starts after us is waited for (STORE_CONNECT_TIMEOUT_MS).
  await waitForConfiguredStore(store, config, (fields, message) => logger.warn(fields, message));
  // Redis going away: one line when it goes, a summary at most every 10 s, one when it is back (not one per
  // reconnect, poll or request); the failures that follow from it are only counted meanwhile (`quiet`).
  const redisOutage = reportedOutageLog('redis', { app: 'intake', part: 'redis' }, logger);
  const quiet = redisOutage.unlessDown;
  const onRedisError = quiet((err) => logger.warn({ err: errorMessage(err) }, 'redis connection error'));
  // Producer: fails fast while Redis is down (→ 503), never queues commands offline.
  const producer = createRedis(config.REDIS_URL, 'producer', 'intake', { shutdown, health: redisOutage });
  const queue = createAttemptQueue(producer, config.QUEUE_PREFIX, onRedisError);
  shutdown.register('queue', () => queue.close());
  // No waitUntilReady: with Redis down the intake still starts, answering 503 (and /readyz 503) until it is back.
  // The queue's events, read (XREAD BLOCK) while clients long-poll: a 'worker' kind connection (no command timeout).
  const events = createRedis(config.REDIS_URL, 'worker', 'intake-events', { shutdown, health: redisOutage });

  const catalog = new CampaignCatalog(store.campaigns, config.CAMPAIGN_CACHE_TTL_MS, (err) => reportError(err, { part: 'catalog' }));
  // Changes published by the admin reach the catalog at once; its periodic reload is the fallback.
  const feed = new ChangeFeed({
    subscriber: createRedis(config.REDIS_URL, 'worker', 'intake-changes', { shutdown, health: redisOutage }),
    redis: producer,
    prefix: config.QUEUE_PREFIX,
    onError: quiet((err) => reportError(err, { part: 'changes' })),
  });
  followChanges(feed, catalog);
  await feed.start();
  shutdown.register('changes', () => feed.stop());
  await catalog.start();
  shutdown.register('catalog', () => catalog.stop());

  // Code filters: loaded from Redis now and on every change (one GET per poll); without them every code is queued.
  const codeFilter = new CodeFilterCache({
    redis: producer,
    prefix: codeFilterPrefix(config.QUEUE_PREFIX),
    pollMs: config.CODE_FILTER_POLL_MS,
    onError: quiet((err) => logger.warn({ err }, 'code filter reload failed')),
    onReload: (campaignIds) => logger.info({ campaignIds }, 'code filters reloaded'),
  });
  if (config.CODE_FILTER_ENABLED) {
    await codeFilter.start();
    shutdown.register('code-filter', () => codeFilter.stop());
  }

  const { handler, gateway, internal, registry, shedder } = assembleIntake(config, {
    producer,
    queue,
    events,
    recorded: store.redemptions,
    campaigns: catalog,
    codeFilter,
    onDepthError: quiet((err) => logger.warn({ err }, 'queue depth refresh failed')),
    onGuessCountError: quiet((err) => logger.warn({ err }, 'wrong code not counted (redis)')),
    onBlockShareError: quiet((err) => logger.warn({ err }, 'source block not shared with the workers (redis)')),
    onUnexpected: (err, req) => reportError(err, { route: (req.url ?? '').split('?')[0] ?? '' }),
    onShedding: (shedding, delayMs) =>
      shedding ? logger.warn({ delayMs }, 'event loop lagging: shedding new requests (503 overloaded)') : logger.info({ delayMs }, 'shedding stopped'),
  });
  gateway.start();
  shutdown.register('gateway', () => gateway.stop());
  shedder.start();
  shutdown.register('shedder', () => shedder.stop());

  const ready = readyUntilShutdown(shutdown, internal.ready ?? (() => Promise.resolve()));
  let metrics = 'served by the cluster primary';
  if (clustered) {
    // The primary serves /metrics and /readyz for every worker.
    answerClusterMetrics(registry);
    answerReadiness(ready);
  } else {
    // /metrics and /readyz: the operator's port, loopback unless METRICS_HOST says otherwise.
    const internalServer = createInternalServer({ ...internal, ready });
    metrics = `${config.METRICS_HOST}:${await listenOn(internalServer, config.METRICS_PORT, config.METRICS_HOST, 'METRICS_PORT')}`;
    shutdown.register('internal-http', () => new Promise<void>((resolve) => internalServer.close(() => resolve())));
  }
  const server = createPublicServer(handler, httpTimeoutsFrom(config));
  const port = await listenOn(server, config.PORT, undefined, 'PORT');
  logger.info({ port, metrics }, 'intake listening');
  shutdown.register('http', () => closeServer(server));
  // Runs before the server closes (registered after it): the long polls answer 202 now instead of holding it up.
  shutdown.register('long polls', () => gateway.endWaits());
  installSignalHandlers(shutdown, logger, { parent: process });
}

