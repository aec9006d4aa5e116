import {
  campaignRefusal,
  CAMPAIGN_SCOPE,
  CAMPAIGN_STATUS_TRANSITIONS,
  CAMPAIGN_STATUSES,
  CampaignValidationError,
  canChangeCampaignStatus,
  findTier,
  isCampaignOpen,
  quotaScopes,
  tierScope,
  validateNewCampaign,
  type Campaign,
  type CampaignStatus,
  type NewCampaign,
} from './campaign';
import { DEFAULT_CAMPAIGN_SETTINGS } from './campaign-settings';
import { resolveCodeSpec } from './code-spec';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ms = (d: Date, delta: number): Date => new Date(d.getTime() + delta);

function campaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    id: 'c1',
    name: 'Summer drop',
    status: 'active',
    startsAt: null,
    endsAt: null,
    tiers: [
      { name: 'standard', reward: 't-shirt' },
      { name: 'premium', reward: 'skate deck', perCustomerLimit: 1 },
    ],
    perCustomerLimit: 3,
    target: null,
    codeSpec: resolveCodeSpec({ length: 10 }),
    redeemRequiresPublication: false,
    redeemedCount: 0,
    stopReason: null,
    createdAt: NOW,
    updatedAt: NOW,
    settings: DEFAULT_CAMPAIGN_SETTINGS,
    ...overrides,
  };
}

function newCampaign(overrides: Partial<NewCampaign> = {}): NewCampaign {
  return {
    name: 'Summer drop',
    tiers: [{ name: 'standard', reward: 't-shirt' }],
    perCustomerLimit: 1,
    codeSpec: resolveCodeSpec({ length: 10 }),
    ...overrides,
  };
}

/** Runs validateNewCampaign and returns the field it complains about (or null when it accepts). */
function rejectedField(input: NewCampaign): string | null {
  try {
    validateNewCampaign(input);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(CampaignValidationError);
    expect(e).toBeInstanceOf(Error);
    expect((e as CampaignValidationError).name).toBe('CampaignValidationError');
    expect((e as Error).message).not.toBe('');
    return (e as CampaignValidationError).field;
  }
}

describe('campaign status lifecycle', () => {
  it('has exactly the five statuses', () => {
    expect([...CAMPAIGN_STATUSES]).toEqual(['draft', 'active', 'paused', 'stopped', 'ended']);
    expect(Object.keys(CAMPAIGN_STATUS_TRANSITIONS).sort()).toEqual([...CAMPAIGN_STATUSES].sort());
  });

  const LEGAL: Record<CampaignStatus, CampaignStatus[]> = {
    draft: ['active', 'ended'],
    active: ['paused', 'stopped', 'ended'],
    paused: ['active', 'stopped', 'ended'],
    stopped: ['active', 'ended'],
    ended: [],
  };
  const PAIRS = CAMPAIGN_STATUSES.flatMap((from) =>
    CAMPAIGN_STATUSES.map((to): [CampaignStatus, CampaignStatus, boolean] => [from, to, LEGAL[from].includes(to)]),
  );

  it('the table covers all 25 pairs, 10 of them legal', () => {
    expect(PAIRS).toHaveLength(25);
    expect(PAIRS.filter(([, , legal]) => legal)).toHaveLength(10);
  });

  it.each(PAIRS)('%s → %s legal: %s', (from, to, legal) => {
    expect(canChangeCampaignStatus(from, to)).toBe(legal);
  });

  it('makes ended terminal', () => {
    for (const to of CAMPAIGN_STATUSES) expect(canChangeCampaignStatus('ended', to)).toBe(false);
  });

  it('never allows staying in the same status as a move', () => {
    for (const s of CAMPAIGN_STATUSES) expect(canChangeCampaignStatus(s, s)).toBe(false);
  });

  it('can end from every other status', () => {
    for (const s of CAMPAIGN_STATUSES.filter((x) => x !== 'ended')) expect(canChangeCampaignStatus(s, 'ended')).toBe(true);
  });

  it('cannot go back to draft', () => {
    for (const s of CAMPAIGN_STATUSES) expect(canChangeCampaignStatus(s, 'draft')).toBe(false);
  });

  it('lets an operator resume a stopped campaign', () => {
    expect(canChangeCampaignStatus('stopped', 'active')).toBe(true);
    expect(canChangeCampaignStatus('stopped', 'paused')).toBe(false);
  });
});

describe('isCampaignOpen()', () => {
  it('is open when active with no window and no target', () => {
    expect(isCampaignOpen(campaign(), NOW)).toBe(true);
  });

  it.each(CAMPAIGN_STATUSES.filter((s) => s !== 'active'))('is closed when %s', (status) => {
    expect(isCampaignOpen(campaign({ status }), NOW)).toBe(false);
  });

  describe('start of the window (inclusive)', () => {
    const startsAt = NOW;
    it('is closed 1 ms before startsAt', () => expect(isCampaignOpen(campaign({ startsAt }), ms(NOW, -1))).toBe(false));
    it('is open exactly at startsAt', () => expect(isCampaignOpen(campaign({ startsAt }), NOW)).toBe(true));
    it('is open 1 ms after startsAt', () => expect(isCampaignOpen(campaign({ startsAt }), ms(NOW, 1))).toBe(true));
  });

  describe('end of the window (exclusive)', () => {
    const endsAt = NOW;
    it('is open 1 ms before endsAt', () => expect(isCampaignOpen(campaign({ endsAt }), ms(NOW, -1))).toBe(true));
    it('is closed exactly at endsAt', () => expect(isCampaignOpen(campaign({ endsAt }), NOW)).toBe(false));
    it('is closed after endsAt', () => expect(isCampaignOpen(campaign({ endsAt }), ms(NOW, 3_600_000))).toBe(false));
  });

  it('is open inside a full window and closed on both sides of it', () => {
    const c = campaign({ startsAt: ms(NOW, -1000), endsAt: ms(NOW, 1000) });
    expect(isCampaignOpen(c, NOW)).toBe(true);
    expect(isCampaignOpen(c, ms(NOW, -1001))).toBe(false);
    expect(isCampaignOpen(c, ms(NOW, 1000))).toBe(false);
  });

  it('does not open a paused campaign inside its window', () => {
    expect(isCampaignOpen(campaign({ status: 'paused', startsAt: ms(NOW, -1000), endsAt: ms(NOW, 1000) }), NOW)).toBe(false);
  });

  describe('target', () => {
    it('is open below the target', () => expect(isCampaignOpen(campaign({ target: 10, redeemedCount: 9 }), NOW)).toBe(true));
    it('is closed exactly at the target', () => expect(isCampaignOpen(campaign({ target: 10, redeemedCount: 10 }), NOW)).toBe(false));
    it('is closed above the target', () => expect(isCampaignOpen(campaign({ target: 10, redeemedCount: 11 }), NOW)).toBe(false));
    it('ignores the count when there is no target', () =>
      expect(isCampaignOpen(campaign({ target: null, redeemedCount: 1_000_000 }), NOW)).toBe(true));
  });
});

describe('campaignRefusal()', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  it('takes an open campaign', () => {
    expect(campaignRefusal(campaign({ status: 'active' }), now)).toBeNull();
  });
  it('answers campaign_not_active for a missing, paused, draft or ended campaign, or outside its window', () => {
    expect(campaignRefusal(null, now)).toBe('campaign_not_active');
    for (const status of ['paused', 'draft', 'ended'] as const) expect(campaignRefusal(campaign({ status }), now)).toBe('campaign_not_active');
    expect(campaignRefusal(campaign({ status: 'active', startsAt: new Date(now.getTime() + 1) }), now)).toBe('campaign_not_active');
    expect(campaignRefusal(campaign({ status: 'active', endsAt: now }), now)).toBe('campaign_not_active');
  });
  it('answers sold_out when the target is reached, whether or not the campaign was stopped for it yet', () => {
    expect(campaignRefusal(campaign({ status: 'active', target: 5, redeemedCount: 5 }), now)).toBe('sold_out');
    expect(campaignRefusal(campaign({ status: 'stopped', stopReason: 'target_reached', target: 5, redeemedCount: 5 }), now)).toBe('sold_out');
    expect(campaignRefusal(campaign({ status: 'stopped', stopReason: 'manual', target: 5, redeemedCount: 5 }), now)).toBe('campaign_not_active');
    expect(campaignRefusal(campaign({ status: 'active', target: 5, redeemedCount: 4 }), now)).toBeNull();
  });
});

describe('findTier()', () => {
  it('finds a tier by exact name', () => {
    expect(findTier(campaign(), 'premium')).toEqual({ name: 'premium', reward: 'skate deck', perCustomerLimit: 1 });
  });
  it('returns undefined for an unknown or differently-cased name', () => {
    expect(findTier(campaign(), 'gold')).toBeUndefined();
    expect(findTier(campaign(), 'Premium')).toBeUndefined();
  });
});

describe('quotaScopes()', () => {
  it('names scopes "campaign" and "tier:<name>"', () => {
    expect(CAMPAIGN_SCOPE).toBe('campaign');
    expect(tierScope('premium')).toBe('tier:premium');
  });

  it('has only the campaign scope for a tier without its own limit', () => {
    expect(quotaScopes(campaign(), 'standard')).toEqual([{ scope: 'campaign', limit: 3 }]);
  });

  it('adds the tier scope after the campaign scope when the tier has a limit', () => {
    expect(quotaScopes(campaign(), 'premium')).toEqual([
      { scope: 'campaign', limit: 3 },
      { scope: 'tier:premium', limit: 1 },
    ]);
  });

  it('has only the campaign scope for an unknown tier', () => {
    expect(quotaScopes(campaign(), 'gold')).toEqual([{ scope: 'campaign', limit: 3 }]);
  });

  it('uses the limits of the campaign it is given', () => {
    const c = campaign({ perCustomerLimit: 7, tiers: [{ name: 'vip', reward: 'r', perCustomerLimit: 2 }] });
    expect(quotaScopes(c, 'vip')).toEqual([
      { scope: 'campaign', limit: 7 },
      { scope: 'tier:vip', limit: 2 },
    ]);
  });
});

describe('validateNewCampaign()', () => {
  it('accepts a minimal valid campaign', () => {
    expect(rejectedField(newCampaign())).toBeNull();
  });

  it('accepts a full valid campaign', () => {
    expect(
      rejectedField(
        newCampaign({
          name: 'x'.repeat(200),
          tiers: [
            { name: 'a', reward: 'sticker' },
            { name: 'tier_2-b', reward: 'deck', perCustomerLimit: 1 },
            { name: '0' + 'z'.repeat(31), reward: 'cap' },
          ],
          perCustomerLimit: 1000,
          target: 1,
          startsAt: NOW,
          endsAt: ms(NOW, 1),
          status: 'draft',
        }),
      ),
    ).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['blank', '   \t '],
    ['201 characters', 'x'.repeat(201)],
  ])('rejects a %s name with field "name"', (_label, name) => {
    expect(rejectedField(newCampaign({ name }))).toBe('name');
  });

  it('rejects no tiers with field "tiers"', () => {
    expect(rejectedField(newCampaign({ tiers: [] }))).toBe('tiers');
  });

  it.each(['', 'Standard', '-lead', '_lead', 'has space', 'a.b', 'é', 'a'.repeat(33)])('rejects the tier name %j', (name) => {
    expect(rejectedField(newCampaign({ tiers: [{ name, reward: 'r' }] }))).toBe('tiers');
  });

  it('rejects a tier listed twice', () => {
    expect(
      rejectedField(
        newCampaign({
          tiers: [
            { name: 'a', reward: 'r' },
            { name: 'a', reward: 's' },
          ],
        }),
      ),
    ).toBe('tiers');
  });

  it.each(['', '  '])('rejects the tier reward %j', (reward) => {
    expect(rejectedField(newCampaign({ tiers: [{ name: 'a', reward }] }))).toBe('tiers');
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects the tier perCustomerLimit %p', (limit) => {
    expect(rejectedField(newCampaign({ tiers: [{ name: 'a', reward: 'r', perCustomerLimit: limit }] }))).toBe('tiers');
  });

  it.each([0, -1, 1001, 2.5, Number.NaN])('rejects the campaign perCustomerLimit %p', (perCustomerLimit) => {
    expect(rejectedField(newCampaign({ perCustomerLimit }))).toBe('perCustomerLimit');
  });

  it.each([1, 1000])('accepts the campaign perCustomerLimit %p', (perCustomerLimit) => {
    expect(rejectedField(newCampaign({ perCustomerLimit }))).toBeNull();
  });

  it.each([0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects the target %p', (target) => {
    expect(rejectedField(newCampaign({ target }))).toBe('target');
  });

  it.each([null, undefined])('accepts the target %p (no target)', (target) => {
    expect(rejectedField(newCampaign({ target }))).toBeNull();
  });

  it('rejects endsAt equal to startsAt with field "endsAt"', () => {
    expect(rejectedField(newCampaign({ startsAt: NOW, endsAt: NOW }))).toBe('endsAt');
  });

  it('rejects endsAt before startsAt with field "endsAt"', () => {
    expect(rejectedField(newCampaign({ startsAt: NOW, endsAt: ms(NOW, -1) }))).toBe('endsAt');
  });

  it('accepts an open-ended window on either side', () => {
    expect(rejectedField(newCampaign({ startsAt: NOW, endsAt: null }))).toBeNull();
    expect(rejectedField(newCampaign({ startsAt: null, endsAt: NOW }))).toBeNull();
  });

  it('rejects invalid dates instead of silently ignoring them', () => {
    expect(rejectedField(newCampaign({ startsAt: new Date('not a date') }))).toBe('startsAt');
    expect(rejectedField(newCampaign({ startsAt: NOW, endsAt: new Date('not a date') }))).toBe('endsAt');
  });

  it('reports the first failing field in declaration order', () => {
    expect(rejectedField(newCampaign({ name: '', tiers: [], perCustomerLimit: 0 }))).toBe('name');
    expect(rejectedField(newCampaign({ tiers: [], perCustomerLimit: 0 }))).toBe('tiers');
    expect(rejectedField(newCampaign({ perCustomerLimit: 0, target: 0 }))).toBe('perCustomerLimit');
  });

  it('throws, not returns, on invalid input', () => {
    expect(() => validateNewCampaign(newCampaign({ name: '' }))).toThrow(CampaignValidationError);
    expect(() => validateNewCampaign(newCampaign({ name: '' }))).toThrow(/name/);
  });
});
