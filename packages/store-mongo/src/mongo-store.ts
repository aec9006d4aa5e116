import mongoose, { type Connection } from 'mongoose';
import type { Store } from '@dropgate/store';
import { AttemptLog } from './attempt-log';
import { MongoCampaignRepository } from './campaign-repository';
import { CampaignTarget } from './campaign-target';
import { CodeAssignment } from './code-assignment';
import { CodePublisher } from './code-publisher';
import { MongoCodeRepository } from './code-repository';
import { CustomerQuota } from './customer-quota';
import { LeaseMutex } from './lease-mutex';
import { isIndexConflict } from './mongo-errors';
import { createModels, type Models } from './models';
import { MongoRedemptionService, type RecoveryReport } from './redemption-service';
import { DEFAULT_STALE_AFTER_MS } from './stale-attempt';

export interface MongoStoreOptions {
  /** mongodb:// URL. A standalone server is enough: nothing here uses multi-document transactions. */
  url: string;
  /** Database name; defaults to the one in the URL. */
  dbName?: string | undefined;
  /** How long an in-flight attempt belongs to its worker before a redelivery may take it over (default 10 s). */
  attemptLeaseMs?: number | undefined;
  /** Same for the per-tier publication lease (default 30 s; renewed while a publication is assembled). */
  publishLeaseMs?: number | undefined;
  /**
   * A delivery that takes over an attempt nobody renewed for this long settles it (finish or undo, see
   * stale-attempt.ts) instead of running it again (default 10 min: far beyond the queue's retry backoff).
   */
  staleAttemptMs?: number | undefined;
}

/** What a sweep of dead work settled (see MongoStore.recoverStaleAttempts). */
export interface MongoRecoveryReport extends RecoveryReport {
  /** Rollbacks whose process died after the code write, finished now. */
  rollbacks: number;
}

/**
 * The MongoDB store. Its crash safety needs a sweeper for attempts the queue gave up on: the port's
 * `recoverStaleWork` (the workers run it periodically); `recoverStaleAttempts` gives the detailed report.
 * Each item is taken by CAS, so concurrent sweeps are safe.
 */
export interface MongoStore extends Store {
  readonly name: 'mongo';
  /** Settles every unfinished attempt whose lease ran out at or before `olderThan`, and finishes pending rollbacks. */
  recoverStaleAttempts(olderThan: Date): Promise<MongoRecoveryReport>;
}

/**
 * A Store on its own mongoose connection (never mongoose's global default one), with its own models, so
 * several instances — several "workers" — can live in one process.
 */
export function createMongoStore(options: MongoStoreOptions): MongoStore {
  const conn: Connection = mongoose.createConnection(options.url, {
    ...(options.dbName !== undefined ? { dbName: options.dbName } : {}),
    // Indexes are built by migrate(), not at model compile time on every worker start.
    autoIndex: false,
    autoCreate: false,
  });
  // Without an 'error' listener a failed initial connection is an unhandled rejection that kills the process;
  // the failure still surfaces where it matters: ping() and every operation (which time out buffering).
  conn.on('error', () => undefined);
  const models = createModels(conn);
  const quota = new CustomerQuota(models);
  const target = new CampaignTarget(models);
  const publisher = new CodePublisher(models, new LeaseMutex(models, options.publishLeaseMs ?? 30_000));
  const redemptions = new MongoRedemptionService({
    models,
    attempts: new AttemptLog(models, options.attemptLeaseMs ?? 10_000),
    assignment: new CodeAssignment(models),
    quota,
    target,
    staleAfterMs: options.staleAttemptMs ?? DEFAULT_STALE_AFTER_MS,
  });
  const codes = new MongoCodeRepository({ models, publisher, quota, target, settleAttempt: (attemptId) => redemptions.settle(attemptId) });
  const recoverStaleAttempts = async (olderThan: Date): Promise<MongoRecoveryReport> => {
    const attempts = await redemptions.recoverStaleAttempts(olderThan);
    const rollbacks = await codes.finishPendingRollbacks(olderThan);
    return { ...attempts, rollbacks };
  };
  return {
    name: 'mongo',
    campaigns: new MongoCampaignRepository(models, target),
    codes,
    redemptions,
    recoverStaleAttempts,
    recoverStaleWork: async (olderThan: Date) => {
      const report = await recoverStaleAttempts(olderThan);
      return report.finished + report.undone + report.rollbacks;
    },
    migrate: () => migrate(models),
    ping: async () => {
      await conn.asPromise();
      await conn.db!.command({ ping: 1 });
    },
    close: () => conn.close(),
  };
}

/**
 * createIndexes is idempotent and safe to run from several processes at once (identical specs are a no-op or
 * wait for the build in progress). Only when an index changed definition do we fall back to syncIndexes, which
 * drops what the schema no longer declares.
 */
async function migrate(models: Models): Promise<void> {
  for (const model of Object.values(models) as Models[keyof Models][]) {
    try {
      await model.createIndexes();
    } catch (err) {
      if (!isIndexConflict(err)) throw err;
      await model.syncIndexes();
    }
  }
}
