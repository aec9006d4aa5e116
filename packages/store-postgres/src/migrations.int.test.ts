import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { StoreSetupError } from '@dropgate/store';
import { TEST_DATABASE_URL } from '@dropgate/testkit';
import { createPool } from './connection';
import { loadMigrations, MIGRATIONS_DIR, runMigrations } from './migrations';
import { createPostgresStore } from './postgres-store';
import { tempSchema, type TempSchema } from '../test/temp-schema';

describe('migrations', () => {
  let temp: TempSchema;
  beforeEach(() => {
    temp = tempSchema('dg_test_mig');
  });
  afterEach(() => temp.drop());

  it('finds the SQL files next to src/ and dist/, in version order', () => {
    expect(path.basename(MIGRATIONS_DIR)).toBe('migrations');
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
    expect(migrations[0]).toMatchObject({ version: 1, name: '001_init.sql' });
  });

  it('applies everything once when many starters race, and nothing the second time', async () => {
    const stores = Array.from({ length: 6 }, () => temp.open(2));
    await Promise.all(stores.map((s) => s.migrate()));
    const pool = createPool({ connectionString: TEST_DATABASE_URL, schema: temp.schema, poolSize: 1 });
    try {
      const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
      expect(await runMigrations(pool, temp.schema)).toEqual([]);
    } finally {
      await pool.end();
    }
    await stores[0]!.ping();
  });

  it('refuses to run when an applied migration file was edited', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dg-migrations-'));
    const pool = createPool({ connectionString: TEST_DATABASE_URL, schema: temp.schema, poolSize: 1 });
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      expect(await runMigrations(pool, temp.schema, dir)).toEqual(loadMigrations().map((m) => m.name));
      const file = path.join(dir, '001_init.sql');
      writeFileSync(file, readFileSync(file, 'utf8') + '\n-- edited\n');
      await expect(runMigrations(pool, temp.schema, dir)).rejects.toThrow(/001_init\.sql was changed/);
    } finally {
      await pool.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a user without the right to create the schema: StoreSetupError (42501) saying what to grant, nothing created', async () => {
    // A role of its own (the server trusts local logins), with no CREATE on the database: PUBLIC never has it.
    const role = `dg_test_nocreate_${randomBytes(4).toString('hex')}`;
    const admin = createPool({ connectionString: TEST_DATABASE_URL, schema: 'public', poolSize: 1 });
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    const url = new URL(TEST_DATABASE_URL);
    url.username = role;
    url.password = '';
    const store = createPostgresStore({ connectionString: url.toString(), schema: temp.schema, poolSize: 1 });
    try {
      await store.ping(); // it may connect: only the migration is refused
      const refused = await store.migrate().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(StoreSetupError);
      expect((refused as Error).message).toMatch(/^permission denied for database \w+ \(SQLSTATE 42501\): the user in DATABASE_URL lacks a privilege the migrations need/);
      const { rows } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [temp.schema]);
      expect(rows).toEqual([]);
    } finally {
      await store.close();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('accepts only plain lower-case schema names', () => {
    for (const bad of ['Dropgate', 'drop-gate', '1abc', 'a;drop schema x', '', 'x'.repeat(64)]) {
      expect(() => createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: bad })).toThrow(RangeError);
    }
  });
});
