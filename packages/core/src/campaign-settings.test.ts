import {
  applyCampaignSettingsPatch,
  CAMPAIGN_SETTINGS_SPEC,
  DEFAULT_CAMPAIGN_SETTINGS,
  newCampaignSettings,
  storedCampaignSettings,
  type CampaignSettingsPatch,
} from './campaign-settings';
import { CampaignValidationError } from './campaign-validation-error';

describe('campaign settings', () => {
  it('defaults: claims off, no customer auth, any audience', () => {
    expect(DEFAULT_CAMPAIGN_SETTINGS).toEqual({ claims: false, customerAuth: 'none', customerAudience: null });
    expect(newCampaignSettings()).toEqual(DEFAULT_CAMPAIGN_SETTINGS);
    expect(Object.keys(DEFAULT_CAMPAIGN_SETTINGS).sort()).toEqual(Object.keys(CAMPAIGN_SETTINGS_SPEC).sort());
  });

  it('applies a patch field by field and keeps the rest', () => {
    const a = newCampaignSettings({ claims: true });
    expect(a).toEqual({ claims: true, customerAuth: 'none', customerAudience: null });
    const b = applyCampaignSettingsPatch(a, { customerAuth: 'jwt', customerAudience: 'shop' });
    expect(b).toEqual({ claims: true, customerAuth: 'jwt', customerAudience: 'shop' });
    expect(applyCampaignSettingsPatch(b, { customerAudience: null })).toEqual({ claims: true, customerAuth: 'jwt', customerAudience: null });
    expect(applyCampaignSettingsPatch(b, {})).toEqual(b);
    expect(applyCampaignSettingsPatch(b, undefined)).toBe(b);
  });

  it.each<[string, unknown, string]>([
    ['a non-boolean claims', { claims: 'yes' }, 'settings.claims'],
    ['an unknown auth mode', { customerAuth: 'oauth' }, 'settings.customerAuth'],
    ['a null auth mode', { customerAuth: null }, 'settings.customerAuth'],
    ['an empty audience', { customerAudience: '' }, 'settings.customerAudience'],
    ['a control character in the audience', { customerAudience: 'a\u0000b' }, 'settings.customerAudience'],
    ['a too long audience', { customerAudience: 'x'.repeat(257) }, 'settings.customerAudience'],
    ['an unknown field', { guessBudgetz: 3 }, 'settings.guessBudgetz'],
    ['an inherited name', { toString: 1 }, 'settings.toString'],
    ['an operator object', { claims: { $ne: null } }, 'settings.claims'],
  ])('refuses %s, naming the field', (_what, patch, field) => {
    let error: unknown;
    try {
      newCampaignSettings(patch as CampaignSettingsPatch);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CampaignValidationError);
    expect((error as CampaignValidationError).field).toBe(field);
  });

  it('refuses a settings value that is not an object', () => {
    expect(() => newCampaignSettings([] as unknown as CampaignSettingsPatch)).toThrow(CampaignValidationError);
  });

  it('reads stored settings: missing fields take their default, unknown and broken ones are dropped', () => {
    expect(storedCampaignSettings({})).toEqual(DEFAULT_CAMPAIGN_SETTINGS);
    expect(storedCampaignSettings(null)).toEqual(DEFAULT_CAMPAIGN_SETTINGS);
    expect(storedCampaignSettings({ claims: true, retired: 1, customerAuth: 'magic' })).toEqual({ ...DEFAULT_CAMPAIGN_SETTINGS, claims: true });
    expect(storedCampaignSettings({ customerAuth: 'jwt', customerAudience: 'aud-1' })).toEqual({ claims: false, customerAuth: 'jwt', customerAudience: 'aud-1' });
  });
});
