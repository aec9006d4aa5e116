import { runStoreContract, type StoreHarness } from '@dropgate/store/testing';
import { tempSchema } from '../test/temp-schema';

// The shared contract suite, against a real PostgreSQL, in a schema of its own dropped at the end.
runStoreContract({
  name: 'postgres',
  createHarness(): Promise<StoreHarness> {
    const temp = tempSchema('dg_test');
    return Promise.resolve({
      name: 'postgres',
      open: () => Promise.resolve(temp.open()),
      teardown: () => temp.drop(),
    });
  },
});
