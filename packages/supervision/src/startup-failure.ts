import { errorMessage, errorWithStack } from '@dropgate/core';
import { createLogger, stderrSync, type Logger } from '@dropgate/observability';

/**
 * EX_CONFIG (sysexits.h). A process exits with it when it failed at start for a reason a restart cannot fix (a bad
 * variable, a port already in use, a store refusing the credentials): `ProcessGroup` then gives up on it at once
 * instead of restarting it for half a minute, and the supervisor stops everything with that process's message as
 * the last word.
 */
export const EXIT_NOT_RESTARTABLE = 78;
/** EX_UNAVAILABLE (sysexits.h): a service it needs (the store, Redis) did not answer in time; a restart later may work. */
export const EXIT_UNAVAILABLE = 69;
/** Anything else: a failure nobody foresaw (its stack is logged). */
export const EXIT_UNEXPECTED = 1;

/**
 * Errors that would fail the same way on every restart say so with `notRestartable: true` (`ConfigError`, a port in
 * use). Structural, so the packages that throw them need not depend on this one.
 */
export function isNotRestartable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { notRestartable?: unknown }).notRestartable === true;
}

/** A service the process needs did not answer within its wait (`unavailable: true`: the store, Redis). Structural too. */
export function isUnavailable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { unavailable?: unknown }).unavailable === true;
}

/** Why a process could not start, as its log line and exit code say it. */
export type StartupFailureKind = 'not_restartable' | 'unavailable' | 'unexpected';

export function startupFailureOf(err: unknown): { kind: StartupFailureKind; exitCode: number } {
  if (isNotRestartable(err)) return { kind: 'not_restartable', exitCode: EXIT_NOT_RESTARTABLE };
  if (isUnavailable(err)) return { kind: 'unavailable', exitCode: EXIT_UNAVAILABLE };
  return { kind: 'unexpected', exitCode: EXIT_UNEXPECTED };
}

/**
 * Logs a start-up failure as ONE JSON line (the processes' own log format, level fatal): `msg` is
 * `<app> failed to start: <what to fix>`, with `exitCode` and `failure` (its kind); the stack only for an unexpected
 * failure, as a field of that line (an operator's mistake needs the message, not a trace). Returns the exit code.
 */
export function logStartupFailure(logger: Logger, app: string, err: unknown): number {
  const { kind, exitCode } = startupFailureOf(err);
  logger.fatal({ failure: kind, exitCode, ...(kind === 'unexpected' ? { stack: errorWithStack(err) } : {}) }, `${app} failed to start: ${errorMessage(err)}`);
  return exitCode;
}

/**
 * The end of every app's `main().catch`: the failure's one line on stderr (written synchronously: it is the last
 * thing the process does) and the exit code that tells a supervisor whether restarting can help.
 */
export function exitOnStartupFailure(app: string, err: unknown): never {
  process.exit(logStartupFailure(createLogger({ level: 'info', app, destination: stderrSync() }), app, err));
}
