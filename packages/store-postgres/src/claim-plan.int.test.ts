import { resolveCodeSpec, statesAllowing } from '@dropgate/core';
import { explainedConnection, type ExplainedConnection } from '../test/explained-connection';
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
  let explained: ExplainedConnection;
  beforeAll(async () => {
    temp = tempSchema('dg_test_claim_plan');
    await temp.open(1).migrate();
    explained = await explainedConnection(temp.schema);
  });
  afterAll(async () => {
    await explained?.close();
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
    await explained.db.query('ANALYZE codes');
    expect(await store.codes.lock({ campaignId: campaign.id, codes: premium })).toBe(500);

    const plans = await explained.plansOf(async () => {
      const batch = Array.from({ length: 3 }, (_, i) => ({ k: 'claim', a: `att_plan_${i}`, m: campaign.id, u: `cust${i}`, t: 'premium', n: '2026-06-01T12:00:00Z' }));
      const { rows } = await explained.db.query<{ outcome: string }>('SELECT * FROM dg_attempt_many($1::jsonb, $2::text[])', [JSON.stringify(batch), [...statesAllowing('redeem')]]);
      expect(rows.map((r) => r.outcome)).toEqual(['sold_out', 'sold_out', 'sold_out']);
    });
    const waits = plans.filter((p) => /state = 'available'\s+(ORDER BY a\.claim_order )?LIMIT 1 FOR UPDATE\)/.test(p));
    expect(waits).toHaveLength(3);
    for (const plan of waits) expect(plan).toMatch(/Index Scan using codes_available_idx/);
    expect(plans.join('\n')).not.toMatch(/Seq Scan on codes/);
  });
});
