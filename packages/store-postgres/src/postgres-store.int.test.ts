import { runStoreContract, type StoreHarness } from '@dropgate/store/testing';
import { tempSchema } from './testing/temp-schema';

// The shared contract suite, against a real PostgreSQL, in a schema of its own dropped at the end.
runStoreContract({
  name: 'postgres',
  async createHarness(): Promise<StoreHarness> {
    const temp = tempSchema('dg_test');
    return {
      name: 'postgres',
      open: async () => temp.open(),
      teardown: () => temp.drop(),
    };
  },
});
