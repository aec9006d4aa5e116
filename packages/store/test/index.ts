export { runStoreContract } from './contract';
export { HookFaults } from './hook-faults';
export { INTACT, type ContractOptions, type FaultControl, type Integrity, type Stall, type StoreHarness, type StoreTuning } from './harness';
