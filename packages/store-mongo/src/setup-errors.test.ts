import { StoreSetupError } from '@dropgate/store';
import { mongo } from 'mongoose';
import { mongoSetupError } from './setup-errors';

/** The driver's own error classes, as the store meets them. */
const serverError = (fields: { code: number; codeName: string; errmsg: string }): Error => new mongo.MongoServerError({ ok: 0, ...fields });

describe('mongoSetupError: which MongoDB errors mean "this configuration is refused" (no use retrying)', () => {
  it('bad credentials (AuthenticationFailed), naming MONGO_URL', () => {
    const err = mongoSetupError(serverError({ code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' }));
    expect(err).toBeInstanceOf(StoreSetupError);
    expect(err?.message).toMatch(/^Authentication failed\. \(AuthenticationFailed\): .*user, password and authSource in MONGO_URL/);
  });

  it('a user without the rights the store needs (Unauthorized)', () => {
    const err = mongoSetupError(serverError({ code: 13, codeName: 'Unauthorized', errmsg: 'command createIndexes requires authentication' }));
    expect(err?.message).toMatch(/\(Unauthorized\): .*readWrite and dbAdmin/);
  });

  it('a standalone mongod met by a transaction: says to run a replica set', () => {
    const err = mongoSetupError(
      serverError({ code: 20, codeName: 'IllegalOperation', errmsg: 'Transaction numbers are only allowed on a replica set member or mongos' }),
    );
    expect(err?.message).toMatch(/^Transaction numbers are only allowed on a replica set member or mongos \(IllegalOperation\): .*--replSet rs0.*rs\.initiate\(\)/);
  });

  it('a MONGO_URL the driver cannot parse', () => {
    const err = mongoSetupError(new mongo.MongoParseError('Invalid scheme, expected connection string to start with "mongodb://" or "mongodb+srv://"'));
    expect(err?.message).toMatch(/Invalid scheme.*: MONGO_URL is not a valid MongoDB connection string/);
  });

  it('finds the refusal under a wrapping error (its cause)', () => {
    const auth = serverError({ code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' });
    const wrapped = new Error('connection failed', { cause: auth });
    expect(mongoSetupError(wrapped)?.cause).toBe(auth);
  });

  it('anything else may pass and is tried again: unreachable, no primary yet, other IllegalOperations, non-errors', () => {
    expect(mongoSetupError(new mongo.MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017'))).toBeNull();
    expect(mongoSetupError(serverError({ code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' }))).toBeNull();
    expect(mongoSetupError(serverError({ code: 20, codeName: 'IllegalOperation', errmsg: 'something else' }))).toBeNull();
    expect(mongoSetupError(new Error('Authentication failed.'))).toBeNull();
    expect(mongoSetupError('AuthenticationFailed')).toBeNull();
    expect(mongoSetupError(null)).toBeNull();
  });
});
