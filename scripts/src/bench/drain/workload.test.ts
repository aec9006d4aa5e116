import { planAttempts, seededRandom } from './workload';

const campaigns = {
  claims: { id: 'cmp_claims', label: 'claims', perCustomerLimit: 1 },
  redeems: { id: 'cmp_redeems', label: 'redeems', perCustomerLimit: 2 },
  paused: { id: 'cmp_paused', label: 'paused', perCustomerLimit: 1 },
  redeemCodes: Array.from({ length: 500 }, (_, i) => `DR-CODE${i}`),
};

describe('the drain backlog', () => {
  it('is the same mix for the same seed and another for another seed', () => {
    const strip = (seed: number) => planAttempts(campaigns, 2_000, seed).map(({ job }) => ({ ...job, data: { ...job.data, acceptedAt: '' } }));
    expect(strip(7)).toEqual(strip(7));
    expect(strip(7)).not.toEqual(strip(8));
    expect(seededRandom(1)()).toBe(seededRandom(1)());
  });

  it('mixes claims and redeems on every campaign and tier, with repeats that make outcomes vary', () => {
    const planned = planAttempts(campaigns, 10_000, 1);
    const share = (pred: (p: (typeof planned)[number]) => boolean): number => planned.filter(pred).length / planned.length;
    expect(share((p) => p.kind === 'redeem')).toBeGreaterThan(0.25);
    expect(share((p) => p.kind === 'claim')).toBeGreaterThan(0.55);
    expect(share((p) => p.job.name === 'claim' && p.job.data.tier === 'premium')).toBeGreaterThan(0.05);
    expect(share((p) => p.job.data.campaignId === campaigns.paused.id)).toBeGreaterThan(0.03);
    expect(share((p) => p.job.name === 'claim' && p.job.data.campaignId === campaigns.redeems.id)).toBeGreaterThan(0.07);
    // Repeated customers on the claim campaign (customer_limit_reached), codes redeemed twice (already used or
    // already redeemed by the same customer), codes that do not exist (code_not_found).
    const claimers = planned.filter((p) => p.job.data.campaignId === campaigns.claims.id && p.job.name === 'claim' && p.job.data.tier === 'standard').map((p) => p.job.data.customerId);
    expect(new Set(claimers).size).toBeLessThan(claimers.length);
    const redeemed = planned.flatMap((p) => (p.job.name === 'redeem' ? [p.job.data.code] : []));
    expect(new Set(redeemed).size).toBeLessThan(redeemed.length);
    expect(redeemed.some((code) => !campaigns.redeemCodes.includes(code))).toBe(true);
  });
});
