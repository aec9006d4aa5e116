import type { Store } from '../src/store';

/** What each group of contract tests gets: the main store and a few more instances for parallel work. */
export interface ContractContext {
  store(): Store;
  /** `PARALLEL_STORES` independent instances (own pools/connections) on the same data. */
  stores(): Store[];
}

export const PARALLEL_STORES = 4;
