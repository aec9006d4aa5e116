import { randomBytes } from 'node:crypto';
import type { Store } from '@dropgate/store';
import { Client } from 'pg';
import { createPostgresStore } from '../postgres-store';

/** Tests talk to a real PostgreSQL; a test entry point may point them elsewhere. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TempSchema {
  readonly schema: string;
  /** A NEW store (own pool) on the schema; closed by `drop()`. */
  open(poolSize?: number): Store;
  /** Closes every store it opened and drops the schema with everything in it. */
  drop(): Promise<void>;
}

/** A randomly named schema (`dg_test_<hex>`) so test files never see each other's data. */
export function tempSchema(prefix = 'dg_test'): TempSchema {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const stores: Store[] = [];
  return {
    schema,
    open(poolSize?: number) {
      const store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize, applicationName: `dropgate-test-${schema}` });
      stores.push(store);
      return store;
    },
    async drop() {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      const client = new Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
