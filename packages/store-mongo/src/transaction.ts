import type { FaultHook, FaultStep } from '@dropgate/store';
import type { ClientSession, Connection, Model, PipelineStage } from 'mongoose';
import { assertNotClosed } from './connection-closing';
import { isDuplicateKeyError } from './mongo-errors';

/**
 * Every transaction: snapshot reads (one consistent view for all its reads), majority commit, on the primary.
 * Inside one, a document this transaction writes cannot have changed since it was read: a concurrent change makes
 * the write fail with a WriteConflict (a TransientTransactionError), and the whole transaction runs again. That is
 * what makes "read, decide, write" inside a transaction safe here, as long as what is decided on is also written.
 */
const TRANSACTION_OPTIONS = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
} as const;

/** Rounds a transaction may be run again after a unique index refused one of its writes. */
const MAX_DUPLICATE_ROUNDS = 20;

type Filter = Record<string, unknown>;
type Update = Record<string, unknown>;

/**
 * The only way code inside a transaction touches the database: each method passes the session (an operation
 * without it would run outside the transaction, unseen by its isolation and untouched by its abort). Operations
 * are awaited one after the other: a transaction takes no parallel operations.
 */
export class Tx {
  constructor(
    readonly session: ClientSession,
    private readonly faults: FaultHook | undefined,
  ) {}

  /** A fault point (tests only; see @dropgate/store's faults.ts). */
  async at(step: FaultStep, key: string): Promise<void> {
    await this.faults?.at(step, key);
  }

  findById<T>(model: Model<T>, id: string): Promise<T | null> {
    return model.findById(id, null, { session: this.session }).lean<T>().exec();
  }

  findOne<T>(model: Model<T>, filter: Filter, sort?: Record<string, 1 | -1>): Promise<T | null> {
    return model.findOne(filter, null, { session: this.session, ...(sort ? { sort } : {}) }).lean<T>().exec();
  }

  find<T>(model: Model<T>, filter: Filter, options: { limit?: number; sort?: Record<string, 1 | -1>; projection?: Record<string, 0 | 1> } = {}): Promise<T[]> {
    const { projection, ...rest } = options;
    return model.find(filter, projection ?? null, { session: this.session, ...rest }).lean<T[]>().exec();
  }

  /** The document after the update, or null when none matched. */
  findOneAndUpdate<T>(model: Model<T>, filter: Filter, update: Update, sort?: Record<string, 1 | -1>): Promise<T | null> {
    return model
      .findOneAndUpdate(filter, update, { session: this.session, returnDocument: 'after', ...(sort ? { sort } : {}) })
      .lean<T>()
      .exec();
  }

  async updateOne<T>(model: Model<T>, filter: Filter, update: Update, upsert = false): Promise<{ matched: number; modified: number; upserted: number }> {
    const res = await model.updateOne(filter, update, { session: this.session, upsert }).exec();
    return { matched: res.matchedCount, modified: res.modifiedCount, upserted: res.upsertedCount };
  }

  async updateMany<T>(model: Model<T>, filter: Filter, update: Update): Promise<number> {
    const res = await model.updateMany(filter, update, { session: this.session }).exec();
    return res.modifiedCount;
  }

  async insert<T>(model: Model<T>, docs: T[]): Promise<void> {
    await model.insertMany(docs, { session: this.session, lean: true });
  }

  aggregate<R, T>(model: Model<T>, pipeline: PipelineStage[]): Promise<R[]> {
    return model.aggregate<R>(pipeline).session(this.session).exec();
  }
}

/**
 * Runs `work` as ONE transaction (session.withTransaction: TransientTransactionError → the whole callback again,
 * UnknownTransactionCommitResult → the commit again, for up to 120 s). `work` must be safe to run again from the
 * top: it keeps nothing across runs except what it reads inside. A duplicate-key error (a unique index met a write
 * another transaction committed after this one's snapshot: two deliveries of one attempt) also runs it again, in a
 * new transaction that sees that write. `key` names the operation for the fault hook.
 */
export async function inTransaction<T>(conn: Connection, faults: FaultHook | undefined, key: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let round = 1; ; round++) {
    assertNotClosed(conn); // a closed store's connection never opens again: fail now, not after 10 s of buffering
    const session = await conn.startSession();
    let runs = 0;
    try {
      return await session.withTransaction(async (s) => {
        if (runs++ > 0) faults?.retried?.(key);
        return work(new Tx(s, faults));
      }, TRANSACTION_OPTIONS);
    } catch (err) {
      if (round >= MAX_DUPLICATE_ROUNDS || !isDuplicateKeyError(err)) throw err;
      faults?.retried?.(key);
    } finally {
      await session.endSession();
    }
  }
}
