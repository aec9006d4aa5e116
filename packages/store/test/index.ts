export { runStoreContract } from './contract';
export type { StoreHarness, ContractOptions } from './harness';
