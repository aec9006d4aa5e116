import type { ContractContext } from './context';
import { attemptId, createCampaignWithCodes, HOUR, NOW } from './fixtures';
import { INTACT } from './harness';

const oneTier = [{ name: 'standard', reward: 't-shirt', quantity: 10 }];

export function redeemContract(ctx: ContractContext): void {
  describe('redeem', () => {
    it('redeems a code once and records who has it', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier);
      const code = codes.standard![0]!;
      const id = attemptId();
      const r = await store.redemptions.redeem({ attemptId: id, campaignId: campaign.id, code, customerId: 'alice', now: NOW });
      expect(r).toMatchObject({ attemptId: id, kind: 'redeem', outcome: 'redeemed', code, tier: 'standard', reward: 't-shirt', customerId: 'alice' });
      // An attempt is recorded as of the request's `now` (the time it was judged at), not the wall clock.
      expect(r.finishedAt).toEqual(NOW);
      const rec = await store.codes.get(campaign.id, code);
      expect(rec).toMatchObject({ state: 'redeemed', customerId: 'alice', attemptId: id });
      expect(rec!.redeemedAt).toBeInstanceOf(Date);
      expect(await store.redemptions.getAttempt(id)).toEqual(r);
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(1);
    });

    it('answers each refusal with its named outcome', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier);
      const [used, disabled, locked] = codes.standard as [string, string, string];
      const redeem = (code: string, customerId: string) =>
        store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId, now: NOW });
      expect((await redeem(used, 'alice')).outcome).toBe('redeemed');
      expect((await redeem(used, 'bob')).outcome).toBe('code_already_used');
      const again = await redeem(used, 'alice');
      expect(again.outcome).toBe('already_redeemed');
      expect(again.code).toBe(used);
      await store.codes.disable(campaign.id, [disabled]);
      expect((await redeem(disabled, 'carol')).outcome).toBe('code_disabled');
      await store.codes.lock({ campaignId: campaign.id, codes: [locked], releaseAt: new Date(NOW.getTime() + HOUR) });
      expect((await redeem(locked, 'dave')).outcome).toBe('code_locked');
      expect((await redeem('DG-ZZZZZZZZZZ', 'erin')).outcome).toBe('code_not_found');
      const missing = await store.redemptions.redeem({ attemptId: attemptId(), campaignId: 'cmp_nope_nope', code: used, customerId: 'x', now: NOW });
      expect(missing.outcome).toBe('campaign_not_active');
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(1);
    });

    it('honours a lock only until its release time, and unlock', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier);
      const [timed, manual] = codes.standard as [string, string];
      await store.codes.lock({ campaignId: campaign.id, codes: [timed], releaseAt: new Date(NOW.getTime() + HOUR) });
      await store.codes.lock({ campaignId: campaign.id, codes: [manual] });
      const at = (now: Date, code: string, customerId: string) =>
        store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId, now });
      expect((await at(NOW, timed, 'u1')).outcome).toBe('code_locked');
      expect((await at(new Date(NOW.getTime() + 2 * HOUR), manual, 'u1')).outcome).toBe('code_locked');
      expect((await at(new Date(NOW.getTime() + HOUR), timed, 'u1')).outcome).toBe('redeemed');
      await store.codes.unlock(campaign.id, [manual]);
      expect((await at(NOW, manual, 'u2')).outcome).toBe('redeemed');
    });

    it('refuses outside the campaign window and status', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier, {
        startsAt: NOW,
        endsAt: new Date(NOW.getTime() + HOUR),
      });
      const code = codes.standard![0]!;
      const at = (now: Date) => store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId: 'w', now });
      expect((await at(new Date(NOW.getTime() - 1))).outcome).toBe('campaign_not_active');
      expect((await at(new Date(NOW.getTime() + HOUR))).outcome).toBe('campaign_not_active');
      await store.campaigns.setStatus(campaign.id, 'paused');
      expect((await at(NOW)).outcome).toBe('campaign_not_active');
      await store.campaigns.setStatus(campaign.id, 'active');
      expect((await at(NOW)).outcome).toBe('redeemed');
    });

    it('keeps each customer within the campaign and tier limits; failures use no quota', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(
        store,
        [
          { name: 'standard', reward: 't-shirt', quantity: 5 },
          { name: 'premium', reward: 'deck', quantity: 5, perCustomerLimit: 1 },
        ],
        { perCustomerLimit: 2 },
      );
      const redeem = (code: string) =>
        store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId: 'greedy', now: NOW });
      await store.codes.disable(campaign.id, [codes.premium![4]!]);
      expect((await redeem(codes.premium![4]!)).outcome).toBe('code_disabled');
      expect((await redeem(codes.premium![0]!)).outcome).toBe('redeemed');
      expect((await redeem(codes.premium![1]!)).outcome).toBe('customer_limit_reached');
      expect((await redeem(codes.standard![0]!)).outcome).toBe('redeemed');
      expect((await redeem(codes.standard![1]!)).outcome).toBe('customer_limit_reached');
      expect((await store.codes.get(campaign.id, codes.premium![1]!))!.state).toBe('available');
      expect((await store.codes.get(campaign.id, codes.standard![1]!))!.state).toBe('available');
    });

    it('redeems published codes as the campaign allows', async () => {
      const store = ctx.store();
      const { campaign } = await createCampaignWithCodes(store, oneTier, { redeemRequiresPublication: true });
      const web = await store.codes.publish({ campaignId: campaign.id, tier: 'standard', count: 2, publicationId: `pub_${attemptId()}`, channel: 'web', now: NOW });
      const personal = await store.codes.publish({
        campaignId: campaign.id, tier: 'standard', count: 1, publicationId: `pub_${attemptId()}`, customerId: 'vip', now: NOW,
      });
      const unpublished = (await store.codes.list({ campaignId: campaign.id, state: 'available', limit: 1 }))[0]!.code;
      const redeem = (code: string, customerId: string) =>
        store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId, now: NOW });
      expect((await redeem(unpublished, 'p1')).outcome).toBe('code_not_found');
      expect((await redeem(web.codes[0]!, 'p1')).outcome).toBe('redeemed');
      expect((await redeem(personal.codes[0]!, 'p2')).outcome).toBe('code_not_found');
      expect((await redeem(personal.codes[0]!, 'vip')).outcome).toBe('redeemed');
      expect((await store.codes.get(campaign.id, unpublished))!.state).toBe('available');
    });

    it('rolls a redemption back so the code is usable again exactly once', async () => {
      const stores = ctx.stores();
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier);
      const code = codes.standard![0]!;
      const firstRedemption = await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId: 'first', now: NOW });
      expect(firstRedemption).toMatchObject({ outcome: 'redeemed', rolledBackAt: null });
      const rolledBackAt = new Date(NOW.getTime() + 60_000);
      expect(await store.codes.rollback({ campaignId: campaign.id, code, to: 'available', now: rolledBackAt })).toBe(true);
      // The attempt that held the code says so, and keeps what it got.
      expect(await store.redemptions.getAttempt(firstRedemption.attemptId)).toEqual({ ...firstRedemption, rolledBackAt });
      expect(await store.codes.rollback({ campaignId: campaign.id, code, to: 'available', now: NOW })).toBe(false);
      expect(await store.codes.get(campaign.id, code)).toMatchObject({ state: 'available', customerId: null, attemptId: null });
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(0);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          stores[i % stores.length]!.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId: `next${i}`, now: NOW }),
        ),
      );
      expect(results.filter((r) => r.outcome === 'redeemed')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'code_already_used')).toHaveLength(19);
      // Two attempts name the code; only the one not rolled back holds it.
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
      expect((await store.redemptions.getAttempt(firstRedemption.attemptId))!.rolledBackAt).toEqual(rolledBackAt);
      // The first customer's quota came back with the rollback.
      const other = codes.standard![1]!;
      expect((await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code: other, customerId: 'first', now: NOW })).outcome).toBe('redeemed');
      // Rolling back to disabled takes the code out of circulation.
      expect(await store.codes.rollback({ campaignId: campaign.id, code: other, to: 'disabled', now: NOW })).toBe(true);
      expect((await store.codes.get(campaign.id, other))!.state).toBe('disabled');
    });
  });
}
