import cluster from 'node:cluster';
import type { ShutdownLogger, ShutdownRegistry } from './shutdown-registry';

/** Stop signals by default: SIGHUP too, so a closed terminal drains like Ctrl-C instead of killing mid-request. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
const PARENT_GONE = 'parent-gone';

export interface SignalHandlerOptions {
  /** Defaults to process.exit; tests pass their own. */
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
  /** Repeats within this window are the same stop (Ctrl-C reaches the whole process group, then a supervisor forwards it). */
  repeatGraceMs?: number;
  /**
   * Apps pass `process`: when its IPC channel to the parent closes (a supervisor spawns its children with one), the
   * parent is gone, even SIGKILLed, and this process stops as on a signal instead of running on as an orphan.
   * Ignored without a channel and in a cluster worker (node:cluster handles its own); a channel already closed
   * (`connected` false: the parent died while this process was starting) stops it at once. Not the default: a test
   * runner's worker has a channel of its own that must be left alone.
   */
  parent?: NodeJS.EventEmitter;
}

/**
 * On SIGTERM/SIGINT/SIGHUP (or the parent's IPC channel closing): runs the registry's shutdown, then exits 0 when it
 * finished in time (failing hooks are logged, not fatal) or 1 when the deadline passed. A second signal while
 * shutting down exits 1 at once, unless it arrives within `repeatGraceMs` of the first: then it is the same stop
 * delivered twice, not an impatient operator. Returns a function that removes the handlers.
 */
export function installSignalHandlers(registry: ShutdownRegistry, logger: ShutdownLogger, options: SignalHandlerOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? STOP_SIGNALS;
  const graceMs = options.repeatGraceMs ?? 1000;
  const watched = options.parent === process && cluster.isWorker ? undefined : options.parent;
  // A channel that closed before we got here (the supervisor died while this process was still starting) emits no
  // 'disconnect' any more: `connected` false says so (undefined: there never was one). Such an orphan stops now.
  const goneAlready = (watched as { connected?: boolean } | undefined)?.connected === false;
  const parent = watched === process && !process.channel ? undefined : watched;
  let received: string | undefined;
  let receivedAt = 0;

  const onStop = (reason: string): void => {
    if (received !== undefined) {
      if (Date.now() - receivedAt < graceMs || reason === PARENT_GONE) return;
      logger.warn({ signal: reason, first: received }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    received = reason;
    receivedAt = Date.now();
    logger.info({ signal: reason }, reason === PARENT_GONE ? 'parent process gone' : 'signal received');
    void registry.shutdown(reason).then((result) => exit(result.timedOut ? 1 : 0));
  };
  const onParentGone = (): void => onStop(PARENT_GONE);

  for (const signal of signals) process.on(signal, onStop);
  if (parent) {
    parent.on('disconnect', onParentGone);
    // Listening for 'disconnect' holds the channel open; it must not keep an otherwise finished process alive.
    if (parent === process) process.channel?.unref();
  }
  if (goneAlready) onParentGone();
  return () => {
    for (const signal of signals) process.off(signal, onStop);
    parent?.off('disconnect', onParentGone);
  };
}
