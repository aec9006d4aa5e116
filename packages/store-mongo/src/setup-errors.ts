import { StoreSetupError } from '@dropgate/store';

/** What to do about a MongoDB without transactions (a standalone mongod): every operation of the store is one. */
export const REPLICA_SET_NEEDED =
  'the MongoDB store needs transactions, which a standalone mongod does not have: run it as a replica set (a single node is enough: `mongod --replSet rs0`, then `rs.initiate()` once) and put `?replicaSet=rs0` in MONGO_URL';

interface Refusal {
  /** The driver error's `codeName`, or its class name for errors raised by the driver itself. */
  matches: (err: { name?: unknown; code?: unknown; codeName?: unknown; message?: unknown }) => boolean;
  label: string;
  hint: string;
}

/**
 * The MongoDB errors with which a server (or the driver, before reaching one) refuses this configuration, and what to
 * do about each. Anything else (unreachable, no primary yet, a failover) may pass, and is tried again.
 */
const REFUSALS: readonly Refusal[] = [
  {
    matches: (e) => e.code === 18 || e.codeName === 'AuthenticationFailed',
    label: 'AuthenticationFailed',
    hint: 'the server refuses these credentials: check the user, password and authSource in MONGO_URL',
  },
  {
    matches: (e) => e.code === 13 || e.codeName === 'Unauthorized',
    label: 'Unauthorized',
    hint: 'the user in MONGO_URL lacks rights the store needs: grant it readWrite and dbAdmin on the database (MONGO_DB)',
  },
  {
    // IllegalOperation (20) covers other things too: only this message means "no replica set".
    matches: (e) => typeof e.message === 'string' && e.message.includes('Transaction numbers are only allowed on a replica set member or mongos'),
    label: 'IllegalOperation',
    hint: REPLICA_SET_NEEDED,
  },
  {
    matches: (e) => e.name === 'MongoParseError',
    label: 'MongoParseError',
    hint: 'MONGO_URL is not a valid MongoDB connection string',
  },
];

/**
 * A StoreSetupError when `err` (or an error it wraps, its `cause`) is one of those refusals, else null (the error
 * may pass: try again). Only driver errors count (a plain Error saying "Authentication failed." does not). Pure.
 */
export function mongoSetupError(err: unknown): StoreSetupError | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (!/^Mongo/.test(e.name)) continue;
    const refusal = REFUSALS.find((r) => r.matches(e as Error & { code?: unknown; codeName?: unknown }));
    if (refusal) return new StoreSetupError(`${e.message} (${refusal.label}): ${refusal.hint}`, { cause: e });
  }
  return null;
}
