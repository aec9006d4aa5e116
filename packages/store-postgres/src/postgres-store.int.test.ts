import { runStoreContract } from '@dropgate/store/testing';
import { createPgContractHarness } from '../test/contract-harness';

// The shared contract suite, against a real PostgreSQL, in a schema of its own dropped at the end.
runStoreContract({ name: 'postgres', createHarness: createPgContractHarness });
