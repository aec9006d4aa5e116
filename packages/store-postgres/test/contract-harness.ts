import type { StoreHarness } from '@dropgate/store/testing';
import { TEST_DATABASE_URL } from '@dropgate/testkit';
import { Client } from 'pg';
import { createPostgresStore } from '../src/postgres-store';
import { installFaultPoints, PgFaults } from './fault-points';
import { pgIntegrity } from './integrity';
import { tempSchema } from './temp-schema';

/**
 * The contract suite's way into PostgreSQL: a temporary schema, migrated, with its fault points switched on, stores
 * opened on it with the fault hook, and a connection of the harness's own for faults and raw integrity queries.
 */
export async function createPgContractHarness(): Promise<StoreHarness> {
  const temp = tempSchema('dg_test');
  const applicationName = `dropgate-test-${temp.schema}`;
  const admin = new Client({ connectionString: TEST_DATABASE_URL, application_name: `${applicationName}-admin` });
  const migrator = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: temp.schema, poolSize: 1 });
  try {
    await migrator.migrate();
  } finally {
    await migrator.close();
  }
  await admin.connect();
  await admin.query(`SET search_path TO ${temp.schema}`);
  await installFaultPoints(admin);
  const faults = new PgFaults(admin, applicationName);
  return {
    name: 'postgres',
    faults,
    open: () => Promise.resolve(temp.open(undefined, faults.hook)),
    integrity: (campaignId) => pgIntegrity(admin, campaignId),
    // A batch waited longer than its lock bound (55P03), or was a deadlock victim (40P01).
    isContention: (err) => ['55P03', '40P01'].includes((err as { code?: string } | null)?.code ?? ''),
    teardown: async () => {
      await faults.clear();
      await admin.end();
      await temp.drop();
    },
  };
}
