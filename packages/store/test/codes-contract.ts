import type { CodeState } from '@dropgate/core';
import type { ContractContext } from './context';
import { attemptId, createCampaignWithCodes, expectStoreError, HOUR, NOW } from './fixtures';

const zeroStates = (): Record<CodeState, number> => ({ available: 0, locked: 0, published: 0, redeemed: 0, disabled: 0 });

export function codesContract(ctx: ContractContext): void {
  describe('codes', () => {
    it('inserts in bulk and reports duplicates instead of failing the batch', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 50 }]);
      const again = await store.codes.insert(campaign.id, [
        { code: codes.standard![0]!, tier: 'standard' },
        { code: 'DG-NEWCODE234', tier: 'standard' },
        { code: codes.standard![1]!, tier: 'standard' },
      ]);
      expect(again.inserted).toBe(1);
      expect(again.duplicates.sort()).toEqual([codes.standard![0], codes.standard![1]].sort());
      expect((await store.codes.counts(campaign.id)).standard).toEqual({ ...zeroStates(), available: 51 });
      const rec = await store.codes.get(campaign.id, 'DG-NEWCODE234');
      expect(rec).toMatchObject({ campaignId: campaign.id, code: 'DG-NEWCODE234', tier: 'standard', state: 'available', customerId: null });
      expect(await store.codes.get(campaign.id, 'DG-NOPE')).toBeNull();
    });

    it('refuses to count the codes of a campaign that does not exist', async () => {
      await expectStoreError(ctx.store().codes.counts('cmp_missing_counts'), 'campaign_not_found');
    });

    it('counts every tier and state, with zeros', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [
        { name: 'standard', reward: 't-shirt', quantity: 6 },
        { name: 'premium', reward: 'skate deck', quantity: 3 },
      ]);
      await store.codes.disable(campaign.id, [codes.premium![0]!]);
      await store.codes.lock({ campaignId: campaign.id, codes: [codes.standard![0]!, codes.standard![1]!] });
      const r = await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code: codes.standard![2]!, customerId: 'c1', now: NOW });
      expect(r.outcome).toBe('redeemed');
      expect(await store.codes.counts(campaign.id)).toEqual({
        standard: { ...zeroStates(), available: 3, locked: 2, redeemed: 1 },
        premium: { ...zeroStates(), available: 2, disabled: 1 },
      });
    });

    it('lists codes by tier and state with keyset pagination', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [
        { name: 'standard', reward: 'x', quantity: 25 },
        { name: 'premium', reward: 'y', quantity: 5 },
      ]);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.codes.list({ campaignId: campaign.id, tier: 'standard', limit: 10, after });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(10);
        seen.push(...page.map((c) => c.code));
        after = page[page.length - 1]!.code;
      }
      expect(seen).toEqual([...codes.standard!].sort());
      await store.codes.disable(campaign.id, codes.premium!.slice(0, 2));
      const disabled = await store.codes.list({ campaignId: campaign.id, state: 'disabled', limit: 100 });
      expect(disabled.map((c) => c.code).sort()).toEqual(codes.premium!.slice(0, 2).sort());
    });

    it('locks and unlocks only where the state table allows', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 4 }]);
      const [a, b, c] = codes.standard as [string, string, string];
      await store.codes.disable(campaign.id, [c]);
      expect(await store.codes.lock({ campaignId: campaign.id, codes: [a, b, c] })).toBe(2);
      expect(await store.codes.lock({ campaignId: campaign.id, codes: [a] })).toBe(0);
      expect((await store.codes.get(campaign.id, a))!.state).toBe('locked');
      expect(await store.codes.unlock(campaign.id, [a, c])).toBe(1);
      expect((await store.codes.get(campaign.id, a))!.state).toBe('available');
      expect((await store.codes.get(campaign.id, c))!.state).toBe('disabled');
    });

    it('releases due locks and keeps the others', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 3 }]);
      const [due, later] = codes.standard as [string, string];
      await store.codes.lock({ campaignId: campaign.id, codes: [due], releaseAt: new Date(NOW.getTime() - 1000), reason: 'held for the encore' });
      await store.codes.lock({ campaignId: campaign.id, codes: [later], releaseAt: new Date(NOW.getTime() + HOUR), reason: 'held for the show' });
      expect(await store.codes.get(campaign.id, later)).toMatchObject({ lockReleaseAt: new Date(NOW.getTime() + HOUR), lockReason: 'held for the show' });
      // What it released, grouped (other tests' campaigns share the store: only this one's group is looked at).
      const released = (await store.codes.releaseDueLocks(NOW)).filter((r) => r.campaignId === campaign.id);
      expect(released).toEqual([{ campaignId: campaign.id, tier: 'standard', reason: 'held for the encore', released: 1 }]);
      expect(await store.codes.get(campaign.id, due)).toMatchObject({ state: 'available', lockReleaseAt: null, lockReason: null });
      expect((await store.codes.get(campaign.id, later))!.state).toBe('locked');
      expect((await store.codes.releaseDueLocks(NOW)).filter((r) => r.campaignId === campaign.id)).toEqual([]);
    });

    it('releases many due locks across several transactions (chunks), each code released and reported exactly once', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [
        { name: 'standard', reward: 'x', quantity: 12 },
        { name: 'premium', reward: 'y', quantity: 4 },
      ]);
      const { campaign: other, codes: otherCodes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 5 }]);
      const due = (ms: number) => new Date(NOW.getTime() - ms);
      const std = codes.standard!;
      await store.codes.lock({ campaignId: campaign.id, codes: std.slice(0, 7), releaseAt: due(1000), reason: 'held for the show' });
      await store.codes.lock({ campaignId: campaign.id, codes: std.slice(7, 11), releaseAt: due(5000) });
      await store.codes.lock({ campaignId: campaign.id, codes: [std[11]!], releaseAt: new Date(NOW.getTime() + HOUR), reason: 'held for the show' });
      await store.codes.lock({ campaignId: campaign.id, codes: codes.premium!, releaseAt: due(1) });
      await store.codes.lock({ campaignId: other.id, codes: otherCodes.standard!, releaseAt: due(2000), reason: 'encore' });
      // 20 due codes, 3 per transaction where an adapter releases in chunks.
      const tuned = await ctx.openTuned({ releaseDueLocksChunk: 3 });
      try {
        const ours = new Set([campaign.id, other.id]);
        const released = (await tuned.codes.releaseDueLocks(NOW)).filter((r) => ours.has(r.campaignId));
        expect(released).toEqual(
          [
            { campaignId: campaign.id, tier: 'premium', reason: null, released: 4 },
            { campaignId: campaign.id, tier: 'standard', reason: null, released: 4 },
            { campaignId: campaign.id, tier: 'standard', reason: 'held for the show', released: 7 },
            { campaignId: other.id, tier: 'standard', reason: 'encore', released: 5 },
          ].sort((a, b) => (a.campaignId < b.campaignId ? -1 : a.campaignId > b.campaignId ? 1 : 0)),
        );
        expect((await store.codes.counts(campaign.id)).standard).toEqual({ ...zeroStates(), available: 11, locked: 1 });
        expect((await store.codes.counts(campaign.id)).premium).toEqual({ ...zeroStates(), available: 4 });
        expect((await store.codes.counts(other.id)).standard).toEqual({ ...zeroStates(), available: 5 });
        expect((await tuned.codes.releaseDueLocks(NOW)).filter((r) => ours.has(r.campaignId))).toEqual([]);
      } finally {
        await tuned.close();
      }
    });

    it('does not report as released a due lock taken by a redemption before the sweep (the code was used, not released)', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 2 }]);
      const [taken, swept] = codes.standard as [string, string];
      await store.codes.lock({ campaignId: campaign.id, codes: [taken, swept], releaseAt: new Date(NOW.getTime() - 1000), reason: 'held for the show' });
      const r = await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code: taken, customerId: 'early-bird', now: NOW });
      expect(r.outcome).toBe('redeemed');
      expect((await store.codes.releaseDueLocks(NOW)).filter((g) => g.campaignId === campaign.id)).toEqual([
        { campaignId: campaign.id, tier: 'standard', reason: 'held for the show', released: 1 },
      ]);
      expect(await store.codes.get(campaign.id, taken)).toMatchObject({ state: 'redeemed', customerId: 'early-bird', lockReleaseAt: null });
    });

    it('publishes exactly N codes atomically, idempotently by publication id', async () => {
      const store = ctx.store();
      const { campaign } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 10 }]);
      const pub = await store.codes.publish({ campaignId: campaign.id, tier: 'standard', count: 4, publicationId: 'pub_web_1', channel: 'web', now: NOW });
      expect(pub.codes).toHaveLength(4);
      expect(new Set(pub.codes).size).toBe(4);
      expect(pub).toMatchObject({ publicationId: 'pub_web_1', campaignId: campaign.id, tier: 'standard', channel: 'web', customerId: null });
      const again = await store.codes.publish({ campaignId: campaign.id, tier: 'standard', count: 4, publicationId: 'pub_web_1', channel: 'web', now: NOW });
      expect(again.codes.sort()).toEqual([...pub.codes].sort());
      for (const code of pub.codes) {
        const rec = await store.codes.get(campaign.id, code);
        expect(rec!.state).toBe('published');
        expect(rec!.publicationId).toBe('pub_web_1');
      }
      // 6 left: asking for 7 publishes nothing at all.
      await expectStoreError(
        store.codes.publish({ campaignId: campaign.id, tier: 'standard', count: 7, publicationId: 'pub_web_2', now: NOW }),
        'not_enough_codes',
      );
      expect((await store.codes.counts(campaign.id)).standard).toEqual({ ...zeroStates(), available: 6, published: 4 });
    });

    it('publishes concurrently without sharing a code between publications', async () => {
      const stores = ctx.stores();
      const { campaign } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 40 }]);
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          stores[i % stores.length]!.codes.publish({ campaignId: campaign.id, tier: 'standard', count: 5, publicationId: `pub_c_${i}`, now: NOW }),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ codes: string[] }>).value);
      // Every publication is all-or-nothing: the ones that failed left no code behind, none is shared.
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(ok.length).toBeLessThanOrEqual(8);
      const all = ok.flatMap((p) => p.codes);
      expect(new Set(all).size).toBe(ok.length * 5);
      expect((await ctx.store().codes.counts(campaign.id)).standard!.published).toBe(ok.length * 5);
      // What is left can still be published in full.
      let next = 100;
      while ((await ctx.store().codes.counts(campaign.id)).standard!.available >= 5) {
        await ctx.store().codes.publish({ campaignId: campaign.id, tier: 'standard', count: 5, publicationId: `pub_c_${next++}`, now: NOW });
      }
      expect((await ctx.store().codes.counts(campaign.id)).standard!.published).toBe(40);
    });
    it('locks exactly N available codes of a tier, or none, with their release time', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [
        { name: 'standard', reward: 'x', quantity: 6 },
        { name: 'premium', reward: 'y', quantity: 2 },
      ]);
      await store.codes.disable(campaign.id, [codes.standard![0]!]);
      const releaseAt = new Date(NOW.getTime() + HOUR);
      const locked = await store.codes.lockAvailable({ campaignId: campaign.id, tier: 'standard', count: 3, releaseAt });
      expect(locked).toHaveLength(3);
      expect(new Set(locked).size).toBe(3);
      expect(locked).not.toContain(codes.standard![0]);
      for (const code of locked) expect(await store.codes.get(campaign.id, code)).toMatchObject({ tier: 'standard', state: 'locked', lockReleaseAt: releaseAt });
      // 2 left: asking for 3 locks nothing at all.
      await expectStoreError(store.codes.lockAvailable({ campaignId: campaign.id, tier: 'standard', count: 3 }), 'not_enough_codes');
      expect((await store.codes.counts(campaign.id)).standard).toEqual({ ...zeroStates(), available: 2, locked: 3, disabled: 1 });
      await expectStoreError(store.codes.lockAvailable({ campaignId: campaign.id, tier: 'gold', count: 1 }), 'unknown_tier');
      await expectStoreError(store.codes.lockAvailable({ campaignId: 'cmp_missing_lock', tier: 'standard', count: 1 }), 'campaign_not_found');
      // Without a release time the lock holds until released.
      const held = await store.codes.lockAvailable({ campaignId: campaign.id, tier: 'premium', count: 2 });
      expect((await store.codes.get(campaign.id, held[0]!))!.lockReleaseAt).toBeNull();
      expect((await store.codes.releaseDueLocks(new Date(NOW.getTime() + 2 * HOUR))).filter((r) => r.campaignId === campaign.id)).toEqual([
        { campaignId: campaign.id, tier: 'standard', reason: null, released: 3 },
      ]);
      expect((await store.codes.counts(campaign.id)).premium).toEqual({ ...zeroStates(), locked: 2 });
      expect((await store.codes.counts(campaign.id)).standard).toEqual({ ...zeroStates(), available: 5, disabled: 1 });
    });

    it("lists a campaign's locks by tier, release time and reason, the due ones left out", async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [
        { name: 'standard', reward: 'x', quantity: 8 },
        { name: 'premium', reward: 'y', quantity: 3 },
      ]);
      const [a, b, c, d, e] = codes.standard as [string, string, string, string, string];
      const show = new Date(NOW.getTime() + HOUR);
      const encore = new Date(NOW.getTime() + 2 * HOUR);
      expect(await store.codes.lock({ campaignId: campaign.id, codes: [a, b], releaseAt: show, reason: 'held for the show' })).toBe(2);
      await store.codes.lock({ campaignId: campaign.id, codes: [c], reason: 'fraud review' });
      await store.codes.lock({ campaignId: campaign.id, codes: [d] });
      await store.codes.lock({ campaignId: campaign.id, codes: [e], releaseAt: new Date(NOW.getTime() - 1000), reason: 'already due' });
      await store.codes.lockAvailable({ campaignId: campaign.id, tier: 'premium', count: 2, releaseAt: encore, reason: 'held for the encore' });
      expect(await store.codes.listLocks(campaign.id, NOW)).toEqual([
        { tier: 'standard', releaseAt: show, reason: 'held for the show', count: 2 },
        { tier: 'premium', releaseAt: encore, reason: 'held for the encore', count: 2 },
        { tier: 'standard', releaseAt: null, reason: null, count: 1 },
        { tier: 'standard', releaseAt: null, reason: 'fraud review', count: 1 },
      ]);
      expect(await store.codes.get(campaign.id, c)).toMatchObject({ state: 'locked', lockReason: 'fraud review' });
      // Unlocked, then locked again without a reason: the old reason is gone.
      await store.codes.unlock(campaign.id, [c]);
      expect((await store.codes.get(campaign.id, c))!.lockReason).toBeNull();
      await store.codes.lock({ campaignId: campaign.id, codes: [c] });
      expect((await store.codes.get(campaign.id, c))!.lockReason).toBeNull();
      expect((await store.codes.listLocks(campaign.id, NOW)).filter((g) => g.releaseAt === null)).toEqual([{ tier: 'standard', releaseAt: null, reason: null, count: 2 }]);
      expect(await store.codes.listLocks('cmp_missing_locks', NOW)).toEqual([]);
    });

    it('orders locks and released locks by tier and reason in code-point order (case, punctuation, digits, beyond U+FFFF)', async () => {
      const store = ctx.store();
      const tiers = ['gold', 'gold_2', 'gold-2', 'gold2', '9gold']; // tier names are lower case (core's rule)
      const reasons = ['review_2', '😀 hold', 'Review', 'review', '～ hold', 'review2', '_audit'];
      const { campaign, codes } = await createCampaignWithCodes(
        store,
        tiers.map((name) => ({ name, reward: 'x', quantity: name === 'gold' ? reasons.length + 1 : 2 })),
      );
      // Held by hand: every reason in tier gold, and one code without a reason.
      for (const [i, reason] of [...reasons, null].entries()) await store.codes.lock({ campaignId: campaign.id, codes: [codes.gold![i]!], reason });
      // Due: two codes of every other tier, one per reason differing only by case.
      const due = new Date(NOW.getTime() - 1000);
      for (const tier of tiers.filter((t) => t !== 'gold')) {
        await store.codes.lock({ campaignId: campaign.id, codes: [codes[tier]![0]!], releaseAt: due, reason: 'review' });
        await store.codes.lock({ campaignId: campaign.id, codes: [codes[tier]![1]!], releaseAt: due, reason: 'Review' });
      }
      // Byte order of UTF-8: '-' < '2' < 'R' < '_' < 'r'; U+FF5E < U+1F600 (JavaScript's '<' says otherwise).
      expect((await store.codes.listLocks(campaign.id, NOW)).map((g) => [g.tier, g.reason])).toEqual([
        ['gold', null],
        ['gold', 'Review'],
        ['gold', '_audit'],
        ['gold', 'review'],
        ['gold', 'review2'],
        ['gold', 'review_2'],
        ['gold', '～ hold'],
        ['gold', '😀 hold'],
      ]);
      expect((await store.codes.releaseDueLocks(NOW)).filter((r) => r.campaignId === campaign.id).map((r) => [r.tier, r.reason])).toEqual([
        ['9gold', 'Review'],
        ['9gold', 'review'],
        ['gold-2', 'Review'],
        ['gold-2', 'review'],
        ['gold2', 'Review'],
        ['gold2', 'review'],
        ['gold_2', 'Review'],
        ['gold_2', 'review'],
      ]);
    });

    it('locks concurrently without two callers taking one code', async () => {
      const stores = ctx.stores();
      const { campaign } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 30 }]);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => stores[i % stores.length]!.codes.lockAvailable({ campaignId: campaign.id, tier: 'standard', count: 4 })),
      );
      const ok = results.filter((r): r is PromiseFulfilledResult<string[]> => r.status === 'fulfilled').map((r) => r.value);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('not_enough_codes');
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(ok.length).toBeLessThanOrEqual(7);
      expect(new Set(ok.flat()).size).toBe(ok.length * 4);
      expect((await ctx.store().codes.counts(campaign.id)).standard!.locked).toBe(ok.length * 4);
    });

    it('lists a campaign\'s publications, newest first, up to a limit', async () => {
      const store = ctx.store();
      const { campaign } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 10 }]);
      const { campaign: other } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 2 }]);
      expect(await store.codes.listPublications({ campaignId: campaign.id, limit: 10 })).toEqual([]);
      const first = await store.codes.publish({ campaignId: campaign.id, tier: 'standard', count: 2, publicationId: `pub_l1_${campaign.id}`, channel: 'web', now: NOW });
      const second = await store.codes.publish({ campaignId: campaign.id, tier: 'standard', count: 3, publicationId: `pub_l2_${campaign.id}`, customerId: 'vip', now: new Date(NOW.getTime() + 1000) });
      await store.codes.publish({ campaignId: other.id, tier: 'standard', count: 1, publicationId: `pub_l3_${other.id}`, now: NOW });
      const listed = await store.codes.listPublications({ campaignId: campaign.id, limit: 10 });
      expect(listed).toEqual([second, first]);
      expect(listed[0]).toMatchObject({ channel: null, customerId: 'vip', tier: 'standard' });
      expect(listed[1]!.codes).toHaveLength(2);
      expect(await store.codes.listPublications({ campaignId: campaign.id, limit: 1 })).toEqual([second]);
      expect(await store.codes.listPublications({ campaignId: 'cmp_missing_pubs', limit: 5 })).toEqual([]);
    });
  });
}
