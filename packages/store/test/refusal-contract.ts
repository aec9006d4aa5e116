import type { ContractContext } from './context';
import { attemptId, createCampaignWithCodes, expectStoreError, NOW } from './fixtures';

const oneTier = [{ name: 'standard', reward: 't-shirt', quantity: 3 }];

/** `refuse`: a refusal decided outside the store (the bot defence's deferred verdict), recorded once. */
export function refusalContract(ctx: ContractContext): void {
  describe('refuse', () => {
    it('records the refusal as the attempt final outcome and touches no code, quota or counter', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier);
      const id = attemptId('refused');
      const r = await store.redemptions.refuse({ attemptId: id, kind: 'redeem', campaignId: campaign.id, customerId: ' Alice ', outcome: 'source_blocked', now: NOW });
      expect(r).toEqual({
        attemptId: id,
        kind: 'redeem',
        campaignId: campaign.id,
        customerId: 'alice',
        outcome: 'source_blocked',
        code: null,
        tier: null,
        reward: null,
        finishedAt: NOW,
        rolledBackAt: null,
      });
      expect(await store.redemptions.getAttempt(id)).toEqual(r);
      expect(await store.redemptions.outcomeCounts(campaign.id)).toEqual({ source_blocked: 1 });
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(0);
      // The customer's quota is untouched: the same customer still redeems a code.
      const next = await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code: codes.standard![0]!, customerId: 'alice', now: NOW });
      expect(next.outcome).toBe('redeemed');
    });

    it('is idempotent by attempt id, both ways round with redeem and claim', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier, { perCustomerLimit: 3 });
      const [first, second] = codes.standard as [string, string];

      // Refused first: a redelivery refused again, or redeemed, answers the recorded refusal; the code stays free.
      const refused = attemptId('refused');
      const r = await store.redemptions.refuse({ attemptId: refused, kind: 'redeem', campaignId: campaign.id, customerId: 'bob', outcome: 'source_blocked', now: NOW });
      expect(await store.redemptions.refuse({ attemptId: refused, kind: 'redeem', campaignId: campaign.id, customerId: 'bob', outcome: 'code_locked', now: new Date(NOW.getTime() + 1) })).toEqual(r);
      expect(await store.redemptions.redeem({ attemptId: refused, campaignId: campaign.id, code: first, customerId: 'bob', now: NOW })).toEqual(r);
      expect((await store.codes.get(campaign.id, first))!.state).toBe('available');

      // Redeemed first: a later refusal of the same attempt (a redelivery after the source was blocked) answers the
      // recorded success, and the code stays with it.
      const won = attemptId('won');
      const w = await store.redemptions.redeem({ attemptId: won, campaignId: campaign.id, code: second, customerId: 'bob', now: NOW });
      expect(w.outcome).toBe('redeemed');
      expect(await store.redemptions.refuse({ attemptId: won, kind: 'redeem', campaignId: campaign.id, customerId: 'bob', outcome: 'source_blocked', now: NOW })).toEqual(w);
      expect((await store.codes.get(campaign.id, second))!).toMatchObject({ state: 'redeemed', attemptId: won });

      // A claim refused: recorded with its kind; the batch path answers the same record.
      const claim = attemptId('claim');
      const c = await store.redemptions.refuse({ attemptId: claim, kind: 'claim', campaignId: campaign.id, customerId: 'carol', outcome: 'source_blocked', now: NOW });
      expect(c).toMatchObject({ kind: 'claim', outcome: 'source_blocked', code: null });
      const other = attemptId('other');
      const batch = await store.redemptions.processMany([
        { kind: 'claim', attemptId: claim, campaignId: campaign.id, customerId: 'carol', now: NOW },
        { kind: 'claim', attemptId: other, campaignId: campaign.id, customerId: 'carol', now: NOW },
      ]);
      expect(batch[0]).toEqual(c);
      expect(batch[1]!.outcome).toBe('claimed');
      expect(await store.redemptions.outcomeCounts(campaign.id)).toEqual({ source_blocked: 2, redeemed: 1, claimed: 1 });
    });

    it('refuses to record a success outcome', async () => {
      const store = ctx.store();
      const { campaign } = await createCampaignWithCodes(store, oneTier);
      const id = attemptId('bad');
      await expectStoreError(store.redemptions.refuse({ attemptId: id, kind: 'redeem', campaignId: campaign.id, customerId: 'dave', outcome: 'redeemed', now: NOW }), 'invalid_request');
      expect(await store.redemptions.getAttempt(id)).toBeNull();
    });
  });
}
