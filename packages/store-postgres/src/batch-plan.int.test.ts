import { statesAllowing } from '@dropgate/core';
import { explainedConnection, type ExplainedConnection } from '../test/explained-connection';
import { tempSchema, type TempSchema } from '../test/temp-schema';

/**
 * PL/pgSQL keeps a statement's plan for the life of a connection. A batch's closing read of its attempts, planned
 * once while the attempts table was nearly empty (a new deployment), stayed a sequential scan of the whole table
 * as it grew: most of a batch's time at 10,000 rows. The plans the batch function uses are read here through
 * auto_explain (nested statements, as notices on this connection only).
 */
describe('postgres batch function plans', () => {
  let temp: TempSchema;
  let explained: ExplainedConnection;
  beforeAll(async () => {
    temp = tempSchema('dg_test_plan');
    await temp.open(1).migrate();
    explained = await explainedConnection(temp.schema);
  });
  afterAll(async () => {
    await explained?.close();
    await temp.drop();
  });

  it('reads the attempts of a batch by primary key once the table has grown, whatever was planned while it was empty', async () => {
    const states = [...statesAllowing('redeem')];
    // No such campaign: every attempt ends campaign_not_active, which is all a plan needs.
    const batch = (label: string) =>
      JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ k: 'claim', a: `att_${label}_${i}`, m: 'cmp_none', u: `cust${i}`, t: null, n: '2026-06-01T12:00:00Z' })));
    // Enough calls on an empty table for the connection to settle on its plans (a generic one after five).
    for (let n = 0; n < 8; n++) await explained.db.query('SELECT * FROM dg_attempt_many($1::jsonb, $2::text[])', [batch(`early${n}`), states]);
    await explained.db.query(
      `INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, outcome, finished_at)
       SELECT 'att_bulk_' || g, 'claim', 'cmp_none', 'c' || g, 'campaign_not_active', now() FROM generate_series(1, 20000) AS g`,
    );

    const plans = await explained.plansOf(async () => {
      const { rows } = await explained.db.query<{ attempt_id: string; outcome: string }>('SELECT * FROM dg_attempt_many($1::jsonb, $2::text[])', [batch('late'), states]);
      expect(rows.map((r) => r.outcome)).toEqual(Array(4).fill('campaign_not_active'));
    });
    const reads = plans.filter((p) => /Query Text: SELECT \* FROM attempts WHERE attempt_id = ANY/.test(p));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/Index (Only )?Scan (using|on) attempts_pkey/);
    expect(plans.join('\n')).not.toMatch(/Seq Scan on attempts/);
  });
});
