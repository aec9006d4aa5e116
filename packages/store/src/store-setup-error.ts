/**
 * The store answered but refuses this configuration: bad credentials, a database that does not exist, a MongoDB
 * without transactions. Trying again cannot help, so a process waiting for its store at start stops at once
 * (`waitForStore` in @dropgate/store-runtime) instead of retrying until its timeout. Each adapter decides which of
 * its driver's errors are such refusals, in one place (its `setup-errors.ts`); `ping()` throws this for them.
 */
export class StoreSetupError extends Error {
  /** Restarting cannot fix credentials, a database or a replica set: the process exits EXIT_NOT_RESTARTABLE. */
  readonly notRestartable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreSetupError';
  }
}

export function isStoreSetupError(err: unknown): err is StoreSetupError {
  return err instanceof StoreSetupError;
}
