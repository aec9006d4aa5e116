import type { ShutdownLogger, ShutdownRegistry } from './shutdown-registry';

export interface SignalHandlerOptions {
  /** Defaults to process.exit; tests pass their own. */
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
  /** Repeats within this window are the same stop (Ctrl-C reaches the whole process group, then a supervisor forwards it). */
  repeatGraceMs?: number;
}

/**
 * On SIGTERM/SIGINT: runs the registry's shutdown, then exits 0 when it finished in time (failing hooks are
 * logged, not fatal) or 1 when the deadline passed. A second signal while shutting down exits 1 at once, unless it
 * arrives within `repeatGraceMs` of the first: then it is the same stop delivered twice, not an impatient operator.
 * Returns a function that removes the handlers.
 */
export function installSignalHandlers(registry: ShutdownRegistry, logger: ShutdownLogger, options: SignalHandlerOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const graceMs = options.repeatGraceMs ?? 1000;
  let received: NodeJS.Signals | undefined;
  let receivedAt = 0;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      if (Date.now() - receivedAt < graceMs) return;
      logger.warn({ signal, first: received }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    received = signal;
    receivedAt = Date.now();
    logger.info({ signal }, 'signal received');
    void registry.shutdown(signal).then((result) => exit(result.timedOut ? 1 : 0));
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
