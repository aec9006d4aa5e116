import { randomUUID } from 'node:crypto';
import { generateCodes, resolveCodeSpec, type Campaign, type NewCampaign, type Tier } from '@dropgate/core';
import type { Store } from '../src/store';
import { StoreError, type StoreErrorCode } from '../src/store-error';

export const NOW = new Date('2026-06-01T12:00:00Z');
export const HOUR = 3_600_000;

let seq = 0;
/** Attempt ids are unique per test run so reruns against a kept database never collide. */
export function attemptId(label = 'a'): string {
  seq += 1;
  return `att_${label}_${seq}_${randomUUID().slice(0, 8)}`;
}

export interface CampaignFixture {
  campaign: Campaign;
  codes: Record<string, string[]>;
}

/** Creates an active campaign and `quantity` codes for each tier. */
export async function createCampaignWithCodes(
  store: Store,
  tiers: Array<Tier & { quantity: number }>,
  overrides: Partial<NewCampaign> = {},
): Promise<CampaignFixture> {
  const codeSpec = resolveCodeSpec({ length: 10, prefix: 'DG-' });
  const campaign = await store.campaigns.create({
    name: `contract ${randomUUID().slice(0, 6)}`,
    status: 'active',
    tiers: tiers.map(({ quantity: _q, ...tier }) => tier),
    perCustomerLimit: 1,
    codeSpec,
    ...overrides,
  });
  const codes: Record<string, string[]> = {};
  const total = tiers.reduce((n, t) => n + t.quantity, 0);
  const all = generateCodes(codeSpec, total);
  let offset = 0;
  for (const tier of tiers) {
    codes[tier.name] = all.slice(offset, offset + tier.quantity);
    offset += tier.quantity;
    const result = await store.codes.insert(
      campaign.id,
      codes[tier.name]!.map((code) => ({ code, tier: tier.name })),
    );
    if (result.inserted !== tier.quantity) throw new Error(`fixture: inserted ${result.inserted} of ${tier.quantity}`);
  }
  return { campaign, codes };
}

export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/** Spreads calls round-robin over several store instances: real parallelism across pools/connections. */
export function roundRobin(stores: Store[]): () => Store {
  let i = 0;
  return () => stores[i++ % stores.length]!;
}

export async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
}
