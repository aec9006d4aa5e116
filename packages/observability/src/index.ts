export { redact } from './redact';
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './logger';
export { captureException, closeSentry, flushSentry, initSentry, type SentryOptions } from './sentry';
export { createMetricsRegistry } from './metrics-registry';
export { metricsHandler } from './metrics-handler';
export { ShutdownRegistry, type CloseFn, type ShutdownLogger, type ShutdownResult } from './shutdown-registry';
export { installSignalHandlers, STOP_SIGNALS, type SignalHandlerOptions } from './signal-handlers';
export { createInternalServer, createPublicServer, httpTimeoutsFrom, listenOn, type HttpTimeouts, type InternalEndpoints } from './http-servers';
export { createScrubber, REDACTED, scrubString, type ScrubOptions } from './scrub-event';
