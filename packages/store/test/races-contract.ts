import { isSuccessOutcome, type Campaign } from '@dropgate/core';
import type { ContractContext } from './context';
import { attemptId, countBy, createCampaignWithCodes, NOW, roundRobin } from './fixtures';
import { INTACT } from './harness';

/**
 * Properties under concurrency that first lived in the PostgreSQL adapter's own tests and hold for any adapter:
 * admin writes (target, rollback, publish) racing redemptions, one customer racing itself, attempt ids reused.
 */
export function racesContract(ctx: ContractContext): void {
  describe('races with admin writes and with oneself', () => {
    it('a target set on a running campaign holds exactly, even with claims in flight', async () => {
      const stores = ctx.stores();
      // The last instance plays the admin: its connections are not queued behind the claims.
      const workers = stores.length > 1 ? stores.slice(0, -1) : stores;
      const admin = stores[stores.length - 1]!;
      const { campaign } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 400 }]);
      let done = 0;
      let targetSet: Promise<Campaign> | null = null;
      const results = await Promise.all(
        Array.from({ length: 400 }, (_, n) =>
          workers[n % workers.length]!.redemptions
            .claim({ attemptId: attemptId('inflight'), campaignId: campaign.id, customerId: `inflight${n}`, now: NOW })
            .then((r) => {
              done++;
              // Part-way through, with dozens of claims in flight, an operator sets a target.
              if (done === 20) targetSet = admin.campaigns.update(campaign.id, { target: 150 });
              return r;
            }),
        ),
      );
      // What was counted when the target took effect; from then on only the target decides.
      const atSwitch = (await targetSet!).redeemedCount;
      const expected = Math.max(150, atSwitch);
      expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(expected);
      // Stopped by its target: sold_out, never campaign_not_active.
      for (const r of results) expect(['claimed', 'sold_out']).toContain(r.outcome);
      expect(await ctx.store().campaigns.get(campaign.id)).toMatchObject({ redeemedCount: expected, status: 'stopped', stopReason: 'target_reached' });
      expect((await ctx.store().codes.counts(campaign.id)).standard!.redeemed).toBe(expected);
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
    });

    it('clearing and setting the target again; rollback keeps a target-stopped campaign stopped', async () => {
      const store = ctx.store();
      const next = roundRobin(ctx.stores());
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 10 }], { target: 3 });
      const claim = (s: typeof store, customerId: string) => s.redemptions.claim({ attemptId: attemptId('tgt'), campaignId: campaign.id, customerId, now: NOW });
      for (let n = 0; n < 3; n++) expect((await claim(store, `t${n}`)).outcome).toBe('claimed');
      expect(await store.campaigns.get(campaign.id)).toMatchObject({ status: 'stopped', stopReason: 'target_reached', redeemedCount: 3 });
      const taken = (await store.codes.list({ campaignId: campaign.id, state: 'redeemed', limit: 10 }))[0]!.code;
      expect(await store.codes.rollback({ campaignId: campaign.id, code: taken, to: 'available', now: NOW })).toBe(true);
      expect(await store.campaigns.get(campaign.id)).toMatchObject({ status: 'stopped', redeemedCount: 2 });
      expect((await claim(store, 'while-stopped')).outcome).toBe('campaign_not_active');

      await store.campaigns.update(campaign.id, { target: null });
      await store.campaigns.setStatus(campaign.id, 'active');
      const more = await Promise.all(Array.from({ length: 5 }, (_, n) => claim(next(), `free${n}`)));
      expect(more.every((r) => r.outcome === 'claimed')).toBe(true);
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(7);
      expect(codes.standard).toContain(more[0]!.code);
      // And back to a target: everything counted so far counts against it.
      expect((await store.campaigns.update(campaign.id, { target: 8 })).redeemedCount).toBe(7);
      expect((await claim(store, 'last')).outcome).toBe('claimed');
      expect((await claim(store, 'too-late')).outcome).toBe('sold_out');
      expect(await store.campaigns.get(campaign.id)).toMatchObject({ status: 'stopped', redeemedCount: 8 });
    });

    it('one customer redeeming many codes at once stays within the limit', async () => {
      const next = roundRobin(ctx.stores());
      const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 12 }], { perCustomerLimit: 3 });
      const results = await Promise.all(
        codes.standard!.slice(0, 10).map((code) =>
          next().redemptions.redeem({ attemptId: attemptId('greedy'), campaignId: campaign.id, code, customerId: 'greedy', now: NOW }),
        ),
      );
      expect(countBy(results, (r) => r.outcome)).toEqual({ redeemed: 3, customer_limit_reached: 7 });
      expect((await ctx.store().codes.counts(campaign.id)).standard).toMatchObject({ redeemed: 3, available: 9 });
      expect((await ctx.store().campaigns.get(campaign.id))!.redeemedCount).toBe(3);
    });

    it('tier limits hold for one customer claiming several tiers at once', async () => {
      const next = roundRobin(ctx.stores());
      const { campaign } = await createCampaignWithCodes(
        ctx.store(),
        [
          { name: 'standard', reward: 'shirt', quantity: 10 },
          { name: 'premium', reward: 'deck', quantity: 10, perCustomerLimit: 1 },
        ],
        { perCustomerLimit: 3 },
      );
      const claim = (tier: string) => next().redemptions.claim({ attemptId: attemptId('tier'), campaignId: campaign.id, customerId: 'tiered', tier, now: NOW });
      const results = await Promise.all([...Array.from({ length: 4 }, () => claim('premium')), ...Array.from({ length: 4 }, () => claim('standard'))]);
      const won = results.filter((r) => r.outcome === 'claimed');
      for (const r of results) expect(['claimed', 'customer_limit_reached']).toContain(r.outcome);
      expect(won.filter((r) => r.tier === 'premium').length).toBeLessThanOrEqual(1);
      // Exactly the campaign limit: a tier that says no must not keep the customer's campaign slots busy.
      expect(won).toHaveLength(3);
      const counts = await ctx.store().codes.counts(campaign.id);
      expect(counts.standard!.redeemed + counts.premium!.redeemed).toBe(3);
      expect(counts.premium!.redeemed).toBeLessThanOrEqual(1);
      // Sequentially afterwards: nothing more in any tier.
      expect((await claim('premium')).outcome).toBe('customer_limit_reached');
      expect((await claim('standard')).outcome).toBe('customer_limit_reached');
    });

    it('an attempt id reused with another payload answers the first result and changes nothing', async () => {
      const store = ctx.store();
      const stores = ctx.stores();
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 2 }]);
      const [first, second] = codes.standard as [string, string];
      const id = attemptId('reuse');
      const r1 = await store.redemptions.redeem({ attemptId: id, campaignId: campaign.id, code: first, customerId: 'once', now: NOW });
      expect(r1.outcome).toBe('redeemed');
      const again = await stores[1 % stores.length]!.redemptions.redeem({ attemptId: id, campaignId: campaign.id, code: second, customerId: 'other', now: NOW });
      expect(again).toEqual(r1);
      // Even as another kind of attempt.
      const asClaim = await store.redemptions.claim({ attemptId: id, campaignId: campaign.id, customerId: 'third', now: NOW });
      expect(asClaim).toEqual(r1);
      expect((await store.codes.get(campaign.id, second))!.state).toBe('available');
      expect(await store.redemptions.getAttempt(id)).toEqual(r1);
      expect(await store.redemptions.getAttempt(attemptId('never'))).toBeNull();
      const x1 = await store.redemptions.claim({ attemptId: attemptId('x'), campaignId: campaign.id, customerId: 'x1', now: NOW });
      expect(x1.outcome).toBe('claimed');
      const soldOut = await store.redemptions.claim({ attemptId: attemptId('x'), campaignId: campaign.id, customerId: 'x2', now: NOW });
      expect(soldOut).toMatchObject({ outcome: 'sold_out', code: null });
      expect(isSuccessOutcome(soldOut.outcome)).toBe(false);
      expect(await store.redemptions.outcomeCounts(campaign.id)).toEqual({ redeemed: 1, claimed: 1, sold_out: 1 });
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(2);
    });

    it('rollbacks racing redemptions of the same codes: every code, quota and count stays consistent', async () => {
      const store = ctx.store();
      const next = roundRobin(ctx.stores());
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 24 }]);
      const racing = codes.standard!.slice(0, 12);
      const spare = codes.standard!.slice(12);
      for (const [i, code] of racing.entries()) {
        expect((await store.redemptions.redeem({ attemptId: attemptId('rb0'), campaignId: campaign.id, code, customerId: `first${i}`, now: NOW })).outcome).toBe('redeemed');
      }
      // Each code: one rollback, and three newcomers trying to redeem it at the same time.
      const rollbacks = racing.map((code) => next().codes.rollback({ campaignId: campaign.id, code, to: 'available', now: NOW }));
      const redeems = racing.flatMap((code, i) =>
        [0, 1, 2].map((k) =>
          next().redemptions.redeem({ attemptId: attemptId('rb1'), campaignId: campaign.id, code, customerId: `second${i}_${k}`, now: NOW }),
        ),
      );
      const [rolled, results] = await Promise.all([Promise.all(rollbacks), Promise.all(redeems)]);
      // A newcomer can only get a code once its first redemption is rolled back, so every rollback hit that one.
      expect(rolled.every((r) => r)).toBe(true);
      for (const r of results) expect(['redeemed', 'code_already_used']).toContain(r.outcome);
      const won = results.filter((r) => r.outcome === 'redeemed');
      expect(Object.values(countBy(won, (r) => r.code!)).every((n) => n === 1)).toBe(true);
      const stored = await store.codes.list({ campaignId: campaign.id, limit: 100 });
      for (const code of racing) {
        const rec = stored.find((c) => c.code === code)!;
        const winner = won.find((r) => r.code === code);
        if (winner) expect(rec).toMatchObject({ state: 'redeemed', customerId: winner.customerId, attemptId: winner.attemptId });
        else expect(rec).toMatchObject({ state: 'available', customerId: null, attemptId: null });
      }
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(won.length);
      // Every first customer got their quota back with the rollback.
      for (const [i, code] of spare.entries()) {
        const again = await store.redemptions.redeem({ attemptId: attemptId('rb2'), campaignId: campaign.id, code, customerId: `first${i}`, now: NOW });
        expect(again.outcome).toBe('redeemed');
      }
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(won.length + spare.length);
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
    });

    it('a publication racing redemptions never shares a code and stays all-or-nothing', async () => {
      const store = ctx.store();
      const next = roundRobin(ctx.stores());
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 30 }]);
      // Walk-ins race for 20 of the 30 codes, so at least 10 stay available: the publication of 10 must succeed.
      const raced = codes.standard!.slice(0, 20);
      const publication = next().codes.publish({ campaignId: campaign.id, tier: 'standard', count: 10, publicationId: `pub_${attemptId('race')}`, customerId: 'vip', now: NOW });
      const redeems = raced.map((code, i) =>
        next().redemptions.redeem({ attemptId: attemptId('pubr'), campaignId: campaign.id, code, customerId: `walkin${i}`, now: NOW }),
      );
      const [pub, results] = await Promise.all([publication, Promise.all(redeems)]);
      for (const r of results) expect(['redeemed', 'code_not_found']).toContain(r.outcome);
      const redeemed = new Set(results.filter((r) => r.outcome === 'redeemed').map((r) => r.code!));
      const stored = await store.codes.list({ campaignId: campaign.id, limit: 100 });
      const published = stored.filter((c) => c.state === 'published');
      expect(pub.codes).toHaveLength(10);
      expect(published.map((c) => c.code).sort()).toEqual([...pub.codes].sort());
      for (const code of pub.codes) expect(redeemed.has(code)).toBe(false);
      // A walk-in lost a code only to the publication (code_not_found: published to someone else).
      const lost = raced.filter((code) => !redeemed.has(code));
      for (const code of lost) expect(pub.codes).toContain(code);
      for (const c of stored) {
        if (c.state === 'redeemed') expect(redeemed.has(c.code)).toBe(true);
        else expect(['available', 'published']).toContain(c.state);
      }
      expect(stored.filter((c) => c.state === 'redeemed')).toHaveLength(redeemed.size);
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(redeemed.size);
      // The published codes went to vip alone.
      const code = pub.codes[0]!;
      expect((await store.redemptions.redeem({ attemptId: attemptId('pubv'), campaignId: campaign.id, code, customerId: 'stranger', now: NOW })).outcome).toBe('code_not_found');
      expect((await store.redemptions.redeem({ attemptId: attemptId('pubv'), campaignId: campaign.id, code, customerId: 'vip', now: NOW })).outcome).toBe('redeemed');
    });
  });
}
