import { DEFAULT_CAMPAIGN_SETTINGS, resolveCodeSpec } from '@dropgate/core';
import type { ContractContext } from './context';
import { attemptId, createCampaignWithCodes, expectStoreError, HOUR, NOW } from './fixtures';

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
      // Store-made ids look the same in every adapter: `cmp_` + 16 base32 characters.
      expect(created.id).toMatch(/^cmp_[a-z2-7]{16}$/);
      expect(created.status).toBe('draft');
      expect(created.redeemedCount).toBe(0);
      expect(created.stopReason).toBeNull();
      expect(created.redeemRequiresPublication).toBe(false);
      expect(created.settings).toEqual(DEFAULT_CAMPAIGN_SETTINGS);
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

    it('keeps settings: given on create, merged field by field on update, defaults for the rest', async () => {
      const store = ctx.store();
      const base = { name: 'settings', tiers: [{ name: 'standard', reward: 'x' }], perCustomerLimit: 1, codeSpec: resolveCodeSpec({ length: 10 }) };
      const created = await store.campaigns.create({ ...base, settings: { claims: true, customerAuth: 'jwt' } });
      expect(created.settings).toEqual({ ...DEFAULT_CAMPAIGN_SETTINGS, claims: true, customerAuth: 'jwt' });
      expect((await store.campaigns.get(created.id))!.settings).toEqual(created.settings);
      expect((await store.campaigns.list()).find((c) => c.id === created.id)!.settings).toEqual(created.settings);

      const withAudience = await store.campaigns.update(created.id, { settings: { customerAudience: 'shop.example' } });
      expect(withAudience.settings).toEqual({ ...DEFAULT_CAMPAIGN_SETTINGS, claims: true, customerAuth: 'jwt', customerAudience: 'shop.example' });
      // A patch of other fields leaves the settings alone.
      expect((await store.campaigns.update(created.id, { name: 'renamed' })).settings).toEqual(withAudience.settings);
      const off = await store.campaigns.update(created.id, { settings: { claims: false, customerAudience: null } });
      expect(off.settings).toEqual({ ...DEFAULT_CAMPAIGN_SETTINGS, customerAuth: 'jwt' });
      expect((await store.campaigns.get(created.id))!.settings).toEqual(off.settings);

      // A bad setting changes nothing, on create or update.
      await expect(store.campaigns.create({ ...base, settings: { customerAuth: 'oauth' as 'jwt' } })).rejects.toThrow(/settings\.customerAuth/);
      await expect(store.campaigns.update(created.id, { settings: { claims: 'yes' as unknown as boolean } })).rejects.toThrow(/settings\.claims/);
      expect((await store.campaigns.get(created.id))!.settings).toEqual(off.settings);
    });

    it('concurrent settings patches of different fields both land', async () => {
      const stores = ctx.stores();
      const created = await ctx.store().campaigns.create({
        name: 'settings race',
        tiers: [{ name: 'standard', reward: 'x' }],
        perCustomerLimit: 1,
        codeSpec: resolveCodeSpec({ length: 10 }),
      });
      await Promise.all([
        stores[0]!.campaigns.update(created.id, { settings: { claims: true } }),
        stores[1 % stores.length]!.campaigns.update(created.id, { settings: { customerAuth: 'jwt' } }),
      ]);
      expect((await ctx.store().campaigns.get(created.id))!.settings).toMatchObject({ claims: true, customerAuth: 'jwt' });
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
      // Ending keeps why it had stopped (history); running again clears it.
      expect(await store.campaigns.setStatus(campaign.id, 'ended')).toMatchObject({ status: 'ended', stopReason: 'manual' });
      await expectStoreError(store.campaigns.setStatus(campaign.id, 'active'), 'invalid_status_transition');
      await expectStoreError(store.campaigns.setStatus('cmp_missing_zz', 'active'), 'campaign_not_found');
      await expectStoreError(store.campaigns.update('cmp_missing_zz', { name: 'x' }), 'campaign_not_found');
      const other = (await createCampaignWithCodes(store, [{ name: 'standard', reward: 'x', quantity: 1 }])).campaign;
      await store.campaigns.setStatus(other.id, 'stopped');
      expect((await store.campaigns.setStatus(other.id, 'active')).stopReason).toBeNull();
    });

    it('a target lowered to what is already counted stops the campaign, active or paused', async () => {
      const store = ctx.store();
      const claim = (campaignId: string, customerId: string) =>
        store.redemptions.claim({ attemptId: attemptId('low'), campaignId, customerId, now: NOW });
      const tiers = [{ name: 'standard', reward: 'x', quantity: 6 }];
      const active = (await createCampaignWithCodes(store, tiers)).campaign;
      const paused = (await createCampaignWithCodes(store, tiers)).campaign;
      for (const c of [active, paused]) for (const who of ['l1', 'l2', 'l3']) expect((await claim(c.id, who)).outcome).toBe('claimed');
      await store.campaigns.setStatus(paused.id, 'paused');

      // Above the count: nothing happens.
      expect(await store.campaigns.update(active.id, { target: 5 })).toMatchObject({ status: 'active', stopReason: null, target: 5, redeemedCount: 3 });
      // At or below it: reached at once.
      expect(await store.campaigns.update(active.id, { target: 3 })).toMatchObject({ status: 'stopped', stopReason: 'target_reached', redeemedCount: 3 });
      expect(await store.campaigns.update(paused.id, { target: 2 })).toMatchObject({ status: 'stopped', stopReason: 'target_reached', redeemedCount: 3 });
      expect((await claim(active.id, 'l4')).outcome).toBe('sold_out');
      expect((await store.codes.counts(active.id)).standard!.redeemed).toBe(3);
    });

    it('concurrent updates each validate against what the other wrote', async () => {
      const stores = ctx.stores();
      const { campaign } = await createCampaignWithCodes(ctx.store(), [{ name: 'standard', reward: 'x', quantity: 1 }], {
        startsAt: new Date(NOW.getTime() - HOUR),
        endsAt: new Date(NOW.getTime() + HOUR),
      });
      // Each patch alone is valid; both together would put endsAt before startsAt. At most one may land.
      const results = await Promise.allSettled([
        stores[0]!.campaigns.update(campaign.id, { startsAt: new Date(NOW.getTime() + 2 * HOUR), endsAt: new Date(NOW.getTime() + 3 * HOUR) }),
        stores[1 % stores.length]!.campaigns.update(campaign.id, { endsAt: new Date(NOW.getTime() + 90 * 60_000) }),
      ]);
      expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
      const after = (await ctx.store().campaigns.get(campaign.id))!;
      expect(after.endsAt!.getTime()).toBeGreaterThan(after.startsAt!.getTime());
    });
  });
}
