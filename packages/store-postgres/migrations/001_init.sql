-- Dropgate store, initial tables. Runs inside the migration transaction with search_path set to the
-- target schema, so every name here is unqualified.
--
-- Every text column is COLLATE "C" (byte order): identifiers and codes need no locale, comparisons are cheaper,
-- keyset pagination follows plain byte order, and — important — a column, its index and any value copied from
-- a row inside the dg_* functions always share one collation. Mixing "C" with the database default makes a
-- function's input collation differ from an index's, and PostgreSQL then cannot use that index.

CREATE TABLE campaigns (
  id                          text COLLATE "C" PRIMARY KEY,
  name                        text COLLATE "C" NOT NULL,
  status                      text COLLATE "C" NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'stopped', 'ended')),
  starts_at                   timestamptz,
  ends_at                     timestamptz,
  tiers                       jsonb NOT NULL,
  per_customer_limit          integer NOT NULL CHECK (per_customer_limit >= 1),
  target                      integer CHECK (target IS NULL OR target >= 1),
  code_spec                   jsonb NOT NULL,
  redeem_requires_publication boolean NOT NULL DEFAULT false,
  -- Successes counted on the campaign row (with a target: all of them; see campaign_counters).
  redeemed_count              integer NOT NULL DEFAULT 0 CHECK (redeemed_count >= 0),
  stop_reason                 text COLLATE "C" CHECK (stop_reason IN ('target_reached', 'manual')),
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50); -- every success updates redeemed_count: leave room for HOT updates on the same page

-- Success counters of a campaign WITHOUT a target, one row per shard (a connection always writes the shard
-- pg_backend_pid() % 64): counting needs no single hot row, so claims from many connections do not queue on
-- the campaign row and on each other's commit flush. redeemedCount = campaigns.redeemed_count + sum(redeemed).
-- A campaign WITH a target counts on campaigns.redeemed_count alone (the conditional increment that enforces
-- the target); its shards are closed (open = false), and setting a target folds them into redeemed_count
-- under their row locks, so no success can slip past the target (see dg_count_success and
-- campaign-repository.ts). All 64 rows are created with the campaign: a shard row never appears mid-flight.
CREATE TABLE campaign_counters (
  campaign_id text COLLATE "C" NOT NULL,
  shard       smallint NOT NULL,
  redeemed    integer NOT NULL DEFAULT 0, -- may go below 0 on a shard (rollbacks); the sum is what counts
  open        boolean NOT NULL,
  PRIMARY KEY (campaign_id, shard)
) WITH (fillfactor = 50); -- updated on every success: room for HOT updates

-- No foreign key to campaigns: codes are bulk-loaded by the million and campaigns are never deleted;
-- the store checks the campaign (and tiers) before inserting.
CREATE TABLE codes (
  campaign_id           text COLLATE "C" NOT NULL,
  code                  text COLLATE "C" NOT NULL,
  tier                  text COLLATE "C" NOT NULL,
  state                 text COLLATE "C" NOT NULL DEFAULT 'available'
                        CHECK (state IN ('available', 'locked', 'published', 'redeemed', 'disabled')),
  customer_id           text COLLATE "C",
  attempt_id            text COLLATE "C",
  redeemed_at           timestamptz,
  lock_release_at       timestamptz,
  publication_id        text COLLATE "C",
  -- The one customer a personal publication is for (NULL: published to a channel, anyone may redeem).
  published_to_customer text COLLATE "C",
  -- Random position of the code in the claim order (see dg_take_code): spreads concurrent claims out.
  claim_order           smallint NOT NULL DEFAULT floor(random() * 32768),
  PRIMARY KEY (campaign_id, code)
) WITH (fillfactor = 85); -- a claimed code's new row version fits on its own page instead of piling up at the
                          -- end of the table, where every concurrent claim would contend for the same last page
-- One attempt can hold at most one code, whatever happens above.
CREATE UNIQUE INDEX codes_attempt_id_key ON codes (attempt_id) WHERE attempt_id IS NOT NULL;
-- Claims pick "any available code of a tier" from a random claim_order on: a partial index that only holds the
-- candidates. dg_take_code repeats the predicate literally so the planner can use it.
CREATE INDEX codes_available_idx ON codes (campaign_id, tier, claim_order) WHERE state = 'available';
-- Deliberately NO index on (campaign_id, tier, state): it matches the claim query's equalities as well as
-- codes_available_idx does, and with missing or stale statistics (a new campaign, autovacuum behind) the planner
-- then picks it, reads every available code of the tier and sorts them — a 100 ms claim instead of 0.1 ms.
-- Counts and list filters (admin work) scan the campaign's range of the primary key instead.
-- Timed locks: releaseDueLocks and claim's fallback to due locks.
CREATE INDEX codes_timed_lock_idx ON codes (campaign_id, tier, lock_release_at) WHERE state = 'locked' AND lock_release_at IS NOT NULL;
CREATE INDEX codes_lock_release_idx ON codes (lock_release_at) WHERE state = 'locked' AND lock_release_at IS NOT NULL;

-- One row per attempt id: the idempotency key. outcome is NULL only inside the transaction deciding it,
-- so no committed row ever lacks one.
CREATE TABLE attempts (
  attempt_id  text COLLATE "C" PRIMARY KEY,
  kind        text COLLATE "C" NOT NULL CHECK (kind IN ('redeem', 'claim')),
  campaign_id text COLLATE "C" NOT NULL,
  customer_id text COLLATE "C" NOT NULL,
  outcome     text COLLATE "C",
  code        text COLLATE "C",
  tier        text COLLATE "C",
  reward      text COLLATE "C",
  finished_at timestamptz NOT NULL
) WITH (fillfactor = 80); -- the row is inserted then updated once in the same transaction: keep that HOT
CREATE INDEX attempts_campaign_idx ON attempts (campaign_id);

-- Per-customer quota per scope ('campaign' or 'tier:<name>'). holders lists the attempt ids that use it, so
-- a rollback frees exactly the slot of the attempt it undoes. Enforced by a conditional upsert
-- (ON CONFLICT DO UPDATE ... WHERE cardinality(holders) < limit), never by a read-then-write.
CREATE TABLE customer_quotas (
  campaign_id text COLLATE "C" NOT NULL,
  customer_id text COLLATE "C" NOT NULL,
  scope       text COLLATE "C" NOT NULL,
  holders     text[] COLLATE "C" NOT NULL,
  PRIMARY KEY (campaign_id, customer_id, scope)
);

CREATE TABLE publications (
  publication_id text COLLATE "C" PRIMARY KEY,
  campaign_id    text COLLATE "C" NOT NULL,
  tier           text COLLATE "C" NOT NULL,
  channel        text COLLATE "C",
  customer_id    text COLLATE "C",
  count          integer NOT NULL CHECK (count >= 1),
  codes          text[] COLLATE "C" NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL
);
