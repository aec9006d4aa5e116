import type { Store } from '../src/store';
import type { FaultControl, Integrity, StoreTuning } from './harness';

/** What each group of contract tests gets: the main store, a few more instances for parallel work, faults, and a look into the database. */
export interface ContractContext {
  store(): Store;
  /** `PARALLEL_STORES` independent instances (own pools/connections) on the same data. */
  stores(): Store[];
  /** One more instance with constructor tuning (see StoreTuning); the test closes it. */
  openTuned(tuning: StoreTuning): Promise<Store>;
  /** Fault injection into every one of those stores (cleared after each test). */
  faults(): FaultControl;
  /** See StoreHarness.isContention. */
  isContention(err: unknown): boolean;
  /** The invariants of a campaign as the database holds them (see Integrity). */
  integrity(campaignId: string): Promise<Integrity>;
}

export const PARALLEL_STORES = 4;
