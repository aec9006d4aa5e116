import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { runStoreContract, type StoreHarness } from '@dropgate/store/testing';
import { createMongoStore } from './index';

/**
 * The shared store contract against a real MongoDB (a standalone mongod is enough). Runs only when MONGO_URL is
 * set; each run gets its own random database, dropped at the end. Without MONGO_URL the suite is registered as
 * skipped, under the same "store contract [mongo]" name, so the summary says it did not run.
 */
const url = process.env.MONGO_URL;

function createHarness(): Promise<StoreHarness> {
  const mongoUrl = url!;
  const dbName = `dropgate_contract_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  return Promise.resolve({
    name: 'mongo',
    open: () => Promise.resolve(createMongoStore({ url: mongoUrl, dbName })),
    teardown: async () => {
      const conn = mongoose.createConnection(mongoUrl, { dbName });
      try {
        await conn.asPromise();
        await conn.dropDatabase();
      } finally {
        await conn.close();
      }
    },
  });
}

runStoreContract({
  name: 'mongo',
  createHarness,
  skipReason: url ? undefined : 'MONGO_URL is not set (point it at a mongod, e.g. mongodb://127.0.0.1:27017)',
});
