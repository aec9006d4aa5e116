-- Dropgate store, initial tables. Runs inside the migration transaction with search_path set to the
-- target schema, so every name here is unqualified.

CREATE TABLE campaigns (
  id                          text PRIMARY KEY,
  name                        text NOT NULL,
  status                      text NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'stopped', 'ended')),
  starts_at                   timestamptz,
  ends_at                     timestamptz,
  tiers                       jsonb NOT NULL,
  per_customer_limit          integer NOT NULL CHECK (per_customer_limit >= 1),
  target                      integer CHECK (target IS NULL OR target >= 1),
  code_spec                   jsonb NOT NULL,
  redeem_requires_publication boolean NOT NULL DEFAULT false,
  -- Maintained only by dg_redeem/dg_claim/dg_rollback; the increment is conditional on the target.
  redeemed_count              integer NOT NULL DEFAULT 0 CHECK (redeemed_count >= 0),
  stop_reason                 text CHECK (stop_reason IN ('target_reached', 'manual')),
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50); -- every success updates redeemed_count: leave room for HOT updates on the same page

-- No foreign key to campaigns: codes are bulk-loaded by the million and campaigns are never deleted;
-- the store checks the campaign (and tiers) before inserting.
CREATE TABLE codes (
  campaign_id           text NOT NULL,
  code                  text COLLATE "C" NOT NULL, -- byte order: cheap comparisons, stable keyset pagination
  tier                  text NOT NULL,
  state                 text NOT NULL DEFAULT 'available'
                        CHECK (state IN ('available', 'locked', 'published', 'redeemed', 'disabled')),
  customer_id           text,
  attempt_id            text,
  redeemed_at           timestamptz,
  lock_release_at       timestamptz,
  publication_id        text,
  -- The one customer a personal publication is for (NULL: published to a channel, anyone may redeem).
  published_to_customer text,
  PRIMARY KEY (campaign_id, code)
);
-- One attempt can hold at most one code, whatever happens above.
CREATE UNIQUE INDEX codes_attempt_id_key ON codes (attempt_id) WHERE attempt_id IS NOT NULL;
-- Claims pick "any available code of a tier": a small partial index that only holds the candidates.
-- dg_claim's query repeats the predicate literally so the planner can use it.
CREATE INDEX codes_available_idx ON codes (campaign_id, tier) WHERE state = 'available';
-- Counts per tier × state, and list filters.
CREATE INDEX codes_tier_state_idx ON codes (campaign_id, tier, state);
-- Timed locks: releaseDueLocks and claim's fallback to due locks.
CREATE INDEX codes_timed_lock_idx ON codes (campaign_id, tier, lock_release_at) WHERE state = 'locked' AND lock_release_at IS NOT NULL;
CREATE INDEX codes_lock_release_idx ON codes (lock_release_at) WHERE state = 'locked' AND lock_release_at IS NOT NULL;

-- One row per attempt id: the idempotency key. outcome is NULL only inside the transaction deciding it,
-- so no committed row ever lacks one.
CREATE TABLE attempts (
  attempt_id  text PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('redeem', 'claim')),
  campaign_id text NOT NULL,
  customer_id text NOT NULL,
  outcome     text,
  code        text,
  tier        text,
  reward      text,
  finished_at timestamptz NOT NULL
) WITH (fillfactor = 80); -- the row is inserted then updated once in the same transaction: keep that HOT
CREATE INDEX attempts_campaign_idx ON attempts (campaign_id);

-- Per-customer quota per scope ('campaign' or 'tier:<name>'). holders lists the attempt ids that use it, so
-- a rollback frees exactly the slot of the attempt it undoes. Enforced by a conditional upsert
-- (ON CONFLICT DO UPDATE ... WHERE cardinality(holders) < limit), never by a read-then-write.
CREATE TABLE customer_quotas (
  campaign_id text NOT NULL,
  customer_id text NOT NULL,
  scope       text NOT NULL,
  holders     text[] NOT NULL,
  PRIMARY KEY (campaign_id, customer_id, scope)
);

CREATE TABLE publications (
  publication_id text PRIMARY KEY,
  campaign_id    text NOT NULL,
  tier           text NOT NULL,
  channel        text,
  customer_id    text,
  count          integer NOT NULL CHECK (count >= 1),
  codes          text[] NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL
);
