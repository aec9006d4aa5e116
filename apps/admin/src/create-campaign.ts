import { assertCodeSpaceFor, generateCodeBatches, resolveCodeSpec, validateNewCampaign, type Campaign } from '@dropgate/core';
import type { Store } from '@dropgate/store';
import type { CreateCampaignBody } from './admin-schemas';

const BATCH = 10_000;

export interface CreateCampaignProgress {
  (inserted: number, total: number): void;
}

/**
 * Creates a campaign as a draft, fills every tier with fresh random codes, then activates it if asked: a
 * campaign never goes live half-filled. Codes that collide with stored ones are replaced, never dropped.
 */
export async function createCampaignWithCodes(store: Store, body: CreateCampaignBody, onProgress?: CreateCampaignProgress): Promise<Campaign> {
  const codeSpec = resolveCodeSpec(body.code);
  const total = body.tiers.reduce((n, t) => n + t.quantity, 0);
  assertCodeSpaceFor(codeSpec, Math.max(1, total));
  const input = {
    id: body.id,
    name: body.name,
    status: 'draft' as const,
    tiers: body.tiers.map(({ name, reward, perCustomerLimit }) => ({ name, reward, ...(perCustomerLimit ? { perCustomerLimit } : {}) })),
    perCustomerLimit: body.perCustomerLimit,
    target: body.target ?? null,
    startsAt: body.startsAt ?? null,
    endsAt: body.endsAt ?? null,
    codeSpec,
    redeemRequiresPublication: body.redeemRequiresPublication ?? false,
    settings: body.settings,
  };
  validateNewCampaign(input);
  const campaign = await store.campaigns.create(input);

  let inserted = 0;
  const emitted = new Set<string>();
  for (const tier of body.tiers) {
    let missing = tier.quantity;
    while (missing > 0) {
      for (const batch of generateCodeBatches(codeSpec, missing, BATCH, { exclude: emitted })) {
        for (const code of batch) emitted.add(code);
        const result = await store.codes.insert(campaign.id, batch.map((code) => ({ code, tier: tier.name })));
        missing -= result.inserted;
        inserted += result.inserted;
        onProgress?.(inserted, total);
      }
    }
  }
  return body.status === 'active' ? store.campaigns.setStatus(campaign.id, 'active') : campaign;
}
