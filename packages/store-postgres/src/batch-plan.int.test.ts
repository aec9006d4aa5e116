import { statesAllowing } from '@dropgate/core';
import { explainedConnection, type ExplainedConnection } from '../test/explained-connection';
import { tempSchema, type TempSchema } from '../test/temp-schema';

/**
 * PL/pgSQL keeps a statement's plan for the life of a connection. A batch's read of its attempts, planned once while
 * the attempts table was nearly empty (a new deployment), stayed a sequential scan of the whole table as it grew: most
 * of a batch's time at 10,000 rows. A batch reads its attempt ids twice: which are recorded already (at its start),
 * and the rows of those (at its end; the rows it records itself it answers as written). The plans the batch function
 * uses are read here through auto_explain (nested statements, as notices on this connection only).
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

    // Four new attempts and one recorded before the batch (a redelivery): both reads run.
    const late = JSON.stringify([...(JSON.parse(batch('late')) as object[]), { k: 'claim', a: 'att_bulk_7', m: 'cmp_none', u: 'c7', t: null, n: '2026-06-01T12:00:00Z' }]);
    const plans = await explained.plansOf(async () => {
      const { rows } = await explained.db.query<{ attempt_id: string; outcome: string }>('SELECT * FROM dg_attempt_many($1::jsonb, $2::text[])', [late, states]);
      expect(rows.map((r) => r.attempt_id).sort()).toEqual([...Array.from({ length: 4 }, (_, i) => `att_late_${i}`), 'att_bulk_7'].sort());
      expect(rows.map((r) => r.outcome)).toEqual(Array(5).fill('campaign_not_active'));
    });
    const reads = plans.filter((p) => /Query Text: SELECT .* FROM attempts WHERE attempt_id = ANY/.test(p));
    expect(reads).toHaveLength(2);
    for (const read of reads) expect(read).toMatch(/Index (Only )?Scan (using|on) attempts_pkey/);
    expect(plans.join('\n')).not.toMatch(/Seq Scan on attempts/);
  });
});
