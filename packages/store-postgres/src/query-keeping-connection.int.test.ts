import { TEST_DATABASE_URL } from '@dropgate/testkit';
import { createPool, queryKeepingConnection } from './connection';

/** A statement the server refuses must not cost PostgreSQL a new backend (its start and warm-up); a lost one is dropped. */
describe('queryKeepingConnection', () => {
  const pool = createPool({ connectionString: TEST_DATABASE_URL, schema: 'dg_unused', poolSize: 1, applicationName: 'dropgate-test-keep' });
  afterAll(() => pool.end());
  const backend = async (): Promise<number> => (await queryKeepingConnection<{ pid: number }>(pool, { text: 'SELECT pg_backend_pid() AS pid' })).rows[0]!.pid;
  const divide = (by: number) => queryKeepingConnection<{ x: number }>(pool, { name: 'dg_test_divide', text: 'SELECT 1 / $1::integer AS x', values: [by] });

  it('keeps the connection, and its prepared statements, after an error the server answered', async () => {
    expect((await divide(1)).rows).toEqual([{ x: 1 }]);
    const before = await backend();
    await expect(divide(0)).rejects.toMatchObject({ code: '22012' });
    expect(await backend()).toBe(before);
    expect((await divide(1)).rows).toEqual([{ x: 1 }]);
  });

  it('drops a connection the server ended; the next query runs on a new one', async () => {
    const before = await backend();
    await expect(queryKeepingConnection(pool, { text: 'SELECT pg_terminate_backend(pg_backend_pid())' })).rejects.toThrow();
    expect(await backend()).not.toBe(before);
  });
});
