/**
 * Where tests find Redis and PostgreSQL: REDIS_URL / DATABASE_URL when set (a CI entry point may point them
 * elsewhere), else the local defaults. The one place tests read these variables: everything else takes a URL.
 */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
