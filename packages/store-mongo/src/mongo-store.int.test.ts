import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { HookFaults, runStoreContract, type StoreHarness } from '@dropgate/store/testing';
import { createMongoStore } from './index';
import { mongoIntegrity } from '../test/integrity';

/**
 * The shared store contract — failure injection included — against a real MongoDB replica set (a single node is
 * enough). Runs only when MONGO_URL is set; each run gets its own random database, dropped at the end. Without
 * MONGO_URL the suite is registered as skipped, under the same "store contract [mongo]" name, so the summary says
 * it did not run. No MongoDB server can run on the machines this project is built on; the hosted CI workflow
 * (.github/workflows/ci.yml) runs it.
 */
const url = process.env.MONGO_URL;

async function createHarness(): Promise<StoreHarness> {
  const mongoUrl = url!;
  const dbName = `dropgate_contract_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const faults = new HookFaults();
  const raw = mongoose.createConnection(mongoUrl, { dbName, readConcern: { level: 'majority' } });
  await raw.asPromise();
  const migrator = createMongoStore({ url: mongoUrl, dbName });
  try {
    await migrator.migrate();
  } finally {
    await migrator.close();
  }
  return {
    name: 'mongo',
    faults,
    open: (tuning) => Promise.resolve(createMongoStore({ url: mongoUrl, dbName, faults: faults.hook, releaseDueLocksChunk: tuning?.releaseDueLocksChunk })),
    integrity: (campaignId) => mongoIntegrity(raw.db!, campaignId),
    // Every batch is one transaction that retries its conflicts itself: no batch may fail under contention.
    isContention: () => false,
    teardown: async () => {
      await faults.clear();
      try {
        await raw.dropDatabase();
      } finally {
        await raw.close();
      }
    },
  };
}

runStoreContract({
  name: 'mongo',
  createHarness,
  skipReason: url ? undefined : 'MONGO_URL is not set (point it at a MongoDB replica set, e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0)',
});
