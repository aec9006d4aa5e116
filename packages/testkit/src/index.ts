/**
 * What tests (unit, integration, end-to-end) and the benchmarks share. Test support only: never imported by an
 * app or a library at run time, and it imports none of them (so every package's own tests can use it).
 */
export { TEST_DATABASE_URL, TEST_REDIS_URL } from './test-env';
export { nextEvent, waitFor } from './wait-for';
export { jobResult, type JobReader } from './job-result';
export { freePort } from './free-port';
export { http, type HttpInit, type HttpResult } from './http-client';
export { rawHttp, type RawAnswer } from './raw-http';
export { expectApiError } from './api-assertions';
export { requestJson, runPool, type JsonResponse } from './http-json';
export { dropSchema, tempPgSchema, type TempPgSchema } from './temp-schema';
export { deleteKeysByPrefix } from './redis-keys';
export { redisReady } from './redis-ready';
export { startOwnRedis, type OwnRedis } from './redis-server';
export { startSilentLink, type SilentLink } from './silent-link';
export { startTcpRelay, type TcpRelay } from './tcp-relay';
export { logLines, type LogLine } from './log-lines';
export { SentryIngest, type SentryEvent } from './sentry-ingest';
export { appEntry, appEnv, migrateApp } from './app-process';
export { abortOnExit, isRunning, stopChild } from './child-process';
export { startSystem, type RunningSystem, type SystemOptions } from './system';
export { openClaimsCampaign } from './claims-campaign';
export {
  byLabel,
  counterValue,
  histAdd,
  histDelta,
  histMean,
  histogramOf,
  histQuantile,
  parseMetrics,
  sampleValue,
  scrape,
  sumOf,
  type Hist,
  type Sample,
} from './prom-text';
export { CHROMIUM_PATH, launchChromium } from './chromium';
export { validateOpenApi, type OpenApiValidation } from './openapi-validate';
