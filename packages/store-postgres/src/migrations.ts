import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { assertSchemaName, withTransaction } from './connection';

/** `migrations/` sits next to `src/` and `dist/`, so this resolves both under jest (src) and at runtime (dist). */
export const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');

const FILE_NAME = /^(\d{3})_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => FILE_NAME.test(file))
    .map((file) => {
      const sql = readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(FILE_NAME.exec(file)![1]),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) throw new Error(`two migrations share version ${migrations[i]!.version}`);
  }
  return migrations;
}

/**
 * Applies the pending migrations to `schema`, in version order, in ONE transaction: all of them or none.
 * A transaction-scoped advisory lock (per schema) makes concurrent starters queue; the ones that get the lock
 * later find everything applied and do nothing. Returns the names of the migrations it applied.
 * An applied migration whose file changed since is refused: migrations are append-only.
 */
export async function runMigrations(pool: Pool, schema: string, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  assertSchemaName(schema);
  const migrations = loadMigrations(dir);
  return withTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('dropgate.migrations'), hashtext($1))`, [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations',
    );
    const applied = new Map(rows.map((r) => [r.version, r]));
    const done: string[] = [];
    for (const m of migrations) {
      const existing = applied.get(m.version);
      if (existing) {
        if (existing.checksum !== m.checksum)
          throw new Error(`migration ${m.name} was changed after it was applied to schema "${schema}" (as ${existing.name}); add a new migration instead`);
        continue;
      }
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      done.push(m.name);
    }
    return done;
  });
}
