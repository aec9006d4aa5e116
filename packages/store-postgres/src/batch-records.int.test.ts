import { randomUUID } from 'node:crypto';
import { resolveCodeSpec } from '@dropgate/core';
import type { AttemptRequest, Store } from '@dropgate/store';
import { INTACT, type StoreHarness } from '@dropgate/store/testing';
import { createPgContractHarness } from '../test/contract-harness';

const NOW = new Date('2026-06-01T12:00:00Z');
const id = (label: string): string => `att_${label}_${randomUUID().slice(0, 12)}`;

/**
 * A batch's element records its attempt id only once decided (migration 060), so another transaction may record the
 * same id meanwhile (a redelivery, a refusal). The batch must then fail as a whole, with nothing of it committed, and
 * the single calls its caller falls back to must answer the recorded result.
 */
describe('postgres batch: an attempt id recorded by another transaction while the batch decides it', () => {
  let harness: StoreHarness;
  let store: Store;
  beforeAll(async () => {
    harness = await createPgContractHarness();
    store = await harness.open();
  });
  afterAll(() => harness.teardown());

  it.each(['claim', 'redeem'] as const)('%s: the batch fails with 40001 and leaves nothing; single calls answer the recorded result', async (kind) => {
    const campaign = await store.campaigns.create({
      name: 'records once',
      status: 'active',
      tiers: [{ name: 'standard', reward: 'shirt' }],
      perCustomerLimit: 1,
      codeSpec: resolveCodeSpec({ length: 8, prefix: 'B-' }),
    });
    const codes = ['B-REC00001', 'B-REC00002', 'B-REC00003'];
    await store.codes.insert(campaign.id, codes.map((code) => ({ code, tier: 'standard' })));
    const raced = id('raced');
    const other = id('other');
    const reqs: AttemptRequest[] = [
      kind === 'claim'
        ? { kind: 'claim', attemptId: raced, campaignId: campaign.id, customerId: 'raced', now: NOW }
        : { kind: 'redeem', attemptId: raced, campaignId: campaign.id, code: codes[0]!, customerId: 'raced', now: NOW },
      { kind: 'redeem', attemptId: other, campaignId: campaign.id, code: codes[1]!, customerId: 'other', now: NOW },
    ];

    // The element has read the id (not recorded) and taken its code; then a refusal of the same id commits.
    const stall = await harness.faults.stall(`${kind}.code`, raced);
    const batch = store.redemptions.processMany(reqs).then(
      () => undefined,
      (err: unknown) => err as { code?: string },
    );
    await stall.reached;
    const refused = await store.redemptions.refuse({ attemptId: raced, kind, campaignId: campaign.id, customerId: 'raced', outcome: 'source_blocked', now: NOW });
    await stall.release('continue');

    expect(await batch).toMatchObject({ code: '40001' });
    expect(await store.redemptions.getAttempt(other)).toBeNull();
    expect((await store.codes.counts(campaign.id)).standard).toMatchObject({ available: 3, redeemed: 0 });
    expect(await harness.integrity(campaign.id)).toEqual(INTACT);

    // What the worker's batcher does next: each attempt on its own.
    await harness.faults.clear();
    const [first, second] = reqs as [AttemptRequest, AttemptRequest];
    expect(await (first.kind === 'claim' ? store.redemptions.claim(first) : store.redemptions.redeem(first))).toEqual(refused);
    expect(await store.redemptions.redeem(second as Extract<AttemptRequest, { kind: 'redeem' }>)).toMatchObject({ outcome: 'redeemed', code: codes[1] });
    expect((await store.codes.counts(campaign.id)).standard).toMatchObject({ available: 2, redeemed: 1 });
    expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(1);
    expect(await harness.integrity(campaign.id)).toEqual(INTACT);
  });
});
