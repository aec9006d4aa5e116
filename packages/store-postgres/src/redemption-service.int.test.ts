import { randomUUID } from 'node:crypto';
import { isSuccessOutcome, resolveCodeSpec, type AttemptResult, type NewCampaign } from '@dropgate/core';
import type { Store } from '@dropgate/store';
import { tempSchema, type TempSchema } from '../test/temp-schema';

const NOW = new Date('2026-06-01T12:00:00Z');
const spec = resolveCodeSpec({ length: 8, prefix: 'R-' });
const id = (label: string): string => `att_${label}_${randomUUID().slice(0, 12)}`;

describe('postgres redemptions', () => {
  let temp: TempSchema;
  let stores: Store[];
  let store: Store;
  beforeAll(async () => {
    temp = tempSchema('dg_test_redeem');
    stores = Array.from({ length: 4 }, () => temp.open(8));
    store = stores[0]!;
    await store.migrate();
  });
  afterAll(() => temp.drop());

  async function campaignWith(codes: number, overrides: Partial<NewCampaign> = {}) {
    const c = await store.campaigns.create({
      name: 'focused',
      status: 'active',
      tiers: [{ name: 'standard', reward: 'shirt' }],
      perCustomerLimit: 1,
      codeSpec: spec,
      ...overrides,
    });
    const list = Array.from({ length: codes }, (_, i) => `R-${c.id.slice(-6)}${String(i).padStart(5, '0')}`);
    await store.codes.insert(
      c.id,
      list.map((code) => ({ code, tier: overrides.tiers?.[i(list.indexOf(code), overrides.tiers.length)]?.name ?? 'standard' })),
    );
    return { campaign: c, codes: list };
  }
  const i = (index: number, n: number) => index % n;
  const claim = (s: Store, campaignId: string, customerId: string, tier?: string) =>
    s.redemptions.claim({ attemptId: id('c'), campaignId, customerId, tier, now: NOW });

  it('clearing the target counts on shards again; rollback keeps a target-stopped campaign stopped', async () => {
    const { campaign, codes } = await campaignWith(10, { target: 3 });
    for (let n = 0; n < 3; n++) expect((await claim(store, campaign.id, `t${n}`)).outcome).toBe('claimed');
    expect(await store.campaigns.get(campaign.id)).toMatchObject({ status: 'stopped', stopReason: 'target_reached', redeemedCount: 3 });
    const taken = (await store.codes.list({ campaignId: campaign.id, state: 'redeemed', limit: 10 }))[0]!.code;
    expect(await store.codes.rollback({ campaignId: campaign.id, code: taken, to: 'available', now: NOW })).toBe(true);
    expect(await store.campaigns.get(campaign.id)).toMatchObject({ status: 'stopped', redeemedCount: 2 });
    expect((await claim(store, campaign.id, 'while-stopped')).outcome).toBe('campaign_not_active');

    await store.campaigns.update(campaign.id, { target: null });
    await store.campaigns.setStatus(campaign.id, 'active');
    const more = await Promise.all(Array.from({ length: 5 }, (_, n) => claim(stores[n % 4]!, campaign.id, `free${n}`)));
    expect(more.every((r) => r.outcome === 'claimed')).toBe(true);
    expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(7);
    expect(codes).toContain(more[0]!.code);
    // And back to a target: everything counted so far is folded into the target count.
    const withTarget = await store.campaigns.update(campaign.id, { target: 8 });
    expect(withTarget.redeemedCount).toBe(7);
    expect((await claim(store, campaign.id, 'last')).outcome).toBe('claimed');
    expect((await claim(store, campaign.id, 'too-late')).outcome).toBe('sold_out');
    expect(await store.campaigns.get(campaign.id)).toMatchObject({ status: 'stopped', redeemedCount: 8 });
  });

  it('enforces a tier limit on claims while other tiers stay open', async () => {
    const { campaign } = await campaignWith(8, {
      perCustomerLimit: 3,
      tiers: [
        { name: 'standard', reward: 'shirt' },
        { name: 'premium', reward: 'deck', perCustomerLimit: 1 },
      ],
    });
    expect((await claim(store, campaign.id, 'tiered', 'premium')).outcome).toBe('claimed');
    expect((await claim(store, campaign.id, 'tiered', 'premium')).outcome).toBe('customer_limit_reached');
    expect((await claim(store, campaign.id, 'tiered', 'standard')).outcome).toBe('claimed');
    expect((await claim(store, campaign.id, 'tiered')).outcome).toBe('claimed');
    expect((await claim(store, campaign.id, 'tiered')).outcome).toBe('customer_limit_reached');
  });

  it('records every attempt once: redelivery, reuse with another payload, unknown ids', async () => {
    const { campaign, codes } = await campaignWith(2);
    const attemptId = id('once');
    const first = await store.redemptions.redeem({ attemptId, campaignId: campaign.id, code: codes[0]!, customerId: 'once', now: NOW });
    // The same id again, even with another code and customer, answers the recorded result.
    const again = await stores[1]!.redemptions.redeem({ attemptId, campaignId: campaign.id, code: codes[1]!, customerId: 'other', now: NOW });
    expect(again).toEqual(first);
    expect((await store.codes.get(campaign.id, codes[1]!))!.state).toBe('available');
    expect(await store.redemptions.getAttempt(attemptId)).toEqual(first);
    expect(await store.redemptions.getAttempt(id('never'))).toBeNull();
    const soldOut = id('soldout');
    await claim(store, campaign.id, 'x1');
    const r: AttemptResult = await store.redemptions.claim({ attemptId: soldOut, campaignId: campaign.id, customerId: 'x2', now: NOW });
    expect(r).toMatchObject({ outcome: 'sold_out', code: null });
    expect(isSuccessOutcome(r.outcome)).toBe(false);
    expect(await store.redemptions.outcomeCounts(campaign.id)).toEqual({ redeemed: 1, claimed: 1, sold_out: 1 });
  });
});
