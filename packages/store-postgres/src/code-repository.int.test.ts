import { resolveCodeSpec } from '@dropgate/core';
import { isStoreError, type Store } from '@dropgate/store';
import { tempSchema, type TempSchema } from '../test/temp-schema';

const NOW = new Date('2026-06-01T12:00:00Z');
const spec = resolveCodeSpec({ length: 8, prefix: 'T-' });

describe('postgres codes', () => {
  let temp: TempSchema;
  let store: Store;
  beforeAll(async () => {
    temp = tempSchema('dg_test_codes');
    store = temp.open();
    await store.migrate();
  });
  afterAll(() => temp.drop());

  const campaign = (tiers = [{ name: 'standard', reward: 'x' }]) =>
    store.campaigns.create({ name: 'codes', status: 'active', tiers, perCustomerLimit: 1, codeSpec: spec });
  const codesOf = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);
  const errorCode = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (isStoreError(e) ? e.code : String(e)));

  it('inserts more than one statement chunk and reports duplicates inside the batch', async () => {
    const c = await campaign();
    const codes = codesOf(25_000, 'T-A');
    const batch = [...codes, codes[0]!, codes[24_999]!].map((code) => ({ code, tier: 'standard' }));
    const result = await store.codes.insert(c.id, batch);
    expect(result.inserted).toBe(25_000);
    expect(result.duplicates.sort()).toEqual([codes[0], codes[24_999]].sort());
    expect((await store.codes.counts(c.id)).standard!.available).toBe(25_000);
  });

  it('refuses codes for a missing campaign or tier, inserting none of the batch', async () => {
    const c = await campaign();
    expect(await errorCode(store.codes.insert('cmp_missing_x', [{ code: 'T-1', tier: 'standard' }]))).toBe('campaign_not_found');
    expect(
      await errorCode(store.codes.insert(c.id, [{ code: 'T-OK000001', tier: 'standard' }, { code: 'T-NO000001', tier: 'gold' }])),
    ).toBe('unknown_tier');
    expect(await store.codes.get(c.id, 'T-OK000001')).toBeNull();
    expect(await errorCode(store.codes.counts('cmp_missing_x'))).toBe('campaign_not_found');
    expect(await store.codes.list({ campaignId: c.id, limit: 0 })).toEqual([]);
  });

  it('publishes to one customer, refuses a reused publication id with other parameters', async () => {
    const c = await campaign();
    await store.codes.insert(c.id, codesOf(5, 'T-P').map((code) => ({ code, tier: 'standard' })));
    const pub = await store.codes.publish({ campaignId: c.id, tier: 'standard', count: 2, publicationId: `pub_${c.id}`, customerId: 'vip', now: NOW });
    expect(pub).toMatchObject({ customerId: 'vip', channel: null, codes: expect.any(Array) as unknown });
    expect(pub.createdAt).toEqual(NOW);
    expect(await errorCode(store.codes.publish({ campaignId: c.id, tier: 'standard', count: 3, publicationId: `pub_${c.id}`, customerId: 'vip', now: NOW }))).toBe(
      'publication_conflict',
    );
    expect(await errorCode(store.codes.publish({ campaignId: c.id, tier: 'gold', count: 1, publicationId: `pub2_${c.id}`, now: NOW }))).toBe('unknown_tier');
    expect(await errorCode(store.codes.publish({ campaignId: 'cmp_missing_x', tier: 'standard', count: 1, publicationId: `pub3_${c.id}`, now: NOW }))).toBe(
      'campaign_not_found',
    );
    // A failed publication leaves no publication behind: its id is still free.
    expect(await errorCode(store.codes.publish({ campaignId: c.id, tier: 'standard', count: 4, publicationId: `pub4_${c.id}`, now: NOW }))).toBe('not_enough_codes');
    const retry = await store.codes.publish({ campaignId: c.id, tier: 'standard', count: 3, publicationId: `pub4_${c.id}`, now: NOW });
    expect(retry.codes).toHaveLength(3);
  });

  it('does not disable a redeemed code directly; rollback to disabled settles quota and target', async () => {
    const c = await campaign();
    await store.codes.insert(c.id, codesOf(3, 'T-D').map((code) => ({ code, tier: 'standard' })));
    const [a, b] = codesOf(2, 'T-D') as [string, string];
    expect((await store.redemptions.redeem({ attemptId: `att_dis_${c.id}`, campaignId: c.id, code: a, customerId: 'u1', now: NOW })).outcome).toBe('redeemed');
    expect(await store.codes.disable(c.id, [a])).toBe(0);
    expect(await store.codes.get(c.id, a)).toMatchObject({ state: 'redeemed', customerId: 'u1' });
    expect(await store.codes.rollback({ campaignId: c.id, code: a, to: 'disabled', now: NOW })).toBe(true);
    expect(await store.codes.get(c.id, a)).toMatchObject({ state: 'disabled', customerId: null });
    expect((await store.campaigns.get(c.id))!.redeemedCount).toBe(0);
    expect((await store.redemptions.redeem({ attemptId: `att_dis2_${c.id}`, campaignId: c.id, code: b, customerId: 'u1', now: NOW })).outcome).toBe(
      'redeemed',
    );
  });
});
