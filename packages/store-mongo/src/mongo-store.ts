import mongoose, { type Connection, type mongo } from 'mongoose';
import { StoreClosedError, StoreSetupError, type FaultHook, type Store } from '@dropgate/store';
import { MongoAuditLog } from './audit-log';
import { MongoCampaignRepository } from './campaign-repository';
import { MongoCodeRepository } from './code-repository';
import { closeForGood } from './connection-closing';
import { createModels, type Models } from './models';
import { isIndexConflict } from './mongo-errors';
import { MongoRedemptionService } from './redemption-service';
import { transactionSupportProblem } from './replica-set';
import { mongoSetupError } from './setup-errors';

export interface MongoStoreOptions {
  /** mongodb:// URL of a replica set (or a mongos): every operation is a transaction. */
  url: string;
  /** Database name; defaults to the one in the URL. */
  dbName?: string | undefined;
  /** Codes per transaction of `releaseDueLocks` (default RELEASE_DUE_LOCKS_CHUNK, 5,000). */
  releaseDueLocksChunk?: number | undefined;
  /** Tests only (never set from configuration): fault injection at each step (see @dropgate/store's faults.ts). */
  faults?: FaultHook | undefined;
}

/**
 * The MongoDB store on its own mongoose connection (never mongoose's global one), with its own models, so several
 * instances — several "workers" — can live in one process. Every write of the port is ONE transaction
 * (transaction.ts); writes are acknowledged by a majority and reads go to the primary, so nothing a caller was told
 * can be rolled back by a failover.
 */
export function createMongoStore(options: MongoStoreOptions): Store {
  const connectOptions = {
    ...(options.dbName !== undefined ? { dbName: options.dbName } : {}),
    // Collections and indexes are made by migrate(), not at model compile time on every worker start.
    autoIndex: false,
    autoCreate: false,
    writeConcern: { w: 'majority' },
    readConcern: { level: 'majority' },
    readPreference: 'primary',
    retryWrites: true,
  } as const;
  // Opened by open(), not here: mongoose never tries a failed initial connection again (once one succeeded, the
  // driver reconnects by itself). Operations issued meanwhile wait (buffer) until it is open.
  const conn: Connection = mongoose.createConnection();
  // Without an 'error' listener a failed connection would be an unhandled error that kills the process; failures
  // surface where they matter: open(), so ping() and migrate().
  conn.on('error', () => undefined);
  let opening: Promise<void> | null = null;
  let closing: Promise<void> | null = null;
  /**
   * The connection, opened once; after a failed try the next call tries again (waitForStore retries ping()).
   * Never after close(): a closed store stays closed.
   */
  const open = (): Promise<void> => {
    if (closing) return Promise.reject(new StoreClosedError('mongo'));
    opening ??= conn.openUri(options.url, { ...connectOptions }).then(
      () => undefined,
      (err: unknown) => {
        opening = null;
        throw err;
      },
    );
    return opening;
  };
  open().catch(() => undefined); // start now; a failure is met again (and retried) at ping() or migrate()
  const models = createModels(conn);
  // Checked once per store, at the first ping or migrate: a standalone server fails fast with what to do about it.
  let transactionsChecked = false;
  const requireTransactions = async (): Promise<void> => {
    if (transactionsChecked) return;
    await open();
    const problem = transactionSupportProblem(await conn.db!.admin().command({ hello: 1 }));
    if (problem) throw new StoreSetupError(problem);
    transactionsChecked = true;
  };
  return {
    name: 'mongo',
    campaigns: new MongoCampaignRepository(conn, models, options.faults),
    codes: new MongoCodeRepository(conn, models, options.faults, options.releaseDueLocksChunk),
    redemptions: new MongoRedemptionService(conn, models, options.faults),
    audit: new MongoAuditLog(models),
    /** As ping: a refusal (e.g. a user without the rights to create indexes) throws StoreSetupError, saying what to fix. */
    migrate: async () => {
      try {
        await requireTransactions();
        await migrate(models);
      } catch (err) {
        throw mongoSetupError(err) ?? err;
      }
    },
    /** A deployment that refuses this configuration (credentials, no replica set) throws StoreSetupError: no use retrying. */
    ping: async () => {
      try {
        await open();
        await conn.db!.command({ ping: 1 });
        await requireTransactions();
      } catch (err) {
        throw mongoSetupError(err) ?? err;
      }
    },
    close: () => {
      closing ??= closeForGood(conn);
      return closing;
    },
  };
}

/**
 * Creates the collections (a transaction cannot create them on the fly under every server version) and the
 * schemas' indexes with the createIndexes command: an index that exists with the same definition is left as it is,
 * a missing one is built; several processes may run it at once. Nothing is ever dropped (mongoose's syncIndexes
 * would drop what the schema no longer declares and rebuild what changed: a unique index dropped under traffic
 * would let two attempts take one code). An index whose definition changed is refused with a message: build the
 * new one under a new name first, then drop the old one by hand. (The driver's createIndexes, not mongoose's: that
 * one reports a failure by emitting 'error' on the model, which throws where nobody listens.)
 */
async function migrate(models: Models): Promise<void> {
  for (const model of Object.values(models) as Models[keyof Models][]) {
    await model.createCollection(); // an existing collection is fine
    const indexes = model.schema.indexes().map(([key, options]) => ({ ...options, key }) as mongo.IndexDescription);
    try {
      if (indexes.length > 0) await model.collection.createIndexes(indexes);
    } catch (err) {
      if (!isIndexConflict(err)) throw err;
      throw new Error(
        `collection ${model.collection.collectionName}: an index exists with another definition than the schema declares (${(err as Error).message}). ` +
          'Indexes are never dropped automatically: create the new index under a new name, then drop the old one by hand.',
        { cause: err },
      );
    }
  }
}
