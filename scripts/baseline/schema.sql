-- The afternoon build's tables (scripts/baseline/README.md). :schema is replaced by the server with its
-- BASELINE_SCHEMA (a checked lower-case identifier) before this runs.
CREATE SCHEMA IF NOT EXISTS :schema;
CREATE TABLE IF NOT EXISTS :schema.bl_codes (
  campaign_id text NOT NULL,
  code text NOT NULL,
  tier text NOT NULL,
  state text NOT NULL DEFAULT 'available',
  customer_id text,
  redeemed_at timestamptz,
  PRIMARY KEY (campaign_id, code)
);
CREATE TABLE IF NOT EXISTS :schema.bl_redemptions (
  id bigserial PRIMARY KEY,
  campaign_id text NOT NULL,
  code text NOT NULL,
  customer_id text NOT NULL,
  redeemed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS bl_redemptions_customer ON :schema.bl_redemptions (campaign_id, customer_id);
