import { StoreSetupError } from '@dropgate/store';

/**
 * The SQLSTATEs with which a PostgreSQL server that answered refuses this configuration (at ping() or migrate()), and
 * what to do about each.
 * Anything else (a refused or dropped connection, `57P03` "the database system is starting up", `53300` too many
 * connections) may pass, and is tried again.
 */
const REFUSALS: Readonly<Record<string, string>> = {
  '28P01': 'wrong password for the user in DATABASE_URL',
  '28000': 'the server refuses this user (no such role, a role without LOGIN, or no pg_hba.conf entry for it): check the user in DATABASE_URL',
  '3D000': 'the database named in DATABASE_URL does not exist: create it, or fix the URL',
  // Met by migrate(): CREATE SCHEMA without CREATE on the database, or tables in a schema another role owns.
  '42501':
    'the user in DATABASE_URL lacks a privilege the migrations need: grant it CREATE on the database (to create DATABASE_SCHEMA), ' +
    'or create that schema beforehand owned by this user; or run the migrations as a user that has them',
};

/** A StoreSetupError when `err` is one of those refusals, else null (the error may pass: try again). Pure. */
export function postgresSetupError(err: unknown): StoreSetupError | null {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const hint = typeof code === 'string' ? REFUSALS[code] : undefined;
  if (hint === undefined) return null;
  return new StoreSetupError(`${(err as Error).message} (SQLSTATE ${code as string}): ${hint}`, { cause: err });
}
