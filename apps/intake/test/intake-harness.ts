import type { IncomingMessage, Server } from 'node:http';
import type { Redis } from 'ioredis';
import { ChangeFeed } from '@dropgate/changes';
import { CodeFilterCache, codeFilterPrefix } from '@dropgate/code-filter';
import { loadIntakeConfig, type IntakeConfig } from '@dropgate/config';
import { createInternalServer, createPublicServer, httpTimeoutsFrom, listenOn } from '@dropgate/observability';
import type { LoadShedder } from '@dropgate/http';
import { closeRedis, createAttemptQueue, createRedis, type AttemptQueue } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { deleteKeysByPrefix, TEST_DATABASE_URL, TEST_REDIS_URL, type TempPgSchema } from '@dropgate/testkit';
import type { CampaignLookup } from '../src/app';
import { assembleIntake } from '../src/assemble-intake';
import type { BullmqGateway } from '../src/bullmq-gateway';
import { CampaignCatalog } from '../src/campaign-catalog';
import { followChanges } from '../src/catalog-changes';

export interface IntakeHarnessOptions {
  store: Store;
  /** The process environment, as `main.ts` would read it (QUEUE_PREFIX, RATE_*, TRUST_PROXY, MAX_QUEUE_DEPTH, ...). */
  env: Record<string, string>;
  /** Where the producer connection (queue + rate limiter) points, when not REDIS_URL: e.g. a port nothing listens on. */
  producerUrl?: string;
  /** Replaces the campaign catalog (e.g. one that fails). */
  campaigns?: CampaignLookup;
  /** Called after the harness records an unexpected error (the process would report it to Sentry). */
  onUnexpected?: (err: unknown, req: IncomingMessage) => void;
  /** false: no fast lane, every request through Express (to compare both). */
  fastLane?: boolean;
  /** The adaptive in-flight limit's clock (SHED_TARGET_LATENCY_MS), in ms. */
  shedderClock?: () => number;
}

export interface RunningIntake {
  url: string;
  /** The internal port (METRICS_PORT): /metrics and /readyz. */
  internalUrl: string;
  shedder: LoadShedder;
  config: IntakeConfig;
  producer: Redis;
  queue: AttemptQueue;
  gateway: BullmqGateway;
  catalog: CampaignCatalog;
  codeFilter: CodeFilterCache;
  /** Every error the app handed to `onUnexpected` (what `main.ts` logs and sends to Sentry). */
  unexpected: unknown[];
  /** Stops the server and closes every connection; removes the queue's keys when Redis is reachable. */
  close(): Promise<void>;
}

/**
 * Builds the intake exactly as `main.ts` wires it (config from an env object, one producer connection shared by
 * the queue and the rate guard, the events connection of kind 'worker', the catalog, the BullMQ gateway, a metrics
 * registry) and listens on a random port of 127.0.0.1. The store is the caller's (it outlives several apps).
 */
export async function startIntake(options: IntakeHarnessOptions): Promise<RunningIntake> {
  // No load shedding unless a test asks for it: the machine running the tests is shared and its event loop lags.
  const config = loadIntakeConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_URL: TEST_REDIS_URL,
    DATABASE_URL: TEST_DATABASE_URL,
    SHED_EVENT_LOOP_DELAY_MS: '0',
    SHED_MAX_IN_FLIGHT: '0',
    ...options.env,
  });
  const unexpected: unknown[] = [];
  const report = (err: unknown): void => void unexpected.push(err);

  const producer = createRedis(options.producerUrl ?? config.REDIS_URL, 'producer', 'intake-producer', { onError: () => undefined });
  const queue = createAttemptQueue(producer, config.QUEUE_PREFIX);
  const events = createRedis(config.REDIS_URL, 'worker', 'intake-events', { onError: () => undefined });

  const catalog = new CampaignCatalog(options.store.campaigns, config.CAMPAIGN_CACHE_TTL_MS, report);
  const changesConnection = createRedis(config.REDIS_URL, 'worker', 'intake-changes', { onError: () => undefined });
  const feed = new ChangeFeed({ subscriber: changesConnection, redis: producer, prefix: config.QUEUE_PREFIX, onError: report });
  followChanges(feed, catalog);
  if (options.producerUrl === undefined) await feed.start();
  await catalog.start();
  const codeFilter = new CodeFilterCache({ redis: producer, prefix: codeFilterPrefix(config.QUEUE_PREFIX), pollMs: config.CODE_FILTER_POLL_MS, onError: report });
  if (config.CODE_FILTER_ENABLED && options.producerUrl === undefined) await codeFilter.start();
  const { handler, gateway, internal, shedder } = assembleIntake(config, {
    fastLane: options.fastLane,
    shedderClock: options.shedderClock,
    producer,
    queue,
    events,
    recorded: options.store.redemptions,
    campaigns: options.campaigns ?? catalog,
    codeFilter,
    onDepthError: () => undefined,
    onUnexpected: (err, req) => {
      report(err);
      options.onUnexpected?.(err, req);
    },
  });
  gateway.start();

  // Ready before the first request, so no test races the start-up.
  if (options.producerUrl === undefined) await queue.waitUntilReady();
  shedder.start();
  // As main.ts serves it: the app on a server with the configured timeouts, /metrics and /readyz on their own.
  const server: Server = createPublicServer(handler, httpTimeoutsFrom(config));
  const url = `http://127.0.0.1:${await listenOn(server, 0, '127.0.0.1')}`;
  const internalServer: Server = createInternalServer(internal);
  const internalUrl = `http://127.0.0.1:${await listenOn(internalServer, 0, '127.0.0.1')}`;

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    shedder.stop();
    for (const s of [server, internalServer]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    gateway.stop();
    catalog.stop();
    codeFilter.stop();
    await feed.stop();
    await closeRedis(changesConnection);
    gateway.endWaits();
    if (producer.status === 'ready') {
      await queue.obliterate({ force: true });
      await queue.close();
      await closeRedis(producer);
    } else {
      // Never connected: closeRedis would wait out its 2 s fallback (ioredis emits no 'end' while reconnecting).
      await queue.close();
      producer.disconnect();
    }
  };
  return { url, internalUrl, shedder, config, producer, queue, gateway, catalog, codeFilter, unexpected, close: () => (closing ??= close()) };
}

/**
 * An intake test file's teardown (its afterAll): closes its intakes, then the store they read, drops its schema and
 * deletes its Redis keys. Each part may be missing (a beforeAll that failed half way).
 */
export async function stopIntakeTest(parts: { apps: readonly (RunningIntake | undefined)[]; store: Store | undefined; schema: TempPgSchema; prefix: string }): Promise<void> {
  await Promise.all(parts.apps.flatMap((app) => (app ? [app.close()] : [])));
  await parts.store?.close();
  await parts.schema.drop();
  await deleteKeysByPrefix(parts.prefix);
}
