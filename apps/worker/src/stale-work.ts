/** How often each worker sweeps for work a dead process left half-done. */
export const STALE_SWEEP_EVERY_MS = 60_000;
/** Stalled-job takeovers BullMQ allows before failing a job (main.ts's maxStalledCount). */
export const MAX_STALLED_COUNT = 10;
const MARGIN_MS = 10 * 60_000;

export interface RetrySchedule {
  JOB_ATTEMPTS: number;
  JOB_BACKOFF_MS: number;
  WORKER_LOCK_DURATION_MS: number;
}

/**
 * How old unfinished work must be before the sweep may settle it: longer than the queue could still deliver the
 * attempt again — every exponential backoff delay, plus a lock timeout for each stalled takeover — plus a margin.
 * Settling earlier would undo an attempt a pending retry could still have won.
 */
export function staleWorkHorizonMs(config: RetrySchedule): number {
  const backoffs = config.JOB_BACKOFF_MS * (2 ** Math.max(0, config.JOB_ATTEMPTS - 1) - 1);
  const stalls = config.WORKER_LOCK_DURATION_MS * (MAX_STALLED_COUNT + 1) * config.JOB_ATTEMPTS;
  return backoffs + stalls + MARGIN_MS;
}
