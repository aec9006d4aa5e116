import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_DATABASE_URL } from './test-env';

/** Unquoted, lower-case PostgreSQL identifier: safe to splice into DDL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface TempPgSchema {
  readonly name: string;
  /** Drops the schema with everything in it (close the pools that use it first). */
  drop(): Promise<void>;
}

/**
 * A randomly named schema, `<prefix>_<12 hex>`, so test files never see each other's data. Only the name: whoever
 * migrates creates the schema; `drop()` removes it.
 */
export function tempPgSchema(prefix = 'dg_t', connectionString = TEST_DATABASE_URL): TempPgSchema {
  const name = checkedName(`${prefix}_${randomBytes(6).toString('hex')}`);
  return { name, drop: () => dropSchema(name, connectionString) };
}

/** `DROP SCHEMA IF EXISTS <name> CASCADE` on its own short-lived connection. */
export async function dropSchema(name: string, connectionString = TEST_DATABASE_URL): Promise<void> {
  checkedName(name);
  const client = new Client({ connectionString, application_name: 'dropgate-testkit' });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  } finally {
    await client.end();
  }
}

function checkedName(name: string): string {
  if (!SCHEMA_NAME.test(name)) throw new RangeError(`invalid schema name "${name}": must match ${SCHEMA_NAME}`);
  return name;
}
