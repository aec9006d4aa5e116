import { loadStoreConfig } from '@dropgate/config';
import { openStore, storeSettingsFrom, waitForConfiguredStore } from '@dropgate/store-runtime';
import { errorMessage } from '@dropgate/core';

/** `npm run migrate`: brings the configured store's schema up to date, then exits. */
async function main(): Promise<void> {
  const config = loadStoreConfig(process.env);
  const store = openStore(storeSettingsFrom(config, 'dropgate-migrate'));
  try {
    // `npm start` and compose run this first: a database still starting is waited for (STORE_CONNECT_TIMEOUT_MS).
    await waitForConfiguredStore(store, config, (fields, message) => process.stderr.write(`${message}: ${JSON.stringify(fields)}\n`));
    await store.migrate();
    process.stdout.write(`migrations applied to the ${store.name} store\n`);
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${errorMessage(err)}\n`);
  process.exit(1);
});
