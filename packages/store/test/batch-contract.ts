import { isSuccessOutcome, type AttemptResult } from '@dropgate/core';
import type { AttemptRequest, Store } from '../src/store';
import type { ContractContext } from './context';
import { attemptId, countBy, createCampaignWithCodes, NOW } from './fixtures';
import { INTACT } from './harness';

/**
 * What a caller does (the worker's batcher): one processMany call, or — when the batch fails as a whole, which an
 * adapter may do under lock contention — every request on its own (idempotent by attempt id). Only a contention
 * error may cause the fallback: any other failure of the batch fails the test.
 */
async function processManyOrOneByOne(ctx: ContractContext, store: Store, reqs: AttemptRequest[]): Promise<AttemptResult[]> {
  try {
    return await store.redemptions.processMany(reqs);
  } catch (err) {
    if (!ctx.isContention(err)) throw err;
    return Promise.all(reqs.map((r) => (r.kind === 'redeem' ? store.redemptions.redeem(r) : store.redemptions.claim(r))));
  }
}

/** processMany: the same results and idempotency as calling redeem/claim one by one. */
export function batchContract(ctx: ContractContext): void {
  describe('processMany (batches of attempts)', () => {
    it('answers each request as redeem/claim would, in request order', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [
        { name: 'standard', reward: 't-shirt', quantity: 3 },
        { name: 'premium', reward: 'deck', quantity: 1 },
      ]);
      const [a, b] = codes.standard as [string, string, string];
      const id = campaign.id;
      const reqs: AttemptRequest[] = [
        { kind: 'redeem', attemptId: attemptId('b'), campaignId: id, code: a, customerId: 'r1', now: NOW },
        { kind: 'claim', attemptId: attemptId('b'), campaignId: id, tier: 'premium', customerId: 'c1', now: NOW },
        { kind: 'redeem', attemptId: attemptId('b'), campaignId: id, code: a, customerId: 'r2', now: NOW },
        { kind: 'redeem', attemptId: attemptId('b'), campaignId: id, code: 'DG-NOPE', customerId: 'r3', now: NOW },
        { kind: 'claim', attemptId: attemptId('b'), campaignId: id, tier: 'premium', customerId: 'c2', now: NOW },
        { kind: 'claim', attemptId: attemptId('b'), campaignId: id, tier: 'nope', customerId: 'c3', now: NOW },
        { kind: 'redeem', attemptId: attemptId('b'), campaignId: id, code: b, customerId: 'r4', now: NOW },
        { kind: 'claim', attemptId: attemptId('b'), campaignId: 'no-such-campaign', customerId: 'c4', now: NOW },
      ];
      const results = await store.redemptions.processMany(reqs);
      expect(results.map((r) => r.attemptId)).toEqual(reqs.map((r) => r.attemptId));
      expect(results.map((r) => r.kind)).toEqual(reqs.map((r) => r.kind));
      // The order inside a batch is unspecified (like concurrent calls): one of r1/r2 gets code a, one of c1/c2 the
      // premium code.
      const [ra1, c1, ra2, missing, c2, badTier, rb1, noCampaign] = results as [AttemptResult, AttemptResult, AttemptResult, AttemptResult, AttemptResult, AttemptResult, AttemptResult, AttemptResult];
      expect([ra1.outcome, ra2.outcome].sort()).toEqual(['code_already_used', 'redeemed']);
      expect([c1.outcome, c2.outcome].sort()).toEqual(['claimed', 'sold_out']);
      expect(missing.outcome).toBe('code_not_found');
      expect(badTier.outcome).toBe('code_not_found');
      expect(noCampaign.outcome).toBe('campaign_not_active');
      const winnerA = ra1.outcome === 'redeemed' ? ra1 : ra2;
      expect(winnerA).toMatchObject({ code: a, tier: 'standard', reward: 't-shirt' });
      expect(rb1).toMatchObject({ outcome: 'redeemed', code: b, customerId: 'r4' });
      expect(c1.outcome === 'claimed' ? c1 : c2).toMatchObject({ code: codes.premium![0], tier: 'premium', reward: 'deck' });
      // Recorded: every later delivery answers the same.
      for (const [i, req] of reqs.entries()) expect(await store.redemptions.getAttempt(req.attemptId)).toEqual(results[i]);
      expect(await store.redemptions.processMany([])).toEqual([]);
    });

    it('decides redeems of one code, and claims, first come first served (by acceptance time, whatever the customer ids)', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [
        { name: 'standard', reward: 't-shirt', quantity: 1 },
        { name: 'premium', reward: 'deck', quantity: 1 },
      ]);
      const at = (ms: number) => new Date(NOW.getTime() + ms);
      const code = codes.standard![0]!;
      // The later customer ids sort first, and come first in the request list: acceptance time alone decides.
      const reqs: AttemptRequest[] = [
        { kind: 'redeem', attemptId: attemptId('late'), campaignId: campaign.id, code, customerId: 'aaa-late', now: at(30) },
        { kind: 'claim', attemptId: attemptId('late'), campaignId: campaign.id, tier: 'premium', customerId: 'aaa-late-claim', now: at(30) },
        { kind: 'redeem', attemptId: attemptId('early'), campaignId: campaign.id, code, customerId: 'zzz-early', now: at(10) },
        { kind: 'claim', attemptId: attemptId('early'), campaignId: campaign.id, tier: 'premium', customerId: 'zzz-early-claim', now: at(10) },
      ];
      const results = await store.redemptions.processMany(reqs);
      expect(results.map((r) => [r.customerId, r.outcome])).toEqual([
        ['aaa-late', 'code_already_used'],
        ['aaa-late-claim', 'sold_out'],
        ['zzz-early', 'redeemed'],
        ['zzz-early-claim', 'claimed'],
      ]);
    });

    it('an attempt id twice in one batch, or already recorded, is recorded once and answers the same', async () => {
      const store = ctx.store();
      const { campaign } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 5 }], { perCustomerLimit: 3 });
      const twice = attemptId('twice');
      const claim = (id: string, customerId = 'dup'): AttemptRequest => ({ kind: 'claim', attemptId: id, campaignId: campaign.id, customerId, now: NOW });
      const earlier = await store.redemptions.claim({ attemptId: attemptId('early'), campaignId: campaign.id, customerId: 'dup', now: NOW });
      const results = await store.redemptions.processMany([claim(twice), claim(earlier.attemptId), claim(twice)]);
      expect(results[0]!.outcome).toBe('claimed');
      expect(results[2]).toEqual(results[0]);
      expect(results[1]).toEqual(earlier);
      // A redelivery of the same ids, single or batched, answers the recorded results.
      expect(await store.redemptions.claim({ attemptId: twice, campaignId: campaign.id, customerId: 'dup', now: NOW })).toEqual(results[0]);
      expect(await store.redemptions.processMany([claim(twice), claim(twice)])).toEqual([results[0], results[0]]);
      // One code per attempt: the customer holds 2 codes (earlier + twice), not 3.
      expect((await store.codes.counts(campaign.id)).standard!.redeemed).toBe(2);
      expect((await store.campaigns.get(campaign.id))!.redeemedCount).toBe(2);
    });

    it('concurrent batches competing for the last codes never assign one twice', async () => {
      const stores = ctx.stores();
      const { campaign, codes } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 12 }], { target: 10 });
      const all = codes.standard!;
      // Each store sends batches mixing claims and redeems of the same codes (in different orders) for distinct
      // customers: more attempts than codes, and more codes than the target.
      let n = 0;
      const batchesRequests = new Map<string, AttemptRequest>();
      const batches = stores.flatMap((s, si) =>
        [0, 1].map(() => {
          const order = si % 2 === 0 ? all : [...all].reverse();
          const reqs: AttemptRequest[] = Array.from({ length: 6 }, (_, i): AttemptRequest => {
            n++;
            return i % 2 === 0
              ? { kind: 'claim', attemptId: attemptId('race'), campaignId: campaign.id, customerId: `race${n}`, now: NOW }
              : { kind: 'redeem', attemptId: attemptId('race'), campaignId: campaign.id, code: order[(i + n) % order.length]!, customerId: `race${n}`, now: NOW };
          });
          for (const r of reqs) batchesRequests.set(r.attemptId, r);
          return processManyOrOneByOne(ctx, s, reqs);
        }),
      );
      const results: AttemptResult[] = (await Promise.all(batches)).flat();
      const won = results.filter((r) => isSuccessOutcome(r.outcome));
      expect(won).toHaveLength(10);
      expect(new Set(won.map((r) => r.code)).size).toBe(10);
      // Claims: a code or sold out (the target). Redeems: the code, sold out, or already used — only if a winner holds it.
      for (const r of results.filter((x) => x.kind === 'claim')) expect(['claimed', 'sold_out']).toContain(r.outcome);
      for (const r of results.filter((x) => x.kind === 'redeem')) expect(['redeemed', 'sold_out', 'code_already_used']).toContain(r.outcome);
      const redeemedCodes = await ctx.store().codes.list({ campaignId: campaign.id, state: 'redeemed', limit: 100 });
      const taken = new Set(redeemedCodes.map((c) => c.code));
      for (const r of results.filter((x) => x.outcome === 'code_already_used')) {
        const req = batchesRequests.get(r.attemptId);
        expect(req?.kind === 'redeem' && taken.has(req.code)).toBe(true);
      }
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
      expect(countBy(won, (r) => r.customerId)).toEqual(Object.fromEntries(won.map((r) => [r.customerId, 1])));
      expect(await ctx.store().campaigns.get(campaign.id)).toMatchObject({ redeemedCount: 10, status: 'stopped', stopReason: 'target_reached' });
      expect((await ctx.store().codes.counts(campaign.id)).standard!.redeemed).toBe(10);
    });

    it('concurrent batches on a campaign with a target each succeed in one call and count exactly to the target', async () => {
      // Batches count their successes once, at their end: they never queue on the campaign's count, so none of them
      // fails for contention (each is ONE processMany call here, no fallback), and the target holds exactly.
      const stores = ctx.stores();
      const { campaign } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 300 }], { target: 150 });
      let n = 0;
      const batches = stores.flatMap((s) =>
        [0, 1, 2].map(() =>
          s.redemptions.processMany(
            Array.from({ length: 16 }, (): AttemptRequest => ({ kind: 'claim', attemptId: attemptId('tb'), campaignId: campaign.id, customerId: `tb${n++}`, now: NOW })),
          ),
        ),
      );
      const results = (await Promise.all(batches)).flat();
      expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(150);
      expect(results.filter((r) => r.outcome === 'sold_out')).toHaveLength(results.length - 150);
      expect(await ctx.store().campaigns.get(campaign.id)).toMatchObject({ redeemedCount: 150, status: 'stopped', stopReason: 'target_reached' });
      expect((await ctx.store().codes.counts(campaign.id)).standard).toMatchObject({ redeemed: 150, available: 150 });
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
    });

    it('concurrent batches of claims for the last codes of a campaign without a target', async () => {
      const stores = ctx.stores();
      const { campaign } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 20 }]);
      let n = 0;
      const batches = stores.flatMap((s) =>
        [0, 1, 2].map(() =>
          processManyOrOneByOne(
            ctx,
            s,
            Array.from({ length: 8 }, (): AttemptRequest => ({ kind: 'claim', attemptId: attemptId('last'), campaignId: campaign.id, customerId: `last${n++}`, now: NOW })),
          ),
        ),
      );
      const results = (await Promise.all(batches)).flat();
      const claimed = results.filter((r) => r.outcome === 'claimed');
      expect(claimed).toHaveLength(20);
      expect(new Set(claimed.map((r) => r.code)).size).toBe(20);
      expect(results.filter((r) => r.outcome === 'sold_out')).toHaveLength(results.length - 20);
      expect((await ctx.store().campaigns.get(campaign.id))!.redeemedCount).toBe(20);
      expect(await ctx.integrity(campaign.id)).toEqual(INTACT);
    });
  });
}
