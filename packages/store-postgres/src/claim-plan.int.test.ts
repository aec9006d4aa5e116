import { resolveCodeSpec, statesAllowing } from '@dropgate/core';
import { TEST_DATABASE_URL } from '@dropgate/testkit';
import { Client } from 'pg';
import { tempSchema, type TempSchema } from '../test/temp-schema';

const spec = resolveCodeSpec({ length: 8, prefix: 'P-' });
const codesOf = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);

/**
 * A claim of a sold-out tier waits for the codes open transactions hold before it answers sold_out. With statistics
 * that still count the tier's codes as available (they always lag), the planner took "LIMIT 1 of many matching rows"
 * as a sequential scan that stops early, and every such claim read the whole codes table to find nothing. The plans
 * are read through auto_explain (nested statements, as notices on this connection only).
 */
describe('postgres claim plans', () => {
  let temp: TempSchema;
  let db: Client;
  beforeAll(async () => {
    temp = tempSchema('dg_test_claim_plan');
    await temp.open(1).migrate();
    db = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${temp.schema}` });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await temp.drop();
  });

  it('claims of a sold-out tier look for held codes through the index, whatever the statistics say', async () => {
    const store = temp.open(1);
    const campaign = await store.campaigns.create({
      name: 'plans',
      status: 'active',
      tiers: [
        { name: 'standard', reward: 'x' },
        { name: 'premium', reward: 'y' },
      ],
      perCustomerLimit: 1,
      codeSpec: spec,
    });
    await store.codes.insert(campaign.id, codesOf(3000, 'P-S').map((code) => ({ code, tier: 'standard' })));
    const premium = codesOf(500, 'P-P');
    await store.codes.insert(campaign.id, premium.map((code) => ({ code, tier: 'premium' })));
    // Statistics taken while the premium codes were available; then they all go (locked for good: never claimable).
    await db.query('ANALYZE codes');
    expect(await store.codes.lock({ campaignId: campaign.id, codes: premium })).toBe(500);

    const plans: string[] = [];
    const onNotice = (notice: { message?: string }) => plans.push(notice.message ?? '');
    db.on('notice', onNotice);
    try {
      await db.query("LOAD 'auto_explain'");
      await db.query('SET auto_explain.log_min_duration = 0');
      await db.query('SET auto_explain.log_nested_statements = on');
      await db.query('SET auto_explain.log_level = notice');
      await db.query('SET client_min_messages = notice');
      const batch = Array.from({ length: 3 }, (_, i) => ({ k: 'claim', a: `att_plan_${i}`, m: campaign.id, u: `cust${i}`, t: 'premium', n: '2026-06-01T12:00:00Z' }));
      const { rows } = await db.query<{ outcome: string }>('SELECT * FROM dg_attempt_many($1::jsonb, $2::text[])', [JSON.stringify(batch), [...statesAllowing('redeem')]]);
      expect(rows.map((r) => r.outcome)).toEqual(['sold_out', 'sold_out', 'sold_out']);
    } finally {
      db.off('notice', onNotice);
    }
    const waits = plans.filter((p) => /state = 'available'\s+(ORDER BY a\.claim_order )?LIMIT 1 FOR UPDATE\)/.test(p));
    expect(waits).toHaveLength(3);
    for (const plan of waits) expect(plan).toMatch(/Index Scan using codes_available_idx/);
    expect(plans.join('\n')).not.toMatch(/Seq Scan on codes/);
  });
});
