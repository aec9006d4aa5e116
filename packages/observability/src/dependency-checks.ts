/** Each dependency check gets this long: under the internal server's 2 s, so a hanging one is named, not timed out. */
export const DEPENDENCY_CHECK_MS = 1500;

/**
 * A process's readiness made of named checks of what it needs ("Redis", "the postgres store"), run together: it
 * rejects naming every one that failed or did not answer within DEPENDENCY_CHECK_MS, so the 503 of /readyz tells the
 * operator where to look ("not ready: Redis does not answer") instead of "not ready".
 */
export function dependencyChecks(checks: Readonly<Record<string, () => Promise<unknown>>>, withinMs = DEPENDENCY_CHECK_MS): () => Promise<void> {
  const names = Object.keys(checks);
  return async () => {
    const results = await Promise.allSettled(names.map((name) => within(checks[name]!(), withinMs)));
    const failed = names.filter((_, i) => results[i]!.status === 'rejected');
    if (failed.length > 0) throw new Error(`${failed.join(' and ')} ${failed.length === 1 ? 'does' : 'do'} not answer`);
  };
}

function within(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * A readiness that fails from the moment the process starts shutting down: a load balancer routing by /readyz stops
 * sending traffic while the public port drains (the internal port closes last, so it would still say ready).
 */
export function readyUntilShutdown(shutdown: { readonly shuttingDown: boolean }, ready: () => Promise<void>): () => Promise<void> {
  return () => (shutdown.shuttingDown ? Promise.reject(new Error('shutting down')) : ready());
}
