import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { AdaptiveLimit } from './adaptive-limit';
import { ApiError } from './api-error';

export interface LoadShedderOptions {
  /** Shed while the event loop's p99 delay over the last window exceeds this (ms); 0 = never shed. */
  maxDelayMs: number;
  /**
   * Requests being handled at once (let in, not yet answered); one more is shed at once. 0 = no cap. What bounds the
   * work (and memory) a flood can hold in the process: it waits behind at most this many, not behind every connection.
   */
  maxInFlight?: number | undefined;
  /**
   * With a `maxInFlight` cap: the cap follows the latency of what is let in (`AdaptiveLimit`), between `minInFlight`
   * and `maxInFlight`, holding its p99 under `targetLatencyMs` (from admission to answer, or to `leave`). Absent: the
   * cap is `maxInFlight`, fixed. Without a cap, or with `minInFlight` above it: refused (throws).
   */
  adaptive?: { targetLatencyMs: number; minInFlight: number; windowMs?: number | undefined } | undefined;
  /** The adaptive limit's clock (ms); tests give their own. */
  now?: (() => number) | undefined;
  /** How often the delay is read (and the window restarted). */
  windowMs?: number;
  retryAfterS?: number;
  /** Called when shedding starts and stops (logs, metrics). */
  onChange?: (shedding: boolean, delayMs: number) => void;
}

/** When an admitted response was let in (`now()`), for the adaptive limit: set on the response, no map to look up. */
const ADMITTED_AT = Symbol('admittedAt');
type Admitted = ServerResponse & { [ADMITTED_AT]?: number };

/**
 * Load shedding: new requests are answered at once with `503 overloaded` + `Retry-After` BEFORE their bodies are read
 * or parsed, so the requests already inside finish and latency does not explode for everyone, when
 *  - more than `maxInFlight` requests are already being handled (a counter: one increment, one decrement on close;
 *    with `adaptive`, the cap follows the latency of what is let in), or
 *  - the event loop is late (CPU starved, long GC): its p99 delay over the last window, from perf_hooks'
 *    monitorEventLoopDelay (sampled by libuv, no timers of ours per request); the decision is one boolean read.
 */
export class LoadShedder {
  private histogram: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sheddingNow = false;
  private lastDelayMs = 0;
  private inFlightNow = 0;
  /** Per connection, its pipelined responses still waiting for their turn (`untilTurnOrClose`). */
  private readonly waitingTurn = new WeakMap<Socket, Set<ServerResponse>>();
  private shedCount = 0;
  private readonly maxInFlight: number;
  private readonly windowMs: number;
  private readonly body: string;
  private readonly bodyLength: number;
  private readonly retryAfter: string;
  private readonly adaptive: AdaptiveLimit | undefined;
  private readonly now: () => number;
  /** The 'close' listener of an admitted response (one function for all: `leave` finds it by identity). */
  private readonly release: (this: ServerResponse) => void;

  constructor(private readonly options: LoadShedderOptions) {
    this.windowMs = options.windowMs ?? 500;
    this.maxInFlight = options.maxInFlight ?? 0;
    this.now = options.now ?? (() => performance.now());
    const adaptive = options.adaptive;
    // Neither ignored nor clamped (the config refuses both at start-up: SHED_TARGET_LATENCY_MS, SHED_MIN_IN_FLIGHT).
    if (adaptive && this.maxInFlight === 0) throw new Error('an adaptive in-flight cap needs a maxInFlight cap to adapt');
    this.adaptive = adaptive
      ? new AdaptiveLimit({ max: this.maxInFlight, min: adaptive.minInFlight, targetMs: adaptive.targetLatencyMs, windowMs: adaptive.windowMs }, this.now)
      : undefined;
    const finish = (res: ServerResponse): void => this.finish(res);
    this.release = function (this: ServerResponse) {
      finish(this);
    };
    this.body = JSON.stringify(new ApiError('overloaded', 'the server is overloaded; try again shortly').toBody());
    this.bodyLength = Buffer.byteLength(this.body);
    this.retryAfter = String(Math.max(1, Math.ceil(options.retryAfterS ?? 1)));
  }

  /** Requests let in and not answered yet (counted only with a `maxInFlight` cap). */
  get inFlight(): number {
    return this.inFlightNow;
  }

  /** Requests that may be in flight at once now: the adaptive limit, or the fixed `maxInFlight` (0 = no cap). */
  get inFlightLimit(): number {
    return this.adaptive?.limit ?? this.maxInFlight;
  }

  /** Requests shed since start (either reason). */
  get shed(): number {
    return this.shedCount;
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

  /**
   * Lets a request in (true: it counts as in flight until its response closes) or answers it `503 overloaded` at
   * once (false). Call it before reading the body: a shed request costs one prebuilt answer, nothing thrown or parsed.
   */
  admit(res: ServerResponse): boolean {
    if (this.sheddingNow) {
      // The loop itself is late: also let the connection go, so fewer clients hold on to a starved process.
      res.setHeader('Connection', 'close');
      this.refuse(res);
      return false;
    }
    if (this.maxInFlight > 0) {
      // Over the cap the connection stays open: closing it makes the client reconnect, which costs more.
      if (this.inFlightNow >= (this.adaptive ? this.adaptive.limit : this.maxInFlight)) {
        this.adaptive?.refused();
        this.refuse(res);
        return false;
      }
      this.inFlightNow++;
      if (this.adaptive) (res as Admitted)[ADMITTED_AT] = this.now();
      res.once('close', this.release);
      // A pipelined request's response has no socket until the ones before it are sent; if the connection dies
      // first, Node never closes that response: the connection's close lets it go then.
      if (!res.socket) this.untilTurnOrClose(res);
    }
    return true;
  }

  /**
   * The request holds no more work, only a wait (a `Prefer: wait` long poll once its attempt is queued): it stops
   * counting as in flight now, not when its response closes. Without this, long polls held the slots for the whole
   * hold (ATTEMPT_HOLD_MS) and a process waiting for `maxInFlight` outcomes shed everyone else. Idempotent.
   */
  leave(res: ServerResponse): void {
    if (!res.listeners('close').includes(this.release)) return;
    res.removeListener('close', this.release);
    this.finish(res);
  }

  /** An admitted request's work is over (answered, gone, or only waiting now): its slot is free. */
  private finish(res: Admitted): void {
    const admittedAt = res[ADMITTED_AT];
    if (this.adaptive && admittedAt !== undefined) this.adaptive.finish(this.now() - admittedAt, this.inFlightNow);
    this.inFlightNow--;
  }

  /**
   * A pipelined response waiting for its connection: let go when the connection closes, unless it closed first. One
   * listener per connection (not one per response: many pipelined requests would pass the socket's listener limit).
   */
  private untilTurnOrClose(res: ServerResponse): void {
    const socket = res.req.socket;
    let waiting = this.waitingTurn.get(socket);
    if (!waiting) {
      const responses = (waiting = new Set());
      this.waitingTurn.set(socket, responses);
      socket.once('close', () => {
        this.waitingTurn.delete(socket);
        for (const r of responses) this.leave(r);
      });
    }
    const set = waiting;
    set.add(res);
    res.once('close', () => set.delete(res));
  }

  /** `admit` as Express middleware: put it before the body parser. */
  middleware(): RequestHandler {
    return (_req, res, next) => {
      if (this.admit(res)) next();
    };
  }

  private refuse(res: ServerResponse): void {
    this.shedCount++;
    res.statusCode = 503;
    res.setHeader('Retry-After', this.retryAfter);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', this.bodyLength);
    res.end(this.body);
  }
}
