import { randomBytes } from 'node:crypto';
import { generateCodes, resolveCodeSpec, type Campaign, type CampaignSettingsPatch, type CampaignStatus, type CodeSpecInput } from '@dropgate/core';
import type { Store } from '@dropgate/store';

export interface TierFixture {
  name: string;
  reward: string;
  quantity: number;
}

export interface CampaignFixture {
  campaign: Campaign;
  /** The generated codes, by tier. */
  codes: Record<string, string[]>;
}

export interface CampaignFixtureOptions {
  tiers: TierFixture[];
  code?: CodeSpecInput;
  perCustomerLimit?: number;
  /** Created active, then moved here when different. */
  status?: CampaignStatus;
  /** Default here: claims on (most intake tests claim); the product's default is off. */
  settings?: CampaignSettingsPatch;
}

/** A campaign straight through the store, with freshly generated codes per tier (no admin API involved). */
export async function createCampaignWithCodes(store: Store, options: CampaignFixtureOptions): Promise<CampaignFixture> {
  const codeSpec = resolveCodeSpec(options.code ?? { pattern: 'SYN-####-####' });
  let campaign = await store.campaigns.create({
    name: `test ${randomBytes(3).toString('hex')}`,
    status: 'active',
    tiers: options.tiers.map(({ name, reward }) => ({ name, reward })),
    perCustomerLimit: options.perCustomerLimit ?? 1,
    codeSpec,
    settings: { claims: true, ...options.settings },
  });
  const all = generateCodes(codeSpec, options.tiers.reduce((n, t) => n + t.quantity, 0));
  const codes: Record<string, string[]> = {};
  let offset = 0;
  for (const tier of options.tiers) {
    const slice = all.slice(offset, offset + tier.quantity);
    offset += tier.quantity;
    codes[tier.name] = slice;
    if (slice.length === 0) continue;
    const result = await store.codes.insert(campaign.id, slice.map((code) => ({ code, tier: tier.name })));
    if (result.inserted !== slice.length) throw new Error(`fixture: inserted ${result.inserted} of ${slice.length} codes`);
  }
  if (options.status && options.status !== 'active') campaign = await store.campaigns.setStatus(campaign.id, options.status);
  return { campaign, codes };
}
