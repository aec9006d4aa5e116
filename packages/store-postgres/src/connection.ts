import { DatabaseError, Pool, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';

/** Unquoted, lower-case PostgreSQL identifier: safe to splice into `search_path` and DDL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new RangeError(`invalid schema name "${schema}": must match ${SCHEMA_NAME}`);
  return schema;
}

export interface PoolOptions {
  connectionString: string;
  schema: string;
  poolSize?: number | undefined;
  applicationName?: string | undefined;
}

/**
 * A pool whose every connection resolves unqualified names (tables, dg_* functions) in `schema` and runs at READ
 * COMMITTED whatever the server's default: the dg_* functions rely on each statement seeing the newest committed
 * rows (a wait on a row lock, then the newest version); under REPEATABLE READ they would fail with serialization
 * errors instead.
 */
export function createPool(options: PoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'dropgate',
    // Startup options: whitespace separates them, a backslash escapes one.
    options: `-c search_path=${assertSchemaName(options.schema)} -c default_transaction_isolation=read\\ committed`,
  });
  // An idle connection dropped by the server emits 'error' on the pool; unhandled, that would kill the
  // process. The pool discards the client, and the next query reports any lasting failure to its caller.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in one transaction on one connection; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // the connection is unusable: do not hand it back to the pool
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * `pool.query`, except that a statement the server refused (a deadlock, a lock timeout, a serialization failure: an
 * ErrorResponse, after which the connection is idle and sound) hands its connection back to the pool. `pool.query`
 * closes any connection released with an error, and its replacement costs PostgreSQL a backend start and its warm-up
 * (catalog caches; the dg_* functions compiled and planned again): 15-25 ms of CPU, a hundred attempts' worth, for
 * every store batch that falls back. A connection that failed (no ErrorResponse, or a FATAL one) is dropped as before.
 */
export async function queryKeepingConnection<R extends QueryResultRow>(pool: Pool, query: QueryConfig): Promise<QueryResult<R>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // Checked out, the client has no pool listener: an 'error' event (the connection lost mid-query) would throw.
  const onError = (err: Error): void => void (broken = err);
  client.on('error', onError);
  try {
    return await client.query<R>(query);
  } catch (err) {
    if (!refusedStatement(err)) broken ??= err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

function refusedStatement(err: unknown): boolean {
  return err instanceof DatabaseError && err.severity !== 'FATAL' && err.severity !== 'PANIC';
}
