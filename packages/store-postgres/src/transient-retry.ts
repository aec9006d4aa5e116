/**
 * SQLSTATEs that mean "the same call may succeed if simply run again": serialization failure and deadlock.
 * The redemption functions use READ COMMITTED with conditional writes, so these are rare (a deadlock between
 * an admin rollback and a redemption, or a code that kept changing under a redeem), but they must never
 * surface as an error when a retry answers correctly. Every retried call is a whole transaction.
 */
const TRANSIENT = new Set(['40001', '40P01']);

export function isTransient(err: unknown): boolean {
  return typeof err === 'object' && err !== null && TRANSIENT.has((err as { code?: unknown }).code as string);
}

export async function retryTransient<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      if (i >= attempts || !isTransient(err)) throw err;
      // Small randomised back-off so the two sides of a deadlock do not collide again at once.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * i));
    }
  }
}
