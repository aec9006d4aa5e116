/**
 * EX_CONFIG (sysexits.h). A process exits with it when it failed at start for a reason a restart cannot fix (a bad
 * variable, a port already in use): `ProcessGroup` then gives up on it at once instead of restarting it for
 * half a minute, and the supervisor stops everything with that process's message as the last word.
 */
export const EXIT_NOT_RESTARTABLE = 78;

/**
 * Errors that would fail the same way on every restart say so with `notRestartable: true` (`ConfigError`, a port in
 * use). Structural, so the packages that throw them need not depend on this one.
 */
export function isNotRestartable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { notRestartable?: unknown }).notRestartable === true;
}

/**
 * The end of every app's `main().catch`: one line on stderr (the message alone for an error the operator must fix,
 * the stack otherwise) and the exit code that tells a supervisor whether restarting can help.
 */
export function exitOnStartupFailure(app: string, err: unknown): never {
  const fatal = isNotRestartable(err);
  const text = err instanceof Error ? (fatal ? err.message : (err.stack ?? err.message)) : String(err);
  process.stderr.write(`${app} failed to start: ${text}\n`);
  process.exit(fatal ? EXIT_NOT_RESTARTABLE : 1);
}
