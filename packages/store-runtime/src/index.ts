import type { Store } from '@dropgate/store';
import { createMongoStore } from '@dropgate/store-mongo';
import { createPostgresStore } from '@dropgate/store-postgres';

export type StoreSettings =
  | { kind: 'postgres'; url: string; schema: string; poolSize: number; applicationName: string }
  | { kind: 'mongo'; url: string; dbName: string };

/** Opens the adapter the configuration names. Apps depend on the port; only this package knows both adapters. */
export function openStore(settings: StoreSettings): Store {
  switch (settings.kind) {
    case 'postgres':
      return createPostgresStore({
        connectionString: settings.url,
        schema: settings.schema,
        poolSize: settings.poolSize,
        applicationName: settings.applicationName,
      });
    case 'mongo':
      return createMongoStore({ url: settings.url, dbName: settings.dbName });
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
