/** A close function, sync or async (whatever it returns is awaited). */
export type CloseFn = () => unknown;

/** The part of a pino logger the registry writes to. */
export interface ShutdownLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShutdownResult {
  reason: string;
  /** True when every hook finished in time without throwing. */
  ok: boolean;
  timedOut: boolean;
  /** Hooks that threw. */
  failed: string[];
  /** Hooks not finished when the deadline passed (the one running, then those not started). */
  pending: string[];
  durationMs: number;
}

interface Hook {
  name: string;
  close: CloseFn;
}

/**
 * The one place a process's servers, workers, queues, pools and connections register how to close.
 * `shutdown` runs the hooks one at a time in reverse registration order (last opened, first closed: the HTTP
 * server before the queue it feeds, the queue before its Redis connection), under one deadline, logging each.
 * A hook that throws is logged and skipped past. Calling `shutdown` again returns the same promise.
 */
export class ShutdownRegistry {
  private hooks: Hook[] = [];
  private running: Promise<ShutdownResult> | undefined;
  /** Set before the first hook runs, so a hook that registers another one sees it. */
  private started = false;

  /** `timeoutMs`: deadline for the whole shutdown, all hooks together (SHUTDOWN_TIMEOUT_MS). */
  constructor(
    private readonly logger: ShutdownLogger,
    private readonly timeoutMs: number,
  ) {}

  get shuttingDown(): boolean {
    return this.started;
  }

  /** Names of the hooks in the order they will run. */
  get order(): string[] {
    return this.hooks.map((h) => h.name).reverse();
  }

  /**
   * Adds a close hook; returns a function that removes it again (for resources closed earlier by other means).
   * Once shutdown has begun, a newly registered hook is run at once.
   */
  register(name: string, close: CloseFn): () => void {
    const hook: Hook = { name, close };
    if (this.started) {
      this.logger.warn({ hook: name }, 'registered during shutdown: closing it now');
      void this.runHook(hook).then((error) => {
        if (error !== undefined) this.logger.error({ hook: name, err: error }, 'close hook failed');
      });
      return () => undefined;
    }
    this.hooks.push(hook);
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  shutdown(reason: string): Promise<ShutdownResult> {
    if (!this.running) {
      this.started = true;
      this.running = this.run(reason);
    }
    return this.running;
  }

  private async run(reason: string): Promise<ShutdownResult> {
    const { logger, timeoutMs } = this;
    const started = Date.now();
    const hooks = this.hooks.reverse();
    this.hooks = [];
    logger.info({ reason, hooks: hooks.map((h) => h.name), timeoutMs }, 'shutting down');

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timeoutMs);
    });
    const failed: string[] = [];
    let pending: string[] = [];
    try {
      for (const [i, hook] of hooks.entries()) {
        const hookStarted = Date.now();
        const result = await Promise.race([this.runHook(hook).then((error) => ({ error })), deadline]);
        if (result === 'deadline') {
          pending = hooks.slice(i).map((h) => h.name);
          logger.error({ hook: hook.name, pending, timeoutMs }, 'shutdown deadline passed');
          break;
        }
        if (result.error !== undefined) {
          failed.push(hook.name);
          logger.error({ hook: hook.name, err: result.error, ms: Date.now() - hookStarted }, 'close hook failed');
        } else {
          logger.info({ hook: hook.name, ms: Date.now() - hookStarted }, 'closed');
        }
      }
    } finally {
      clearTimeout(timer);
    }

    const timedOut = pending.length > 0;
    const result: ShutdownResult = { reason, ok: !timedOut && failed.length === 0, timedOut, failed, pending, durationMs: Date.now() - started };
    logger.info({ ...result }, 'shutdown finished');
    return result;
  }

  /** Runs one hook; resolves with what it threw (undefined when it succeeded). */
  private async runHook(hook: Hook): Promise<unknown> {
    try {
      await hook.close();
      return undefined;
    } catch (err) {
      return err ?? new Error(`close hook ${hook.name} rejected`);
    }
  }
}
