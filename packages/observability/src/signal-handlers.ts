import type { ShutdownLogger, ShutdownRegistry } from './shutdown-registry';

export interface SignalHandlerOptions {
  /** Defaults to process.exit; tests pass their own. */
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}

/**
 * On SIGTERM/SIGINT: runs the registry's shutdown, then exits 0 when it finished in time (failing hooks are
 * logged, not fatal) or 1 when the deadline passed. A second signal while shutting down exits 1 at once.
 * Returns a function that removes the handlers.
 */
export function installSignalHandlers(registry: ShutdownRegistry, logger: ShutdownLogger, options: SignalHandlerOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let received: NodeJS.Signals | undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      logger.warn({ signal, first: received }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    received = signal;
    logger.info({ signal }, 'signal received');
    void registry.shutdown(signal).then((result) => exit(result.timedOut ? 1 : 0));
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
