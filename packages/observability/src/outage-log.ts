import { captureException } from './sentry';

/** Where an outage log writes (a pino logger fits). */
export interface OutageLogger {
  warn(fields: object, message: string): void;
}

export interface OutageLogOptions {
  /** What goes away, as the lines name it: `redis`, `postgres store`. */
  what: string;
  logger: OutageLogger;
  /** Told once per outage, with the error that began it (Sentry). */
  report?: ((err: unknown) => void) | undefined;
  /** The least time between two lines while the outage lasts (default 10 s). */
  summaryEveryMs?: number | undefined;
  /** Tests move it. Default: Date.now. */
  now?: (() => number) | undefined;
}

export const OUTAGE_SUMMARY_EVERY_MS = 10_000;

/**
 * A dependency (Redis, the store) going away and coming back, logged as an operator reads it: one line when it goes
 * ("redis unavailable: <reason>, retrying"), at most one line per `summaryEveryMs` while it stays away (how many
 * errors were left out), one line when it is back ("redis back after N s"), and one report (Sentry) per outage:
 * never a line per failed reconnect, job or request.
 *
 * Parts that lose their connection on their own (each Redis connection of a process) are told apart by any value
 * (the connection itself): the outage ends once every part that went down is up again, so connections that come
 * back one by one do not end and begin it again.
 */
export class OutageLog {
  private readonly downParts = new Set<unknown>();
  private startedAt: number | undefined;
  private lastLineAt = 0;
  private leftOut = 0;
  private readonly now: () => number;
  private readonly summaryEveryMs: number;

  constructor(private readonly options: OutageLogOptions) {
    this.now = options.now ?? Date.now;
    this.summaryEveryMs = options.summaryEveryMs ?? OUTAGE_SUMMARY_EVERY_MS;
  }

  /** Is an outage under way? */
  get isDown(): boolean {
    return this.startedAt !== undefined;
  }

  /**
   * `part` failed with `err`, or lost its connection (no `err`: ioredis reconnecting after a clean close). Begins the
   * outage if none is under way; otherwise counts the error (a lost connection without one counts nothing).
   */
  down(part: unknown, err?: unknown): void {
    this.downParts.add(part);
    if (this.startedAt === undefined) return this.begin(err);
    if (err !== undefined) this.countLeftOut();
  }

  /** `part` works again: once no part is down any more, the outage is over (one line). */
  up(part: unknown): void {
    if (!this.downParts.delete(part) || this.downParts.size > 0 || this.startedAt === undefined) return;
    const downForS = round1((this.now() - this.startedAt) / 1000);
    // Warn, as the line it ends: a log read at warning level must not show an outage that never ended.
    this.options.logger.warn({ downForS, errorsLeftOut: this.leftOut }, `${this.options.what} back after ${downForS} s`);
    this.startedAt = undefined;
    this.leftOut = 0;
  }

  /**
   * An error handler that, during an outage, only counts the error (in the next summary line) and otherwise calls
   * `handle`: for the failures that follow from the outage (a command, a poll, a job), which would each log a line.
   * (An arrow: passed around unbound.)
   */
  readonly unlessDown = <A extends unknown[]>(handle: (err: unknown, ...rest: A) => void): ((err: unknown, ...rest: A) => void) => {
    return (err, ...rest) => {
      if (this.startedAt === undefined) return handle(err, ...rest);
      this.countLeftOut();
    };
  };

  private begin(err: unknown): void {
    this.startedAt = this.lastLineAt = this.now();
    this.leftOut = 0;
    const reason = err === undefined ? 'connection lost' : err instanceof Error ? err.message : JSON.stringify(err);
    this.options.logger.warn({ err: reason }, `${this.options.what} unavailable: ${reason}, retrying`);
    this.options.report?.(err ?? new Error(`${this.options.what} unavailable: ${reason}`));
  }

  private countLeftOut(): void {
    this.leftOut++;
    const now = this.now();
    if (now - this.lastLineAt < this.summaryEveryMs) return;
    const downForS = round1((now - this.startedAt!) / 1000);
    this.options.logger.warn({ downForS, errorsLeftOut: this.leftOut }, `${this.options.what} still unavailable after ${downForS} s (${this.leftOut} errors not logged since the last line)`);
    this.lastLineAt = now;
    this.leftOut = 0;
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** A process's outage log whose one report per outage goes to Sentry, tagged with the process and what went away. */
export function reportedOutageLog(what: string, tags: { app: string; part: string }, logger: OutageLogger): OutageLog {
  return new OutageLog({ what, logger, report: (err) => captureException(err, tags) });
}
