import { isStoreSetupError, StoreClosedError, StoreSetupError, type Store } from '@dropgate/store';
import { errorMessage } from '@dropgate/core';

export interface WaitForStoreOptions {
  /** Gives up this long after the first try (a try still under way then is abandoned). */
  timeoutMs: number;
  /** Each failed try, with the wait before the next one (processes log it). */
  onRetry: (err: unknown, tries: number, nextInMs: number) => void;
  /** The first wait between tries, doubled after each, at most `maxDelayMs`. */
  firstDelayMs?: number | undefined;
  maxDelayMs?: number | undefined;
}

export const STORE_RETRY_FIRST_DELAY_MS = 250;
export const STORE_RETRY_MAX_DELAY_MS = 5_000;

/**
 * At a process's start: `store.ping()` until it answers, with backoff, for at most `timeoutMs`; then an Error naming
 * the store, the tries, the time and the last failure. The same for both adapters: a database that starts after the
 * process (compose, a restart) is waited for, one that stays down stops the process with a clear message, and its
 * supervisor restarts it. (PostgreSQL's pool connects per query; MongoDB's ping opens its connection again after a
 * failed try, which mongoose alone never does.) A store that answers but refuses the configuration (the adapter's
 * ping throws StoreSetupError: bad credentials, no such database, no transactions) is not tried again: that stops
 * the wait at once with a StoreSetupError naming the cause; neither is a closed store (StoreClosedError, at once).
 */
export async function waitForStore(store: Store, options: WaitForStoreOptions): Promise<void> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let delay = options.firstDelayMs ?? STORE_RETRY_FIRST_DELAY_MS;
  // What the store itself said last: a try cut short by the deadline says nothing about why it is unreachable.
  let said: unknown;
  for (let tries = 1; ; tries++) {
    let failure: unknown;
    try {
      await withinMs(store.ping(), deadline - Date.now());
      return;
    } catch (err) {
      if (err instanceof StoreClosedError) throw err;
      if (isStoreSetupError(err)) throw new StoreSetupError(`the ${store.name} store refuses this configuration (not retried): ${err.message}`, { cause: err });
      failure = err;
      if (!(err instanceof NoAnswer)) said = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const last = said ?? failure;
      const message = errorMessage(last);
      throw new StoreUnreachableError(
        `the ${store.name} store is unreachable: gave up after ${tries} ${tries === 1 ? 'try' : 'tries'} in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
          `(STORE_CONNECT_TIMEOUT_MS=${options.timeoutMs}); last error: ${message}`,
        { cause: last },
      );
    }
    const wait = Math.min(delay, left);
    options.onRetry(failure, tries, wait);
    await new Promise((resolve) => setTimeout(resolve, wait));
    delay = Math.min(delay * 2, options.maxDelayMs ?? STORE_RETRY_MAX_DELAY_MS);
  }
}

/**
 * The store did not answer within STORE_CONNECT_TIMEOUT_MS: a restart later may find it (`unavailable`: the process
 * exits EXIT_UNAVAILABLE, see @dropgate/supervision).
 */
export class StoreUnreachableError extends Error {
  readonly unavailable = true;
  override readonly name = 'StoreUnreachableError';
}

class NoAnswer extends Error {}

/** `work`, or a NoAnswer rejection once `ms` have passed (what `work` does later is ignored). */
function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  work.catch(() => undefined); // abandoned at the deadline: its failure must not become an unhandled rejection
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer within ${Math.max(0, Math.round(ms))} ms`)), Math.max(0, ms));
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
