import { resolveCodeSpec, type Campaign } from '@dropgate/core';
import { campaignGate } from './campaign-target';

const NOW = new Date('2026-06-01T12:00:00Z');
const campaign = (over: Partial<Campaign> = {}): Campaign => ({
  id: 'c1',
  name: 'c',
  status: 'active',
  startsAt: null,
  endsAt: null,
  tiers: [{ name: 'standard', reward: 'x' }],
  perCustomerLimit: 1,
  target: null,
  codeSpec: resolveCodeSpec({ length: 10 }),
  redeemRequiresPublication: false,
  redeemedCount: 0,
  stopReason: null,
  createdAt: NOW,
  updatedAt: NOW,
  ...over,
});

describe('campaignGate', () => {
  it('opens an active campaign inside its window', () => {
    expect(campaignGate(campaign(), NOW)).toBeNull();
    expect(campaignGate(campaign({ startsAt: NOW, endsAt: new Date(NOW.getTime() + 1) }), NOW)).toBeNull();
  });

  it('refuses a missing campaign, other statuses and times outside the window', () => {
    expect(campaignGate(null, NOW)).toBe('campaign_not_active');
    for (const status of ['draft', 'paused', 'stopped', 'ended'] as const) expect(campaignGate(campaign({ status }), NOW)).toBe('campaign_not_active');
    expect(campaignGate(campaign({ startsAt: new Date(NOW.getTime() + 1) }), NOW)).toBe('campaign_not_active');
    expect(campaignGate(campaign({ endsAt: NOW }), NOW)).toBe('campaign_not_active');
  });

  it('answers sold_out once the target is reached, stopped for it or not yet', () => {
    expect(campaignGate(campaign({ target: 2, redeemedCount: 2 }), NOW)).toBe('sold_out');
    expect(campaignGate(campaign({ target: 2, redeemedCount: 2, status: 'stopped', stopReason: 'target_reached' }), NOW)).toBe('sold_out');
    expect(campaignGate(campaign({ target: 2, redeemedCount: 2, status: 'stopped', stopReason: 'manual' }), NOW)).toBe('campaign_not_active');
    expect(campaignGate(campaign({ target: 2, redeemedCount: 1 }), NOW)).toBeNull();
  });
});
