/** A child that ran at least this long before dying is restarted as if for the first time. */
export const STABLE_AFTER_MS = 30_000;
/** A child that keeps dying young (bad configuration, port taken) is not restarted forever. */
export const MAX_QUICK_RESTARTS = 5;
const MAX_BACKOFF_MS = 30_000;

export type RestartDecision = { giveUp: false; delayMs: number; restarts: number } | { giveUp: true; exitsInARow: number };

/**
 * The one restart rule (the supervisor's children, the intake's cluster workers): a process that died after
 * `ranForMs` is restarted after an exponential backoff (`backoffBaseMs` doubling per early death in a row, at most
 * 30 s), unless it already died young MAX_QUICK_RESTARTS times in a row. `restartsSoFar`: its early deaths in a row.
 */
export function nextRestart(restartsSoFar: number, ranForMs: number, backoffBaseMs: number): RestartDecision {
  const restarts = ranForMs >= STABLE_AFTER_MS ? 0 : restartsSoFar;
  if (restarts >= MAX_QUICK_RESTARTS) return { giveUp: true, exitsInARow: restarts + 1 };
  return { giveUp: false, delayMs: Math.min(MAX_BACKOFF_MS, backoffBaseMs * 2 ** restarts), restarts: restarts + 1 };
}
