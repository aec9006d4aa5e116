-- A campaign's behaviour switches (claims, customer auth, guess budget overrides, ...) as ONE jsonb object, whose
-- shape is defined once in @dropgate/core (campaign-settings.ts). Fields a stored object lacks read as their
-- default there, so adding a setting needs no migration; '{}' is "all defaults".
ALTER TABLE campaigns ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'::jsonb
  CHECK (jsonb_typeof(settings) = 'object');
