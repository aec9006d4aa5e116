import { randomBytes } from 'node:crypto';
import { TEST_DATABASE_URL } from '@dropgate/testkit';
import { Client } from 'pg';
import { createPool } from './connection';

/** The dg_* functions rely on READ COMMITTED; the pool pins it whatever the server, database or role defaults to. */
describe('postgres connections', () => {
  // A role of its own whose default is REPEATABLE READ (what a server configured that way gives every session);
  // roles are cluster-wide, so it gets a random name and is dropped at the end.
  const role = `dg_test_rr_${randomBytes(4).toString('hex')}`;
  const asRole = (): string => {
    const url = new URL(TEST_DATABASE_URL);
    url.username = role;
    url.password = '';
    return url.toString();
  };
  const superuser = new Client({ connectionString: TEST_DATABASE_URL });

  beforeAll(async () => {
    await superuser.connect();
    await superuser.query(`CREATE ROLE ${role} LOGIN`);
    await superuser.query(`ALTER ROLE ${role} SET default_transaction_isolation = 'repeatable read'`);
  });
  afterAll(async () => {
    await superuser.query(`DROP ROLE IF EXISTS ${role}`);
    await superuser.end();
  });

  it('run at READ COMMITTED even where the default is REPEATABLE READ', async () => {
    const plain = new Client({ connectionString: asRole() });
    await plain.connect();
    try {
      expect((await plain.query('SHOW default_transaction_isolation')).rows[0]).toEqual({ default_transaction_isolation: 'repeatable read' });
    } finally {
      await plain.end();
    }
    const pool = createPool({ connectionString: asRole(), schema: 'dg_unused', poolSize: 1 });
    try {
      expect((await pool.query('SHOW default_transaction_isolation')).rows[0]).toEqual({ default_transaction_isolation: 'read committed' });
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        expect((await client.query('SHOW transaction_isolation')).rows[0]).toEqual({ transaction_isolation: 'read committed' });
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      expect((await pool.query('SHOW search_path')).rows[0]).toEqual({ search_path: 'dg_unused' });
    } finally {
      await pool.end();
    }
  });
});
