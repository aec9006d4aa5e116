import { z } from 'zod';
import { CAMPAIGN_SETTINGS_SPEC, type CampaignSettings, type CampaignSettingsPatch, type SettingSpec, type SettingsFields } from '@dropgate/core';

/** The zod rule of one setting, straight from its spec in @dropgate/core (the one definition). */
function valueSchema(spec: SettingSpec, whole = false): z.ZodType {
  switch (spec.kind) {
    case 'boolean':
      return z.boolean();
    case 'enum':
      return z.enum(spec.values);
    case 'string':
      return z
        .string()
        .min(1)
        .max(spec.maxLength)
        .regex(/^[^\p{C}]+$/u, 'no control or invisible format characters')
        .nullable();
    case 'integer': {
      const n = z.number().int().min(spec.min).max(spec.max);
      return spec.nullable ? n.nullable() : n;
    }
    case 'object':
      return whole ? wholeSchema(spec.fields) : patchSchema(spec.fields);
  }
}

function patchSchema(fields: SettingsFields): z.ZodType {
  return z.strictObject(Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, valueSchema(spec).optional()])));
}

function wholeSchema(fields: SettingsFields): z.ZodType {
  return z.strictObject(Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, valueSchema(spec, true)])));
}

/**
 * Any subset of a campaign's settings (nested objects too), as admin create and PATCH take it. Unknown fields are
 * refused; core applies it over the defaults or the current settings (and checks again, so no path skips the rules).
 */
export const campaignSettingsPatch = patchSchema(CAMPAIGN_SETTINGS_SPEC) as z.ZodType<CampaignSettingsPatch>;

/** Every setting, as a campaign carries them (responses). */
export const campaignSettings = wholeSchema(CAMPAIGN_SETTINGS_SPEC) as z.ZodType<CampaignSettings>;
