import type { IncomingMessage, RequestListener } from 'node:http';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { IntakeConfig } from '@dropgate/config';
import { BlockMirror, SharedSourceBlocks, sourceBlocksPrefix } from '@dropgate/guard';
import { LoadShedder } from '@dropgate/http';
import { createMetricsRegistry, dependencyChecks, type InternalEndpoints } from '@dropgate/observability';
import { newAttemptId, type AttemptQueue } from '@dropgate/queue';
import type { RedemptionService } from '@dropgate/store';
import { createIntakeApp } from './app';
import { attemptHandlers } from './attempt-handlers';
import { BullmqGateway } from './bullmq-gateway';
import { CustomerTokenVerifier } from './customer-identity';
import { fastLane } from './fast-lane';
import type { CampaignLookup, CodeFilterLookup, IntakeDeps } from './intake-deps';
import { createIntakeMetrics } from './intake-metrics';
import { openGuard, openGuessBudget } from './open-guard';
import { publicCors } from './public-cors';
import { RequestMeter, routeLabel } from './request-meter';

export interface IntakeParts {
  /** The 'producer' connection, shared by the queue and the rate guard. */
  producer: Redis;
  queue: AttemptQueue;
  /** A 'worker' connection of its own: the gateway reads the queue's events on it while clients wait. */
  events: Redis;
  /** Where finished attempts are read once their job has expired from Redis. */
  recorded: Pick<RedemptionService, 'getAttempt'>;
  campaigns: CampaignLookup;
  /** The code filters (a `CodeFilterCache`); absent or CODE_FILTER_ENABLED=false: every well-formed code is queued. */
  codeFilter?: CodeFilterLookup | undefined;
  onDepthError: (err: unknown) => void;
  /** Redis failed while counting a wrong code (it is not counted; the request is still answered). */
  onGuessCountError?: ((err: unknown) => void) | undefined;
  /** Redis failed while sharing a source block with the workers (the block still holds in this intake). */
  onBlockShareError?: ((err: unknown) => void) | undefined;
  onUnexpected: (err: unknown, req: IncomingMessage) => void;
  /** Shedding starts or stops (log it). */
  onShedding?: (shedding: boolean, delayMs: number) => void;
  /**
   * false: every request goes through Express, the fast lane is left out (tests compare both: they must answer
   * alike). Default true.
   */
  fastLane?: boolean | undefined;
  /** The adaptive in-flight limit's clock (ms); tests give one they move. Default: performance.now. */
  shedderClock?: (() => number) | undefined;
}

export interface AssembledIntake {
  /** What the public server runs: the fast lane in front of the Express app. */
  handler: RequestListener;
  gateway: BullmqGateway;
  /** What the internal port serves: /metrics and /readyz. */
  internal: InternalEndpoints;
  /** The registry behind `internal.metrics` (a cluster worker hands it to the primary, which serves the sum). */
  registry: Registry;
  /** Started by the caller (it samples the event loop on a timer), stopped at shutdown. */
  shedder: LoadShedder;
}

const NO_CODE_FILTER: CodeFilterLookup = { mightContain: () => true };

/**
 * The intake's wiring from its configuration and connections: the BullMQ gateway, the rate guard, metrics and the
 * public request handler (the fast lane in front of the Express app). One function, so `main.ts` and the tests build
 * exactly the same thing.
 */
export function assembleIntake(config: IntakeConfig, parts: IntakeParts): AssembledIntake {
  const gateway = new BullmqGateway(
    parts.queue,
    parts.events,
    parts.producer,
    parts.recorded,
    {
      attempts: config.JOB_ATTEMPTS,
      backoffMs: config.JOB_BACKOFF_MS,
      retentionS: config.ATTEMPT_RETENTION_S,
      holdMs: config.ATTEMPT_HOLD_MS,
      depthRefreshMs: config.QUEUE_DEPTH_REFRESH_MS,
      connected: () => parts.producer.status === 'ready',
      keyPrefix: config.QUEUE_PREFIX,
      batch: { maxJobs: config.ENQUEUE_BATCH_MAX, waitMs: config.ENQUEUE_BATCH_WAIT_MS },
    },
    parts.onDepthError,
  );
  // One in-memory map of blocked sources for the rate guard and the guess budgets: the pre-body check reads it.
  const blocks = new BlockMirror();
  // Every source block it takes is shared through Redis: workers refuse the attempts of a source blocked after they
  // were accepted (the deferred verdict, ATTEMPT_HOLD_MS).
  if (config.RATE_LIMITS_ENABLED) {
    new SharedSourceBlocks({ redis: parts.producer, prefix: sourceBlocksPrefix(config.QUEUE_PREFIX), onError: parts.onBlockShareError }).follow(blocks);
  }
  const registry = createMetricsRegistry('intake');
  const shedder = new LoadShedder({
    maxDelayMs: config.SHED_EVENT_LOOP_DELAY_MS,
    maxInFlight: config.SHED_MAX_IN_FLIGHT,
    adaptive: config.SHED_TARGET_LATENCY_MS > 0 ? { targetLatencyMs: config.SHED_TARGET_LATENCY_MS, minInFlight: config.SHED_MIN_IN_FLIGHT } : undefined,
    onChange: (shedding, delayMs) => parts.onShedding?.(shedding, delayMs),
    now: parts.shedderClock,
  });
  const metrics = createIntakeMetrics(registry, () => gateway.depth(), () => shedder.inFlightLimit);
  const deps: IntakeDeps = {
    settings: {
      trustProxy: config.TRUST_PROXY,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      preferWaitMaxS: config.PREFER_WAIT_MAX_S,
      maxQueueDepth: config.MAX_QUEUE_DEPTH,
    },
    campaigns: parts.campaigns,
    codeFilter: config.CODE_FILTER_ENABLED && parts.codeFilter ? parts.codeFilter : NO_CODE_FILTER,
    guesses: openGuessBudget(config, parts.producer, blocks, parts.onGuessCountError),
    gateway,
    guard: openGuard(config, parts.producer, blocks),
    customerTokens: new CustomerTokenVerifier({ secret: config.CUSTOMER_JWT_SECRET, publicKey: config.CUSTOMER_JWT_PUBLIC_KEY }),
    metrics,
    shedder,
    newAttemptId,
    onUnexpected: parts.onUnexpected,
  };
  const handlers = attemptHandlers(deps);
  const meter = new RequestMeter(metrics);
  const app = createIntakeApp(deps, handlers, meter);
  const served =
    parts.fastLane === false ? app : fastLane({ app, handlers, meter, shedder, settings: deps.settings, onUnexpected: parts.onUnexpected });
  // In front of everything (a preflight is answered before shedding, rate limits and bodies); absent unless configured.
  const cors = publicCors(config.PUBLIC_CORS_ORIGINS);
  const handler = cors ? cors.wrap(served, (req, res) => meter.observe(routeLabel(pathOf(req.url)), res.statusCode, process.hrtime.bigint())) : served;
  const internal: InternalEndpoints = {
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    ready: dependencyChecks({ Redis: () => parts.producer.ping() }),
  };
  return { handler, gateway, internal, registry, shedder };
}

/** A request target's path (no query string). */
function pathOf(url: string | undefined): string {
  const target = url ?? '';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}
