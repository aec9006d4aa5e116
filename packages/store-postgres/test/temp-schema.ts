import type { FaultHook, Store } from '@dropgate/store';
import { tempPgSchema, TEST_DATABASE_URL } from '@dropgate/testkit';
import { createPostgresStore } from '../src/postgres-store';

export interface TempSchema {
  readonly schema: string;
  /** A NEW store (own pool) on the schema; closed by `drop()`. */
  open(poolSize?: number, faults?: FaultHook): Store;
  /** Closes every store it opened and drops the schema with everything in it. */
  drop(): Promise<void>;
}

/** A randomly named schema (`dg_test_<hex>`) so test files never see each other's data, with stores on it. */
export function tempSchema(prefix = 'dg_test'): TempSchema {
  const temp = tempPgSchema(prefix);
  const schema = temp.name;
  const stores: Store[] = [];
  return {
    schema,
    open(poolSize?: number, faults?: FaultHook) {
      const store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize, applicationName: `dropgate-test-${schema}`, faults });
      stores.push(store);
      return store;
    },
    async drop() {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await temp.drop();
    },
  };
}
