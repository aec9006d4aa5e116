import { StoreSetupError } from '@dropgate/store';
import { postgresSetupError } from './setup-errors';

/** Errors as pg reports them: the server's message and its SQLSTATE in `code` (real ones: wait-for-store.int.test.ts). */
const pgError = (message: string, code?: string): Error => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('postgresSetupError: which PostgreSQL errors mean "this configuration is refused" (no use retrying)', () => {
  it('a wrong password (28P01), naming DATABASE_URL', () => {
    const err = postgresSetupError(pgError('password authentication failed for user "app"', '28P01'));
    expect(err).toBeInstanceOf(StoreSetupError);
    expect(err?.message).toBe('password authentication failed for user "app" (SQLSTATE 28P01): wrong password for the user in DATABASE_URL');
  });

  it('a privilege the migrations need (42501, e.g. CREATE SCHEMA refused), saying what to grant', () => {
    const err = postgresSetupError(pgError('permission denied for database test', '42501'));
    expect(err).toBeInstanceOf(StoreSetupError);
    expect(err?.message).toMatch(/^permission denied for database test \(SQLSTATE 42501\): the user in DATABASE_URL lacks a privilege the migrations need: grant it CREATE on the database/);
  });

  it('anything else may pass and is tried again: refused connections, a server starting up, too many connections', () => {
    expect(postgresSetupError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBeNull();
    expect(postgresSetupError(pgError('the database system is starting up', '57P03'))).toBeNull();
    expect(postgresSetupError(pgError('sorry, too many clients already', '53300'))).toBeNull();
    expect(postgresSetupError(pgError('no code'))).toBeNull();
    expect(postgresSetupError(undefined)).toBeNull();
  });
});
