import { clientSource } from '@dropgate/guard';
/**
 * The backlog: a few campaigns in a schema of the bench's own, and a deterministic mix of attempts on them whose
 * outcomes vary (claims and redeems, several tiers, sell-outs, a target, repeated customers, codes used twice,
 * codes that do not exist, a paused campaign).
 */
import { generateCodes, resolveCodeSpec, type AttemptKind } from '@dropgate/core';
import type { AttemptJobRequest } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { formatNumber } from '../table';
import { log } from '../pipeline/output';

export interface DrainCampaign {
  id: string;
  label: string;
  perCustomerLimit: number;
}

export interface PlannedAttempt {
  kind: AttemptKind;
  job: AttemptJobRequest;
}

interface Campaigns {
  /** Claims: a big standard tier and a small premium one that sells out. */
  claims: DrainCampaign;
  /** Redeems of specific codes (and some claims), with a target that stops it part-way. */
  redeems: DrainCampaign;
  /** Paused: every attempt on it ends campaign_not_active. */
  paused: DrainCampaign;
  /** Codes of the redeem campaign, to redeem by name. */
  redeemCodes: string[];
}

/** mulberry32: a small seeded PRNG, so two runs enqueue the same mix. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Codes per campaign, scaled to the backlog so every share of the mix keeps its outcomes at any --attempts. */
export async function createCampaigns(store: Store, attempts: number): Promise<Campaigns> {
  const started = performance.now();
  const spec = resolveCodeSpec({ length: 12, prefix: 'DR-' });
  const standard = Math.ceil(attempts * 0.5);
  const premium = Math.ceil(attempts * 0.04);
  const redeemable = Math.ceil(attempts * 0.4);
  const claims = await store.campaigns.create({
    name: 'drain bench: claims',
    status: 'active',
    tiers: [
      { name: 'standard', reward: 't-shirt' },
      { name: 'premium', reward: 'skate deck' },
    ],
    perCustomerLimit: 1,
    codeSpec: spec,
  });
  const redeems = await store.campaigns.create({
    name: 'drain bench: redeems',
    status: 'active',
    tiers: [{ name: 'standard', reward: 'sticker' }],
    perCustomerLimit: 2,
    // Stops part-way through the backlog: the last successes answer sold_out, then campaign_not_active.
    target: Math.ceil(attempts * 0.25),
    codeSpec: spec,
  });
  const paused = await store.campaigns.create({ name: 'drain bench: paused', status: 'active', tiers: [{ name: 'standard', reward: 'pin' }], perCustomerLimit: 1, codeSpec: spec });
  const insert = async (campaignId: string, tier: string, n: number): Promise<string[]> => {
    const codes = generateCodes(spec, n);
    for (let i = 0; i < codes.length; i += 10_000) {
      const r = await store.codes.insert(campaignId, codes.slice(i, i + 10_000).map((code) => ({ code, tier })));
      if (r.inserted !== Math.min(10_000, codes.length - i)) throw new Error(`inserted ${r.inserted} codes of a chunk`);
    }
    return codes;
  };
  await insert(claims.id, 'standard', standard);
  await insert(claims.id, 'premium', premium);
  const redeemCodes = await insert(redeems.id, 'standard', redeemable);
  await insert(paused.id, 'standard', 100);
  await store.campaigns.setStatus(paused.id, 'paused');
  const total = standard + premium + redeemable + 100;
  log(`campaigns: ${claims.id} (claims: ${formatNumber(standard)} standard + ${formatNumber(premium)} premium codes), ${redeems.id} (redeems: ${formatNumber(redeemable)} codes, target ${formatNumber(redeems.target ?? 0)}), ${paused.id} (paused); ${formatNumber(total)} codes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    claims: { id: claims.id, label: 'claims', perCustomerLimit: 1 },
    redeems: { id: redeems.id, label: 'redeems', perCustomerLimit: 2 },
    paused: { id: paused.id, label: 'paused', perCustomerLimit: 1 },
    redeemCodes,
  };
}

/**
 * `n` attempts: 45% standard claims (1 in 20 by a customer who already claimed: customer_limit_reached), 8% premium
 * claims (more than its codes: sold_out), 32% redeems (1 in 10 of a code already redeemed by someone else:
 * code_already_used; 1 in 20 of a code that does not exist: code_not_found; 1 in 20 the same customer and code
 * again: already_redeemed), 10% claims on the redeem campaign, 5% on the paused campaign.
 */
export function planAttempts(c: Campaigns, n: number, seed: number): PlannedAttempt[] {
  const rnd = seededRandom(seed);
  const acceptedAt = new Date().toISOString();
  const out: PlannedAttempt[] = [];
  const claimers: string[] = [];
  const redeemed: Array<{ code: string; customerId: string }> = [];
  let nextCode = 0;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  // Every job carries its hashed source, as the intake's do (the workers look each one up: the deferred verdict).
  const source = (i: number) => clientSource(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const claim = (campaignId: string, customerId: string, tier?: string): PlannedAttempt => ({
    kind: 'claim',
    job: { name: 'claim', data: { campaignId, customerId, ...(tier ? { tier } : {}), acceptedAt, source: source(out.length) } },
  });
  const redeem = (code: string, customerId: string): PlannedAttempt => ({
    kind: 'redeem',
    job: { name: 'redeem', data: { campaignId: c.redeems.id, customerId, code, acceptedAt, source: source(out.length) } },
  });
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const fresh = `cust-${seed}-${i}`;
    if (r < 0.45) {
      const again = claimers.length > 0 && rnd() < 0.05;
      const customerId = again ? pick(claimers) : fresh;
      if (!again) claimers.push(customerId);
      out.push(claim(c.claims.id, customerId, 'standard'));
    } else if (r < 0.53) {
      out.push(claim(c.claims.id, fresh, 'premium'));
    } else if (r < 0.85) {
      const s = rnd();
      if (s < 0.1 && redeemed.length > 0) out.push(redeem(pick(redeemed).code, fresh));
      else if (s < 0.15) out.push(redeem(`DR-NOSUCHCODE${i}`, fresh));
      else if (s < 0.2 && redeemed.length > 0) {
        const first = pick(redeemed);
        out.push(redeem(first.code, first.customerId));
      } else {
        const code = c.redeemCodes[nextCode++ % c.redeemCodes.length]!;
        redeemed.push({ code, customerId: fresh });
        out.push(redeem(code, fresh));
      }
    } else if (r < 0.95) {
      out.push(claim(c.redeems.id, fresh));
    } else {
      out.push(claim(c.paused.id, fresh));
    }
  }
  return out;
}
