#!/usr/bin/env node
/** `npm run migrate`: applies the store's migrations. The one place in this package that reads the environment. */
import { runMigrations } from './migrations';
import { assertSchemaName, createPool } from './connection';

async function main(): Promise<void> {
  const connectionString = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = assertSchemaName(process.env.DATABASE_SCHEMA ?? 'dropgate');
  const pool = createPool({ connectionString, schema, poolSize: 1, applicationName: 'dropgate-migrate' });
  try {
    const applied = await runMigrations(pool, schema);
    if (applied.length === 0) process.stdout.write(`schema "${schema}": up to date\n`);
    for (const name of applied) process.stdout.write(`schema "${schema}": applied ${name}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
