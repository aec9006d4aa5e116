import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { ChangePublisher } from '@dropgate/changes';
import { loadWorkerConfig } from '@dropgate/config';
import {
  captureException,
  closeSentry,
  createInternalServer,
  createLogger,
  createMetricsRegistry,
  dependencyChecks,
  readyUntilShutdown,
  initSentry,
  installSignalHandlers,
  listenOn,
  registryMetrics,
  reportedOutageLog,
  ShutdownRegistry,
} from '@dropgate/observability';
import { attemptProcessor, batchingRedemptions, jobResultOf } from '@dropgate/attempt-processing';
import { CampaignGuessOverrides, GuessBudget, guessBudgetFrom, guessBudgetPrefix, holdRuleFrom, rateGuardPrefix, SharedSourceBlocks, sourceBlocksPrefix, wrongCodeCounter } from '@dropgate/guard';
import { createRedis, QUEUES, redisAnswers, type AttemptJobData, type AttemptJobName, type AttemptJobResult } from '@dropgate/queue';
import { openStore, storeSettingsFrom, waitForConfiguredStore } from '@dropgate/store-runtime';
import { exitOnStartupFailure } from '@dropgate/supervision';
import { holdingThroughStoreOutage, StoreOutage } from './store-outage';
import { TargetStops } from './target-stops';
import { createWorkerMetrics } from './worker-metrics';
import { errorMessage } from '@dropgate/core';

/** How soon after a success its campaign is checked for a stop at the target (one read per campaign per burst). */
const TARGET_CHECK_AFTER_MS = 20;

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, app: 'worker' });
  initSentry({ dsn: config.SENTRY_DSN, environment: config.SENTRY_ENVIRONMENT, app: 'worker' });
  const shutdown = new ShutdownRegistry(logger, config.SHUTDOWN_TIMEOUT_MS);
  // Registered first so it runs last: errors raised while closing still get reported.
  shutdown.register('sentry', () => closeSentry(2000));

  const store = openStore(storeSettingsFrom(config, 'dropgate-worker'));
  // Closed last (registered first): in-flight jobs still need it while the worker drains.
  shutdown.register('store', () => store.close());
  // A store that starts after us is waited for (STORE_CONNECT_TIMEOUT_MS); one that stays down stops the worker.
  await waitForConfiguredStore(store, config, (fields, message) => logger.warn(fields, message));

  const registry = createMetricsRegistry('worker');
  const metrics = createWorkerMetrics(registry);
  // Redis or the store going away: one line when it goes, a summary at most every 10 s, one when it is back, one
  // report each; the failures that follow from it are only counted meanwhile (`quiet`).
  const redisOutage = reportedOutageLog('redis', { app: 'worker', part: 'redis' }, logger);
  const quiet = redisOutage.unlessDown;
  const storeOutageLog = reportedOutageLog(`${store.name} store`, { app: 'worker', part: 'store' }, logger);
  const connection = createRedis(config.REDIS_URL, 'worker', 'worker', { shutdown, health: redisOutage });
  // The operator's port: /metrics, /healthz, and /readyz (Redis and the store answer: this worker can process jobs).
  // Bound before any job is taken: a port in use stops the worker with a message naming WORKER_METRICS_PORT.
  // Loopback unless METRICS_HOST says otherwise (docker-compose: the private network).
  const metricsServer = createInternalServer({
    metrics: registryMetrics(registry),
    ready: readyUntilShutdown(shutdown, dependencyChecks({ Redis: () => redisAnswers(connection), [`the ${store.name} store`]: () => store.ping() })),
  });
  const metricsPort = await listenOn(metricsServer, config.WORKER_METRICS_PORT, config.METRICS_HOST, 'WORKER_METRICS_PORT');

  // The store away while we run: jobs keep their tries and wait, the worker stops taking jobs until it answers.
  const storeOutage = new StoreOutage({
    ping: () => store.ping(),
    log: storeOutageLog,
    pause: () => void worker.pause(true).catch((err: unknown) => logger.warn({ err }, 'worker pause failed')),
    resume: () => void worker.resume(),
  });

  /** Runs `report` unless the store being away explains `err` (then the outage's own lines say it). */
  const unlessStoreOutage = (err: unknown, report: () => void): void =>
    void storeOutage.explains(err).then((explained) => {
      if (!explained) report();
    });

  // The attempts in flight go to the store in batches (one transaction each on PostgreSQL); 1 = off. A batch that
  // failed because the store is away is part of the outage (usually its first sign): no line of its own.
  const onBatchFellBack = (err: unknown, size: number): void =>
    unlessStoreOutage(err, () => logger.warn({ size, err: errorMessage(err) }, 'batched store call failed; running its attempts one by one'));
  const redemptions = batchingRedemptions(store.redemptions, {
    max: config.WORKER_STORE_BATCH_MAX,
    waitMs: config.WORKER_STORE_BATCH_WAIT_MS,
    onBatch: (size, fellBack, err) => {
      metrics.storeBatches.observe({ fell_back: String(fellBack) }, size);
      if (fellBack) onBatchFellBack(err, size);
    },
  });

  // A job that can never succeed fails at once, unrecoverable; infrastructure errors throw and are retried.
  // A code_not_found here is a wrong code the intake's filter let through: it counts against the same guess budgets.
  const budgetRedis = createRedis(config.REDIS_URL, 'client', 'worker-guesses', { shutdown, health: redisOutage });
  const guesses = new GuessBudget({
    redis: budgetRedis,
    prefix: guessBudgetPrefix(config.QUEUE_PREFIX),
    limits: guessBudgetFrom(config),
    onError: quiet((err) => logger.warn({ err }, 'wrong code not counted (redis)')),
  });
  // Counted with the campaign's own `settings.guessBudget`, as the intake counts its filter misses.
  const countWrongCode = wrongCodeCounter(
    guesses,
    new CampaignGuessOverrides({
      load: async (id) => (await store.campaigns.get(id))?.settings.guessBudget,
      ttlMs: config.CAMPAIGN_CACHE_TTL_MS,
      onError: (err) => logger.warn({ err }, 'campaign guess budget unreadable: wrong code counted with the GUESS_* limits'),
    }),
  );
  // A success that reaches a campaign's target stops it in the store; the intakes hear of it at once from here.
  const onChangesError = quiet((err) => logger.warn({ err }, 'stop at target not announced (intakes catch up by their periodic reload)'));
  const changes = new ChangePublisher({
    redis: createRedis(config.REDIS_URL, 'client', 'worker-changes', { shutdown, health: redisOutage }),
    subscriber: createRedis(config.REDIS_URL, 'worker', 'worker-change-acks', { shutdown, health: redisOutage }),
    prefix: config.QUEUE_PREFIX,
    ackTimeoutMs: config.CHANGES_ACK_TIMEOUT_MS,
    onError: onChangesError,
  });
  changes.start().catch(onChangesError);
  shutdown.register('changes', () => changes.stop());
  // Its campaign read fails when the store is away: part of the outage, no line of its own.
  const onTargetCheckError = (err: unknown): void => unlessStoreOutage(err, () => onChangesError(err));
  const targetStops = new TargetStops({ campaign: (id) => store.campaigns.get(id), changes, checkAfterMs: TARGET_CHECK_AFTER_MS, onError: onTargetCheckError });
  shutdown.register('target stops', () => targetStops.stop());

  // The deferred verdict: the blocks every intake and worker took, and the distinct customers each source named (the
  // rate guard's counters), read in one MGET per event-loop turn of jobs; an attempt whose source was blocked after it
  // was accepted is refused (source_blocked), one whose source keeps naming new customers is held again, up to
  // ATTEMPT_HOLD_MAX_MS (holdVerdict). This worker's own guess budget blocks are shared the same way.
  const sourceBlocks = new SharedSourceBlocks({
    redis: budgetRedis,
    prefix: sourceBlocksPrefix(config.QUEUE_PREFIX),
    distinctPrefix: rateGuardPrefix(config.QUEUE_PREFIX),
    batchMax: config.WORKER_CONCURRENCY,
    onError: quiet((err) => logger.warn({ err }, 'source block not shared (redis)')),
  });
  sourceBlocks.follow(guesses.mirror);
  let verdictErrorLogged = 0;
  const processAttempt = attemptProcessor({
    redemptions,
    now: () => new Date(),
    onWrongCode: countWrongCode,
    sourceEvidence: (source) => sourceBlocks.evidence(source),
    holdRule: holdRuleFrom(config),
    // Off (trying things by hand): no wrong code counted, no source_blocked, no hold past ATTEMPT_HOLD_MS, as the intake.
    rateLimitsEnabled: config.RATE_LIMITS_ENABLED,
    onHoldVerdict: (verdict) => {
      if (verdict.action === 'defer') metrics.holdDeferrals.inc();
      else if (verdict.action === 'judge' && verdict.held) metrics.heldJudged.inc();
    },
    onVerdictError: (err) => {
      metrics.verdictErrors.inc();
      quiet(() => {
        // At most one line a second outside an outage too: a Redis that fails only these reads.
        if (Date.now() - verdictErrorLogged < 1000) return;
        verdictErrorLogged = Date.now();
        logger.warn({ err: errorMessage(err) }, 'source blocks unreadable (redis): attempts judged without the deferred verdict');
      })(err);
    },
  });
  const worker = new Worker<AttemptJobData, AttemptJobResult, AttemptJobName>(
    QUEUES.attempts,
    holdingThroughStoreOutage(storeOutage, async (job: Job<AttemptJobData, AttemptJobResult, AttemptJobName>, token?: string) => {
      const end = metrics.duration.startTimer({ kind: job.name });
      try {
        const result = await processAttempt(job, token);
        metrics.outcomes.inc({ kind: job.name, outcome: result.outcome });
        if (result.outcome === 'redeemed' || result.outcome === 'claimed') targetStops.noteSuccess(job.data.campaignId);
        return jobResultOf(result);
      } finally {
        end();
      }
    }),
    {
      connection,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_DURATION_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      // A killed worker's jobs are stalled, then picked up again; idempotency by attempt id makes that safe. Every
      // store operation is one transaction, so a worker killed mid-attempt leaves nothing half-done to settle.
      maxStalledCount: 10,
    },
  );

  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
    metrics.failures.inc({ kind: job.name, final: String(final) });
    logger.warn({ attemptId: job.id, attemptsMade: job.attemptsMade, final, err: err.message }, 'attempt failed');
    captureException(err, { app: 'worker', queue: QUEUES.attempts, attemptId: job.id ?? 'unknown', final: String(final) });
  });
  worker.on(
    'error',
    quiet((err) => {
      logger.error({ err }, 'worker error');
      captureException(err, { app: 'worker', queue: QUEUES.attempts });
    }),
  );
  // Stop taking jobs, let in-flight ones finish (bounded by the shutdown deadline), then close Redis.
  shutdown.register('worker', () => worker.close());
  // Before the worker closes (registered after it): no more pings of a store that is going away.
  shutdown.register('store outage', () => storeOutage.stop());

  shutdown.register('metrics-http', () => new Promise<void>((resolve) => metricsServer.close(() => resolve())));
  logger.info({ port: metricsPort, concurrency: config.WORKER_CONCURRENCY, storeBatchMax: config.WORKER_STORE_BATCH_MAX }, 'worker running');
  installSignalHandlers(shutdown, logger, { parent: process });
}

main().catch((err: unknown) => {
  exitOnStartupFailure('worker', err);
});
