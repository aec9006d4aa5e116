import { StoreClosedError, type FaultHook, type Store } from '@dropgate/store';
import { createAuditLog } from './audit-log';
import { createCampaignRepository } from './campaign-repository';
import { createCodeRepository } from './code-repository';
import { assertSchemaName, createPool } from './connection';
import { runMigrations } from './migrations';
import { createRedemptionService } from './redemption-service';
import { postgresSetupError } from './setup-errors';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema holding the tables and functions; every connection of the store uses it. Default `dropgate`. */
  schema?: string | undefined;
  /** Connections in this store's pool (default 10): the most calls it runs at once. */
  poolSize?: number | undefined;
  applicationName?: string | undefined;
  /** Tests only (never set from configuration): fault injection at the steps taken in Node (see @dropgate/store's faults.ts). */
  faults?: FaultHook | undefined;
}

/** The PostgreSQL adapter of the store port. Cheap to create: connections open lazily. */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const schema = assertSchemaName(options.schema ?? 'dropgate');
  const pool = createPool({ ...options, schema });
  let closed: Promise<void> | null = null;
  return {
    name: 'postgres',
    campaigns: createCampaignRepository(pool),
    codes: createCodeRepository(pool, options.faults),
    redemptions: createRedemptionService(pool, options.faults),
    audit: createAuditLog(pool),
    /** As ping: a refusal (e.g. a user without the right to create the schema) throws StoreSetupError, saying what to fix. */
    async migrate() {
      try {
        await runMigrations(pool, schema);
      } catch (err) {
        throw postgresSetupError(err) ?? err;
      }
    },
    /** A server that refuses this configuration (credentials, database) throws StoreSetupError: no use retrying. */
    async ping() {
      if (closed) throw new StoreClosedError('postgres');
      try {
        await pool.query('SELECT 1');
      } catch (err) {
        throw postgresSetupError(err) ?? err;
      }
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}
