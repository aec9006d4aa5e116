import type { Store } from '../src/store';

/**
 * How the contract suite reaches an adapter. `open()` returns a NEW store instance (its own pool or
 * connection) on the same isolated schema/database, so tests can run several "workers" at once.
 */
export interface StoreHarness {
  readonly name: 'postgres' | 'mongo';
  open(): Promise<Store>;
  /** Closes what `open` made and drops the isolated schema/database. */
  teardown(): Promise<void>;
}

export interface ContractOptions {
  name: StoreHarness['name'];
  createHarness: () => Promise<StoreHarness>;
  /** When set, the suite is registered as skipped (and says so loudly) instead of run. */
  skipReason?: string | undefined;
}
