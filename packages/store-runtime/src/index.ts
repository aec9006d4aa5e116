import type { Store } from '@dropgate/store';
import type * as MongoAdapter from '@dropgate/store-mongo';
import type * as PostgresAdapter from '@dropgate/store-postgres';
import { waitForStore } from './wait-for-store';
import { errorMessage } from '@dropgate/core';

export { STORE_RETRY_FIRST_DELAY_MS, STORE_RETRY_MAX_DELAY_MS, StoreUnreachableError, waitForStore, type WaitForStoreOptions } from './wait-for-store';

export type StoreSettings =
  | { kind: 'postgres'; url: string; schema: string; poolSize: number; applicationName: string }
  | { kind: 'mongo'; url: string; dbName: string };

/**
 * Opens the adapter the configuration names. Apps depend on the port; only this package knows both adapters.
 * Only the named adapter is loaded: mongoose alone costs a process ~0.3 s of CPU at start-up.
 */
export function openStore(settings: StoreSettings): Store {
  switch (settings.kind) {
    case 'postgres':
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
      return (require('@dropgate/store-postgres') as typeof PostgresAdapter).createPostgresStore({
        connectionString: settings.url,
        schema: settings.schema,
        poolSize: settings.poolSize,
        applicationName: settings.applicationName,
      });
    case 'mongo':
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
      return (require('@dropgate/store-mongo') as typeof MongoAdapter).createMongoStore({ url: settings.url, dbName: settings.dbName });
  }
}

/** The store part of any process configuration (see @dropgate/config's `storeEnv`). */
export interface StoreConfigFields {
  STORE: 'postgres' | 'mongo';
  DATABASE_URL: string;
  DATABASE_SCHEMA: string;
  DATABASE_POOL_SIZE: number;
  MONGO_URL?: string | undefined;
  MONGO_DB: string;
}

/** The store settings of a process's configuration; `applicationName` labels PostgreSQL connections. */
export function storeSettingsFrom(config: StoreConfigFields, applicationName: string): StoreSettings {
  if (config.STORE === 'mongo') {
    if (!config.MONGO_URL) throw new Error('STORE=mongo needs MONGO_URL');
    return { kind: 'mongo', url: config.MONGO_URL, dbName: config.MONGO_DB };
  }
  return { kind: 'postgres', url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE, applicationName };
}

/** Where a process reports each failed try to reach its store (a pino logger's `warn` fits). */
export type StoreRetryWarn = (fields: { err: string; tries: number; nextInMs: number }, message: string) => void;

/** At a process's start: `waitForStore` for STORE_CONNECT_TIMEOUT_MS, each failed try reported to `warn`. */
export function waitForConfiguredStore(store: Store, config: { STORE_CONNECT_TIMEOUT_MS: number }, warn: StoreRetryWarn): Promise<void> {
  return waitForStore(store, {
    timeoutMs: config.STORE_CONNECT_TIMEOUT_MS,
    onRetry: (err, tries, nextInMs) => warn({ err: errorMessage(err), tries, nextInMs }, `${store.name} store unreachable; trying again`),
  });
}
