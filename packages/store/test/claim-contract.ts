import type { ContractContext } from './context';
import { attemptId, createCampaignWithCodes, HOUR, NOW } from './fixtures';

export function claimContract(ctx: ContractContext): void {
  describe('claim', () => {
    it('assigns codes of the asked tier, then sells out', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [
        { name: 'standard', reward: 't-shirt', quantity: 3 },
        { name: 'premium', reward: 'skate deck', quantity: 2 },
      ]);
      const claim = (customerId: string, tier?: string) =>
        store.redemptions.claim({ attemptId: attemptId(), campaignId: campaign.id, tier, customerId, now: NOW });
      const p1 = await claim('c1', 'premium');
      expect(p1).toMatchObject({ kind: 'claim', outcome: 'claimed', tier: 'premium', reward: 'skate deck', customerId: 'c1' });
      expect(codes.premium).toContain(p1.code);
      expect((await claim('c2', 'premium')).outcome).toBe('claimed');
      const p3 = await claim('c3', 'premium');
      expect(p3.outcome).toBe('sold_out');
      expect(p3.code).toBeNull();
      // default tier is the first one
      const s = await claim('c3');
      expect(s.tier).toBe('standard');
      expect(codes.standard).toContain(s.code);
      expect((await claim('c4', 'nope')).outcome).toBe('code_not_found');
      // the sold-out attempt gave c3's quota back: c3 got a standard code above.
      expect((await claim('c3', 'standard')).outcome).toBe('customer_limit_reached');
    });

    it('counts "Alice", "alice " and the full-width form as one customer, in claims, redeems and batches', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 6 }]);
      const first = await store.redemptions.claim({ attemptId: attemptId('nfkc'), campaignId: campaign.id, customerId: 'Alice', now: NOW });
      expect(first).toMatchObject({ outcome: 'claimed', customerId: 'alice' });
      expect((await store.codes.get(campaign.id, first.code!))!.customerId).toBe('alice');
      const again = await store.redemptions.claim({ attemptId: attemptId('nfkc'), campaignId: campaign.id, customerId: 'alice ', now: NOW });
      expect(again.outcome).toBe('customer_limit_reached');
      const wide = await store.redemptions.redeem({ attemptId: attemptId('nfkc'), campaignId: campaign.id, customerId: '\uFF21\uFF4C\uFF49\uFF43\uFF45', code: codes.standard!.find((c) => c !== first.code)!, now: NOW });
      expect(wide.outcome).toBe('customer_limit_reached');
      const batch = await store.redemptions.processMany([
        { kind: 'claim', attemptId: attemptId('nfkc'), campaignId: campaign.id, customerId: 'ALICE', now: NOW },
        { kind: 'claim', attemptId: attemptId('nfkc'), campaignId: campaign.id, customerId: 'Bob', now: NOW },
      ]);
      expect(batch.map((r) => [r.outcome, r.customerId])).toEqual([
        ['customer_limit_reached', 'alice'],
        ['claimed', 'bob'],
      ]);
      expect((await store.codes.counts(campaign.id)).standard!.redeemed).toBe(2);
    });

    it('skips locked and disabled codes, takes due locks', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 3 }]);
      const [a, b, c] = codes.standard as [string, string, string];
      await store.codes.disable(campaign.id, [a]);
      await store.codes.lock({ campaignId: campaign.id, codes: [b] });
      await store.codes.lock({ campaignId: campaign.id, codes: [c], releaseAt: new Date(NOW.getTime() + HOUR) });
      const claim = (customerId: string, now: Date) =>
        store.redemptions.claim({ attemptId: attemptId(), campaignId: campaign.id, customerId, now });
      expect((await claim('k1', NOW)).outcome).toBe('sold_out');
      const later = await claim('k2', new Date(NOW.getTime() + HOUR));
      expect(later.outcome).toBe('claimed');
      expect(later.code).toBe(c);
    });

    it('refuses claims on a campaign that is not active', async () => {
      const store = ctx.store();
      const { campaign } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 3 }], { status: 'draft' });
      const r = await store.redemptions.claim({ attemptId: attemptId(), campaignId: campaign.id, customerId: 'd', now: NOW });
      expect(r.outcome).toBe('campaign_not_active');
      expect((await store.codes.counts(campaign.id)).standard!.available).toBe(3);
    });
  });
}
