export interface AdaptiveLimitSettings {
  /** The ceiling, and where the limit starts (SHED_MAX_IN_FLIGHT). */
  max: number;
  /** The floor (SHED_MIN_IN_FLIGHT): however slow the answers, this many are still let in at once. */
  min: number;
  /** The latency of admitted requests to stay under, at their p99 (SHED_TARGET_LATENCY_MS). */
  targetMs: number;
  /** One decision per window of this length (ms), from the requests that finished in it. */
  windowMs?: number | undefined;
}

/** Share of a window's requests that may be over the target: the window's p99 is what is held under it. */
const TOLERATED_SHARE = 0.01;
/** The limit's cut when a window's p99 is over the target (multiplicative decrease, as TCP's). */
const BACKOFF = 0.9;

/**
 * A concurrency limit that follows latency (AIMD, as Netflix's concurrency-limits or TCP congestion control): every
 * window, if more than 1% of the requests that finished in it took longer than `targetMs` while the limit was in use,
 * the limit shrinks by 10%; if at most 1% were (the same bar, so a steady trickle of slow answers cannot pin a limit cut
 * during a spike) and the limit was what held requests back (one was refused at it, or
 * the limit was reached), it grows by about its square root; it stays within [min, max]. Under a flood, fewer requests
 * are let in at once, so what is let in waits behind fewer (smaller Redis batches, fewer continuations per turn);
 * when the answers are fast again the limit climbs back to `max`. Pure: the clock is given.
 *
 * "In use" (peak in flight at least half the limit, as concurrency-limits' AIMD asks before it grows) keeps a slow
 * answer at low traffic (a GC pause, a Redis blip) from cutting a limit nothing was pressing against.
 */
export class AdaptiveLimit {
  private current: number;
  private windowStart: number;
  private finished = 0;
  private overTarget = 0;
  private peakInFlight = 0;
  private refusedAtLimit = false;
  private readonly windowMs: number;

  constructor(
    private readonly settings: AdaptiveLimitSettings,
    private readonly now: () => number,
  ) {
    if (!(settings.min >= 1 && settings.min <= settings.max)) throw new Error(`the adaptive limit needs 1 <= min (${settings.min}) <= max (${settings.max})`);
    this.current = settings.max;
    this.windowMs = settings.windowMs ?? 100;
    this.windowStart = now();
  }

  /** Requests that may be in flight at once now. */
  get limit(): number {
    return this.current;
  }

  /** A request was refused because `limit` were in flight: the limit is what holds requests back. */
  refused(): void {
    this.refusedAtLimit = true;
  }

  /** A request let in has finished its work after `latencyMs`; `inFlight` were in flight just before it finished. */
  finish(latencyMs: number, inFlight: number): void {
    this.finished++;
    if (latencyMs > this.settings.targetMs) this.overTarget++;
    if (inFlight > this.peakInFlight) this.peakInFlight = inFlight;
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) this.decide(now);
  }

  private decide(now: number): void {
    const inUse = this.peakInFlight * 2 >= this.current;
    if (inUse && this.overTarget > this.finished * TOLERATED_SHARE) {
      this.current = Math.max(this.settings.min, Math.floor(this.current * BACKOFF));
    } else if (this.refusedAtLimit || this.peakInFlight >= this.current) {
      // At most 1% over the target here (pressed against, so in use): the limit may grow back.
      this.current = Math.min(this.settings.max, this.current + Math.max(1, Math.floor(Math.sqrt(this.current))));
    }
    this.windowStart = now;
    this.finished = 0;
    this.overTarget = 0;
    this.peakInFlight = 0;
    this.refusedAtLimit = false;
  }
}
