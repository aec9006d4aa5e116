/**
 * A campaign's behaviour switches (`Campaign.settings`): ONE definition, `CAMPAIGN_SETTINGS_SPEC`, from which come
 * the TypeScript type, the defaults, the validation here, the API's zod schemas (packages/http) and what the stores
 * keep (one jsonb column / one subdocument, holding the whole object). To add a setting, add a field to the spec
 * with its default: stored campaigns without it read as the default, so no migration is needed.
 */
import { CampaignValidationError } from './campaign-validation-error';

/** One setting's rule. `nullable`: null is allowed (e.g. "no override: use the deployment's default"). */
export type SettingSpec =
  | { readonly kind: 'boolean'; readonly default: boolean }
  | { readonly kind: 'enum'; readonly values: readonly [string, ...string[]]; readonly default: string }
  | { readonly kind: 'string'; readonly maxLength: number; readonly nullable: true; readonly default: string | null }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number; readonly nullable: boolean; readonly default: number | null }
  | { readonly kind: 'object'; readonly fields: SettingsFields };

export type SettingsFields = { readonly [name: string]: SettingSpec };

/** Everything a campaign can switch; add fields here (with a default). */
export const CAMPAIGN_SETTINGS_SPEC = {
  /** Whether `POST /v1/claims` ("give me any code") is open on this campaign; redeeming a known code always is. */
  claims: { kind: 'boolean', default: false },
  /** Who the customer is: whatever id the request names (`none`), or the `sub` of an operator-signed JWT (`jwt`). */
  customerAuth: { kind: 'enum', values: ['none', 'jwt'], default: 'none' },
  /** With `jwt`: the `aud` every token must carry; null accepts any audience. */
  customerAudience: { kind: 'string', maxLength: 256, nullable: true, default: null },
} as const satisfies SettingsFields;

type ValueOf<S> = S extends { kind: 'boolean' }
  ? boolean
  : S extends { kind: 'enum'; values: readonly (infer V)[] }
    ? V
    : S extends { kind: 'string' }
      ? string | null
      : S extends { kind: 'integer'; nullable: true }
        ? number | null
        : S extends { kind: 'integer' }
          ? number
          : S extends { kind: 'object'; fields: infer F }
            ? { -readonly [K in keyof F]: ValueOf<F[K]> }
            : never;

type PatchOf<S> = S extends { kind: 'object'; fields: infer F } ? { [K in keyof F]?: PatchOf<F[K]> | undefined } : ValueOf<S>;

export type CampaignSettings = ValueOf<{ kind: 'object'; fields: typeof CAMPAIGN_SETTINGS_SPEC }>;
/** Any subset of the settings, nested objects included: what create and PATCH take. Unset fields keep their value. */
export type CampaignSettingsPatch = PatchOf<{ kind: 'object'; fields: typeof CAMPAIGN_SETTINGS_SPEC }>;
export type CustomerAuthMode = CampaignSettings['customerAuth'];


const CONTROL = /\p{C}/u;

function defaultsOf(fields: SettingsFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) out[name] = spec.kind === 'object' ? defaultsOf(spec.fields) : spec.default;
  return out;
}

export const DEFAULT_CAMPAIGN_SETTINGS: Readonly<CampaignSettings> = Object.freeze(defaultsOf(CAMPAIGN_SETTINGS_SPEC) as CampaignSettings);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkValue(spec: Exclude<SettingSpec, { kind: 'object' }>, value: unknown, path: string): void {
  const fail = (why: string): never => {
    throw new CampaignValidationError(`${path} ${why}`, path);
  };
  if (value === null) {
    if (spec.kind === 'string' || (spec.kind === 'integer' && spec.nullable)) return;
    fail('may not be null');
  }
  switch (spec.kind) {
    case 'boolean':
      if (typeof value !== 'boolean') fail('must be true or false');
      return;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) fail(`must be one of ${spec.values.join(', ')}`);
      return;
    case 'string':
      if (typeof value !== 'string' || value.length === 0 || value.length > spec.maxLength || CONTROL.test(value))
        fail(`must be 1-${spec.maxLength} visible characters or null`);
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) fail(`must be an integer in ${spec.min}..${spec.max}`);
      return;
  }
}

/**
 * `current` with `patch` applied field by field (nested objects merged, not replaced), every value checked
 * against the spec. Throws `CampaignSettingsError` naming the field; unknown fields are refused.
 */
function applyPatch(fields: SettingsFields, current: Record<string, unknown>, patch: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(patch)) throw new CampaignValidationError(`${path} must be an object`, path);
  const out: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    const spec = fields[name];
    const at = `${path}.${name}`;
    if (!spec || !Object.prototype.hasOwnProperty.call(fields, name)) throw new CampaignValidationError(`${at} is not a setting`, at);
    if (value === undefined) continue;
    if (spec.kind === 'object') out[name] = applyPatch(spec.fields, current[name] as Record<string, unknown>, value, at);
    else {
      checkValue(spec, value, at);
      out[name] = value;
    }
  }
  return out;
}

/** The settings `patch` makes of `current` (defaults when absent); throws `CampaignValidationError` on a bad value. */
export function applyCampaignSettingsPatch(current: CampaignSettings, patch: CampaignSettingsPatch | undefined): CampaignSettings {
  if (patch === undefined) return current;
  return applyPatch(CAMPAIGN_SETTINGS_SPEC, current, patch, 'settings') as CampaignSettings;
}

/** Settings for a new campaign: the defaults with `input` applied. */
export function newCampaignSettings(input?: CampaignSettingsPatch): CampaignSettings {
  return applyCampaignSettingsPatch(DEFAULT_CAMPAIGN_SETTINGS, input);
}

function readStored(fields: SettingsFields, stored: unknown): Record<string, unknown> {
  const source = isPlainObject(stored) ? stored : {};
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    const value = source[name];
    if (spec.kind === 'object') {
      out[name] = readStored(spec.fields, value);
      continue;
    }
    let valid = value !== undefined;
    if (valid) {
      try {
        checkValue(spec, value, name);
      } catch {
        valid = false;
      }
    }
    out[name] = valid ? value : spec.default;
  }
  return out;
}

/**
 * Settings as a store read them: fields the stored object lacks (written before a setting existed) take their
 * default, fields it has that the spec does not know are dropped. Stores call this on every read.
 */
export function storedCampaignSettings(stored: unknown): CampaignSettings {
  return readStored(CAMPAIGN_SETTINGS_SPEC, stored) as CampaignSettings;
}
