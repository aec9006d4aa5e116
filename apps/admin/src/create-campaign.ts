import { assertCodeSpaceFor, resolveCodeSpec, validateNewCampaign, type NewCampaign } from '@dropgate/core';
import type { CreateCampaignBody } from './admin-schemas';

export interface PreparedCampaign {
  /** Always a draft: it goes live (if asked) only once the generation job has put every code in. */
  input: NewCampaign & { status: 'draft' };
  tiers: Array<{ tier: string; count: number }>;
  activate: boolean;
}

/**
 * Checks a creation request completely before anything is written (code spec, code space for every code,
 * campaign rules): a request that cannot succeed fails with a 4xx and leaves nothing behind.
 */
export function prepareCampaign(body: CreateCampaignBody): PreparedCampaign {
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
  return { input, tiers: body.tiers.filter((t) => t.quantity > 0).map((t) => ({ tier: t.name, count: t.quantity })), activate: body.status === 'active' };
}
