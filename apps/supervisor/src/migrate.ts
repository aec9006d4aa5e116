import { loadStoreConfig } from '@dropgate/config';
import { createLogger } from '@dropgate/observability';
import { openStore, storeSettingsFrom, waitForConfiguredStore } from '@dropgate/store-runtime';
import { exitOnStartupFailure } from '@dropgate/supervision';

/** `npm run migrate`: brings the configured store's schema up to date, then exits. */
async function main(): Promise<void> {
  const config = loadStoreConfig(process.env);
  // JSON lines like every process's (its failure too: exitOnStartupFailure), so one log pipeline reads them all.
  const logger = createLogger({ level: 'info', app: 'migrate' });
  const store = openStore(storeSettingsFrom(config, 'dropgate-migrate'));
  try {
    // `npm start` and compose run this first: a database still starting is waited for (STORE_CONNECT_TIMEOUT_MS).
    await waitForConfiguredStore(store, config, (fields, message) => logger.warn(fields, message));
    await store.migrate();
    logger.info({ store: store.name }, `migrations applied to the ${store.name} store`);
  } finally {
    await store.close();
  }
}

// One line naming the cause, and its kind's exit code (69: the store did not answer; 78: it refused the configuration).
main().catch((err: unknown) => exitOnStartupFailure('migrate', err));
