import type { AuditEntry } from '../src/store';
import type { ContractContext } from './context';
import { attemptId, createCampaignWithCodes, expectStoreError, HOUR, NOW } from './fixtures';

const oneTier = [{ name: 'standard', reward: 't-shirt', quantity: 10 }];

/** Newest first: time descending, then id descending (as text). */
function isNewestFirst(entries: AuditEntry[]): boolean {
  return entries.every((e, i) => i === 0 || entries[i - 1]!.at > e.at || (entries[i - 1]!.at.getTime() === e.at.getTime() && entries[i - 1]!.id > e.id));
}

export function auditContract(ctx: ContractContext): void {
  describe('audit log', () => {
    it('records admin actions (who, what, when, campaign, details) and reads them back newest first', async () => {
      const store = ctx.store();
      const { campaign } = await createCampaignWithCodes(store, oneTier);
      const before = Date.now();
      const first = await store.audit.record({ actor: 'ops', action: 'createCampaign', campaignId: campaign.id, details: { tiers: 1 } });
      const second = await store.audit.record({ actor: 'support', action: 'rollbackCode', campaignId: campaign.id, customerId: 'alice', code: 'DG-1', details: { to: 'available' } });
      expect(first).toMatchObject({ kind: 'admin', actor: 'ops', action: 'createCampaign', campaignId: campaign.id, customerId: null, code: null, details: { tiers: 1 } });
      expect(first.at.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      const page = await store.audit.query({ campaignId: campaign.id, limit: 10 });
      expect(page.entries.map((e) => e.id)).toEqual([second.id, first.id]);
      expect(page.entries[0]).toEqual(second);
      expect(page.next).toBeNull();
    });

    it('shows every recorded redemption outcome of a campaign, without anything written for it', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier);
      const [code] = codes.standard as [string];
      const won = await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId: 'alice', now: NOW });
      const lost = await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId: 'bob', now: new Date(NOW.getTime() + 1000) });
      const claimed = await store.redemptions.claim({ attemptId: attemptId(), campaignId: campaign.id, customerId: 'carol', now: new Date(NOW.getTime() + 2000) });
      const { entries } = await store.audit.query({ campaignId: campaign.id, limit: 10 });
      expect(entries.map((e) => [e.kind, e.action, e.customerId])).toEqual([
        ['redemption', 'claimed', 'carol'],
        ['redemption', 'code_already_used', 'bob'],
        ['redemption', 'redeemed', 'alice'],
      ]);
      expect(entries[2]).toMatchObject({ actor: null, code, at: won.finishedAt, details: { attemptId: won.attemptId, kind: 'redeem', tier: 'standard', reward: 't-shirt' } });
      expect(entries[1]!.details).toMatchObject({ attemptId: lost.attemptId });
      expect(entries[0]!.code).toBe(claimed.code);
    });

    it("shows a rolled-back outcome's rolledBackAt as an ISO 8601 string (what JSON clients see), null before", async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier);
      const [code] = codes.standard as [string];
      const won = await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId: 'frank', now: NOW });
      const detailsOf = async () => (await store.audit.query({ campaignId: campaign.id, limit: 10 })).entries.find((e) => e.id === `r:${won.attemptId}`)!.details;
      expect((await detailsOf())!.rolledBackAt).toBeNull();
      const rolledBackAt = new Date(NOW.getTime() + 90_061); // milliseconds included
      expect(await store.codes.rollback({ campaignId: campaign.id, code, to: 'available', now: rolledBackAt })).toBe(true);
      expect((await detailsOf())!.rolledBackAt).toBe(rolledBackAt.toISOString());
    });

    it('filters by customer and by code, across admin actions and outcomes', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, oneTier);
      const [a, b] = codes.standard as [string, string];
      await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code: a, customerId: 'dora', now: NOW });
      await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code: b, customerId: 'eve', now: NOW });
      await store.audit.record({ actor: 'support', action: 'rollbackCode', campaignId: campaign.id, customerId: 'dora', code: a });
      const byCustomer = await store.audit.query({ campaignId: campaign.id, customerId: 'dora', limit: 10 });
      expect(byCustomer.entries.map((e) => `${e.kind}:${e.action}`)).toEqual(['admin:rollbackCode', 'redemption:redeemed']);
      const byCode = await store.audit.query({ code: b, limit: 10 });
      expect(byCode.entries.map((e) => [e.customerId, e.code])).toEqual([['eve', b]]);
      expect((await store.audit.query({ campaignId: campaign.id, customerId: 'nobody', limit: 10 })).entries).toEqual([]);
    });

    it('pages with a keyset cursor: every entry exactly once, in order, same times included', async () => {
      const store = ctx.store();
      const { campaign, codes } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 12 }]);
      // Outcomes sharing one time (ties broken by id), at other times, and admin actions in between.
      for (const [i, code] of (codes.standard as string[]).slice(0, 8).entries()) {
        await store.redemptions.redeem({ attemptId: attemptId(), campaignId: campaign.id, code, customerId: `c${i}`, now: new Date(NOW.getTime() + (i < 5 ? 0 : i * HOUR)) });
      }
      for (let i = 0; i < 5; i++) await store.audit.record({ actor: 'ops', action: `step${i}`, campaignId: campaign.id });
      const all = (await store.audit.query({ campaignId: campaign.id, limit: 100 })).entries;
      expect(all).toHaveLength(13);
      expect(isNewestFirst(all)).toBe(true);
      const paged: AuditEntry[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await store.audit.query({ campaignId: campaign.id, limit: 3, after });
        expect(page.entries.length).toBeLessThanOrEqual(3);
        paged.push(...page.entries);
        if (page.next === null) break;
        after = page.next;
      }
      expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    });

    it('refuses a cursor it did not make (invalid_request)', async () => {
      const store = ctx.store();
      await expectStoreError(store.audit.query({ limit: 5, after: 'not-a-cursor' }), 'invalid_request');
      await expectStoreError(store.audit.query({ limit: 5, after: Buffer.from('{"$gt":""}').toString('base64url') }), 'invalid_request');
    });
  });
}
