import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { ApiError } from './api-error';
import { sendApiError } from './error-handling';

export interface LoadShedderOptions {
  /** Shed while the event loop's p99 delay over the last window exceeds this (ms); 0 = never shed. */
  maxDelayMs: number;
  /** How often the delay is read (and the window restarted). */
  windowMs?: number;
  retryAfterS?: number;
  /** Called when shedding starts and stops (logs, metrics). */
  onChange?: (shedding: boolean, delayMs: number) => void;
}

/**
 * Load shedding on event-loop delay: when the loop is late (CPU saturated, long GC, a flood), new requests are
 * answered at once with `503 overloaded` + `Retry-After` BEFORE their bodies are read or parsed, so the requests
 * already inside finish and latency does not explode for everyone. The delay comes from perf_hooks'
 * monitorEventLoopDelay (sampled by libuv, no timers of ours per request); the decision is one boolean read.
 */
export class LoadShedder {
  private histogram: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sheddingNow = false;
  private lastDelayMs = 0;
  private readonly windowMs: number;
  private readonly error: ApiError;

  constructor(private readonly options: LoadShedderOptions) {
    this.windowMs = options.windowMs ?? 500;
    this.error = new ApiError('overloaded', 'the server is overloaded; try again shortly', { retryAfterS: options.retryAfterS ?? 1 });
  }

  start(): this {
    if (this.options.maxDelayMs <= 0 || this.histogram) return this;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), this.windowMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram?.disable();
    this.histogram = undefined;
    this.sheddingNow = false;
  }

  get shedding(): boolean {
    return this.sheddingNow;
  }

  /** The p99 event-loop delay of the last full window (ms). */
  get delayMs(): number {
    return this.lastDelayMs;
  }

  /** Reads the window's delay and decides; public so a test can drive it without waiting for the timer. */
  sample(): void {
    if (!this.histogram) return;
    // The histogram counts the delay on top of its own resolution; what matters is the tail.
    const delayMs = Math.max(0, this.histogram.percentile(99) / 1e6 - 10);
    this.histogram.reset();
    this.lastDelayMs = delayMs;
    const next = delayMs > this.options.maxDelayMs;
    if (next !== this.sheddingNow) {
      this.sheddingNow = next;
      this.options.onChange?.(next, delayMs);
    }
  }

  /** Put it before the body parser: a shed request costs one header write. */
  middleware(): RequestHandler {
    return (_req, res, next) => {
      if (!this.sheddingNow) return next();
      res.setHeader('Connection', 'close');
      sendApiError(res, this.error);
    };
  }
}
