import { resolveCodeSpec } from '@dropgate/core';
import type { ContractContext } from './context';
import { createCampaignWithCodes, expectStoreError } from './fixtures';

export function campaignContract(ctx: ContractContext): void {
  describe('campaigns', () => {
    it('creates, reads, lists and updates a campaign', async () => {
      const store = ctx.store();
      const created = await store.campaigns.create({
        name: 'Summer drop',
        tiers: [
          { name: 'standard', reward: 't-shirt' },
          { name: 'premium', reward: 'skate deck', perCustomerLimit: 1 },
        ],
        perCustomerLimit: 2,
        target: 600,
        codeSpec: resolveCodeSpec({ pattern: 'SYN-####-####' }),
        startsAt: new Date('2026-06-01T00:00:00Z'),
      });
      expect(created.id).toEqual(expect.any(String));
      expect(created.status).toBe('draft');
      expect(created.redeemedCount).toBe(0);
      expect(created.stopReason).toBeNull();
      expect(created.redeemRequiresPublication).toBe(false);
      const read = await store.campaigns.get(created.id);
      expect(read).toEqual(created);
      expect(read!.startsAt).toBeInstanceOf(Date);
      expect(read!.codeSpec).toEqual({ length: 8, charset: created.codeSpec.charset, pattern: 'SYN-####-####', prefix: '', suffix: '' });
      expect(read!.tiers[1]).toEqual({ name: 'premium', reward: 'skate deck', perCustomerLimit: 1 });
      expect((await store.campaigns.list()).map((c) => c.id)).toContain(created.id);

      const updated = await store.campaigns.update(created.id, { name: 'Summer drop II', target: 700 });
      expect(updated.name).toBe('Summer drop II');
      expect(updated.target).toBe(700);
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
      expect(await store.campaigns.get('cmp_does_not_exist')).toBeNull();
    });

    it('refuses a duplicate id and an invalid campaign', async () => {
      const store = ctx.store();
      const spec = resolveCodeSpec({ length: 10 });
      const base = { name: 'dup', tiers: [{ name: 'standard', reward: 'x' }], perCustomerLimit: 1, codeSpec: spec };
      const id = `cmp_dup_${Date.now().toString(36)}`;
      await store.campaigns.create({ ...base, id });
      await expectStoreError(store.campaigns.create({ ...base, id }), 'campaign_exists');
      await expect(store.campaigns.create({ ...base, tiers: [] })).rejects.toThrow(/tier/);
    });

    it('moves along the lifecycle and refuses illegal moves', async () => {
      const store = ctx.store();
      const { campaign } = await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 1 }], { status: 'draft' });
      expect((await store.campaigns.setStatus(campaign.id, 'active')).status).toBe('active');
      expect((await store.campaigns.setStatus(campaign.id, 'paused')).status).toBe('paused');
      const stopped = await store.campaigns.setStatus(campaign.id, 'stopped', 'manual');
      expect(stopped.status).toBe('stopped');
      expect(stopped.stopReason).toBe('manual');
      expect((await store.campaigns.setStatus(campaign.id, 'ended')).status).toBe('ended');
      await expectStoreError(store.campaigns.setStatus(campaign.id, 'active'), 'invalid_status_transition');
      await expectStoreError(store.campaigns.setStatus('cmp_missing_zz', 'active'), 'campaign_not_found');
    });
  });
}
