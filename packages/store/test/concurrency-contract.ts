import { isSuccessOutcome, type AttemptResult } from '@dropgate/core';
import type { ContractContext } from './context';
import { attemptId, countBy, createCampaignWithCodes, NOW, roundRobin } from './fixtures';
import { INTACT } from './harness';

/** The promises that must hold under real parallelism: several store instances, many calls in flight. */
export function concurrencyContract(ctx: ContractContext): void {
  describe('under concurrency', () => {
    it('200 customers racing for ONE code: exactly one wins', async () => {
      const next = roundRobin(ctx.stores());
      const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 5 }]);
      const code = codes.standard![0]!;
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          next().redemptions.redeem({ attemptId: attemptId('race'), campaignId: campaign.id, code, customerId: `cust${i}`, now: NOW }),
        ),
      );
      const byOutcome = countBy(results, (r) => r.outcome);
      expect(byOutcome).toEqual({ redeemed: 1, code_already_used: 199 });
      const winner = results.find((r) => r.outcome === 'redeemed')!;
      expect(await ctx.store().codes.get(campaign.id, code)).toMatchObject({ state: 'redeemed', customerId: winner.customerId, attemptId: winner.attemptId });
      expect((await ctx.store().campaigns.get(campaign.id))!.redeemedCount).toBe(1);
    });

    it('2,000 claims from 1,500 customers for 500 codes: 500 distinct codes, nobody over the limit', async () => {
      const next = roundRobin(ctx.stores());
      const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 500 }]);
      // customers 0..999 call once, 1000..1499 call twice
      const customers = Array.from({ length: 2000 }, (_, i) => `cl${i < 1000 ? i : 1000 + ((i - 1000) % 500)}`);
      const results: AttemptResult[] = await Promise.all(
        customers.map((customerId) =>
          next().redemptions.claim({ attemptId: attemptId('claim'), campaignId: campaign.id, tier: 'standard', customerId, now: NOW }),
        ),
      );
      const won = results.filter((r) => r.outcome === 'claimed');
      expect(won).toHaveLength(500);
      expect(new Set(won.map((r) => r.code)).size).toBe(500);
      for (const r of won) expect(codes.standard).toContain(r.code);
      const perCustomer = countBy(won, (r) => r.customerId);
      expect(Math.max(...Object.values(perCustomer))).toBe(1);
      // A customer who called once gets a code or sold out; customer_limit_reached only for one who already holds a code.
      for (const [i, r] of results.entries()) {
        if (i < 1000) expect(['claimed', 'sold_out']).toContain(r.outcome);
        else expect(['claimed', 'sold_out', 'customer_limit_reached']).toContain(r.outcome);
        if (r.outcome === 'customer_limit_reached') expect(perCustomer[r.customerId]).toBe(1);
      }
      // Cross-check with what the database holds, not with our bookkeeping.
      const stored = await ctx.store().codes.list({ campaignId: campaign.id, limit: 1000 });
      expect(stored.filter((c) => c.state === 'redeemed')).toHaveLength(500);
      const owners = stored.map((c) => c.customerId);
      expect(new Set(owners).size).toBe(500);
      for (const r of won) expect(stored.find((c) => c.code === r.code)!.attemptId).toBe(r.attemptId);
      expect((await ctx.store().campaigns.get(campaign.id))!.redeemedCount).toBe(500);
      const counts = await ctx.store().redemptions.outcomeCounts(campaign.id);
      expect(counts.claimed).toBe(500);
      expect(Object.values(counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(2000);
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
    });

    it('publishing and locking by count while claims and redeems take codes of the same tier: never a taken code, never short while enough remain', async () => {
      const next = roundRobin(ctx.stores());
      const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 120 }]);
      const targeted = codes.standard!.slice(0, 20);
      // Asked by count: 50 claims + 3 publications of 10 + 2 locks of 10 = 100, and at most 20 codes go to the
      // redeems, so every one of them must get its codes whatever the interleaving.
      const claims = Array.from({ length: 50 }, (_, i) =>
        next().redemptions.claim({ attemptId: attemptId('pc'), campaignId: campaign.id, customerId: `pc${i}`, now: NOW }),
      );
      const redeems = targeted.map((code, i) =>
        next().redemptions.redeem({ attemptId: attemptId('pr'), campaignId: campaign.id, code, customerId: `pr${i}`, now: NOW }),
      );
      // Published to one customer each: a code they got can no longer be redeemed by anybody else.
      const publications = Array.from({ length: 3 }, (_, i) =>
        next().codes.publish({ campaignId: campaign.id, tier: 'standard', count: 10, publicationId: `pub_race_${i}_${campaign.id}`, customerId: `vip${i}`, now: NOW }),
      );
      const locks = Array.from({ length: 2 }, (_, i) => next().codes.lockAvailable({ campaignId: campaign.id, tier: 'standard', count: 10, reason: `race ${i}` }));
      const [claimed, redeemed, published, locked] = await Promise.all([Promise.all(claims), Promise.all(redeems), Promise.all(publications), Promise.all(locks)]);

      expect(claimed.map((r) => r.outcome)).toEqual(Array(50).fill('claimed'));
      for (const p of published) expect(p.codes).toHaveLength(10);
      for (const l of locked) expect(l).toHaveLength(10);
      const owner = new Map<string, string>();
      const give = (code: string, to: string) => {
        expect(owner.get(code)).toBeUndefined(); // no code twice
        owner.set(code, to);
      };
      for (const r of claimed) give(r.code!, `claim ${r.attemptId}`);
      for (const p of published) for (const code of p.codes) give(code, `publication ${p.publicationId}`);
      for (const [i, l] of locked.entries()) for (const code of l) give(code, `lock ${i}`);
      for (const [i, r] of redeemed.entries()) {
        const code = targeted[i]!;
        if (r.outcome === 'redeemed') give(code, `redeem ${r.attemptId}`);
        else {
          // Refused only because one of the others took the code first, and told so by what it is now.
          expect(['code_already_used', 'code_not_found', 'code_locked']).toContain(r.outcome);
          expect(owner.get(code)).toMatch(r.outcome === 'code_already_used' ? /^claim / : r.outcome === 'code_locked' ? /^lock / : /^publication /);
        }
      }
      // The database agrees with every answer.
      const stored = new Map((await ctx.store().codes.list({ campaignId: campaign.id, limit: 1000 })).map((c) => [c.code, c]));
      for (const [code, to] of owner) {
        const rec = stored.get(code)!;
        if (to.startsWith('claim ') || to.startsWith('redeem ')) expect(rec).toMatchObject({ state: 'redeemed', attemptId: to.split(' ')[1] });
        else if (to.startsWith('publication ')) expect(rec).toMatchObject({ state: 'published', publicationId: to.split(' ')[1] });
        else expect(rec.state).toBe('locked');
      }
      const counts = (await ctx.store().codes.counts(campaign.id)).standard!;
      expect(counts).toMatchObject({ redeemed: 50 + redeemed.filter((r) => r.outcome === 'redeemed').length, published: 30, locked: 20 });
      expect(counts.available).toBe(120 - owner.size);
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
    });

    it('the same attempt delivered 10 times at once: one code, one outcome', async () => {
      const stores = ctx.stores();
      const { campaign } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 20 }], { perCustomerLimit: 5 });
      const id = attemptId('dup');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stores[i % stores.length]!.redemptions.claim({ attemptId: id, campaignId: campaign.id, customerId: 'dup-customer', now: NOW }),
        ),
      );
      expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['claimed']));
      expect(new Set(results.map((r) => r.code)).size).toBe(1);
      for (const r of results) expect(r).toEqual(results[0]);
      const counts = await ctx.store().codes.counts(campaign.id);
      expect(counts.standard!.redeemed).toBe(1);
      expect((await ctx.store().campaigns.get(campaign.id))!.redeemedCount).toBe(1);
      // Who holds the code, in the database: this attempt, for this customer.
      expect(await ctx.store().codes.get(campaign.id, results[0]!.code!)).toMatchObject({ state: 'redeemed', attemptId: id, customerId: 'dup-customer' });
      // The quota holds ONE unit for it (quotaDrift 0), so 4 of the customer's 5 remain.
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
      const more = [];
      for (let i = 0; i < 5; i++) more.push((await ctx.store().redemptions.claim({ attemptId: attemptId('dupmore'), campaignId: campaign.id, customerId: 'dup-customer', now: NOW })).outcome);
      expect(more).toEqual(['claimed', 'claimed', 'claimed', 'claimed', 'customer_limit_reached']);
      // A later redelivery still answers the same.
      const late = await ctx.store().redemptions.claim({ attemptId: id, campaignId: campaign.id, customerId: 'dup-customer', now: NOW });
      expect(late).toEqual(results[0]);
    });

    it('the same redeem attempt delivered 10 times at once answers the same', async () => {
      const stores = ctx.stores();
      const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 3 }]);
      const id = attemptId('dupr');
      const code = codes.standard![0]!;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stores[i % stores.length]!.redemptions.redeem({ attemptId: id, campaignId: campaign.id, code, customerId: 'r-customer', now: NOW }),
        ),
      );
      expect(results.map((r) => r.outcome)).toEqual(Array(10).fill('redeemed'));
      for (const r of results) expect(r).toEqual(results[0]);
      expect(await ctx.store().codes.get(campaign.id, code)).toMatchObject({ state: 'redeemed', attemptId: id, customerId: 'r-customer' });
      expect((await ctx.store().campaigns.get(campaign.id))!.redeemedCount).toBe(1);
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
    });

    it('reaching the target stops the campaign: never more successes than the target', async () => {
      const next = roundRobin(ctx.stores());
      const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 60 }], { target: 25 });
      const half = codes.standard!.slice(0, 30);
      const results = await Promise.all([
        ...Array.from({ length: 30 }, (_, i) =>
          next().redemptions.claim({ attemptId: attemptId('tc'), campaignId: campaign.id, customerId: `tc${i}`, now: NOW }),
        ),
        ...half.map((code, i) =>
          next().redemptions.redeem({ attemptId: attemptId('tr'), campaignId: campaign.id, code, customerId: `tr${i}`, now: NOW }),
        ),
      ]);
      const successes = results.filter((r) => isSuccessOutcome(r.outcome));
      expect(successes).toHaveLength(25);
      // A campaign stopped by its target answers sold_out (never campaign_not_active); a redeem may also find its
      // code taken — by a successful claim.
      const claimedCodes = new Set(successes.filter((r) => r.kind === 'claim').map((r) => r.code));
      for (const r of results.filter((x) => !isSuccessOutcome(x.outcome))) {
        if (r.kind === 'claim') expect(r.outcome).toBe('sold_out');
        else expect(['sold_out', 'code_already_used']).toContain(r.outcome);
      }
      for (const [i, r] of results.slice(30).entries()) if (r.outcome === 'code_already_used') expect(claimedCodes.has(half[i]!)).toBe(true);
      const after = await ctx.store().campaigns.get(campaign.id);
      expect(after).toMatchObject({ status: 'stopped', stopReason: 'target_reached', redeemedCount: 25 });
      expect((await ctx.store().codes.counts(campaign.id)).standard!.redeemed).toBe(25);
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
      const late = await ctx.store().redemptions.claim({ attemptId: attemptId(), campaignId: campaign.id, customerId: 'late', now: NOW });
      expect(late).toMatchObject({ outcome: 'sold_out', code: null });
    });
  });
}
