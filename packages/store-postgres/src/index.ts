export { createPostgresStore, type PostgresStoreOptions } from './postgres-store';
export { runMigrations, loadMigrations, MIGRATIONS_DIR, type Migration } from './migrations';
export { assertSchemaName } from './connection';
