-- Redeem, claim and rollback as stored functions: each call is ONE round trip and ONE transaction.
--
-- Why this is crash-safe: everything an attempt writes (attempt row, quota slot, code, campaign counter)
-- happens inside the single transaction of one function call. A crash (of Node, of the connection, or of
-- PostgreSQL) before COMMIT leaves nothing behind, so a redelivery starts from scratch; after COMMIT the
-- attempt row exists and answers every redelivery with the recorded result.
--
-- Why there is no double assignment: the attempt row is inserted FIRST with ON CONFLICT DO NOTHING. A
-- concurrent delivery of the same attempt id blocks on that unique key until the first transaction ends,
-- then finds the committed row and returns it. A code is only ever changed by the transaction holding its
-- row lock (FOR UPDATE, whose predicate PostgreSQL re-checks on the newest row version after any wait), and
-- every decision is taken on that locked, newest row: two attempts can never both take one code.
-- codes.attempt_id is UNIQUE as a last line of defence.
--
-- Why no customer goes over a limit: the quota slot is a conditional upsert on the customer's quota row
-- (dg_take_quota), which serialises that customer's concurrent attempts.
--
-- Why redeemed_count never passes the target: it is only incremented by a conditional UPDATE
-- (redeemed_count < target) on the campaign row, and an attempt that loses there undoes its own writes.
-- That row is the hottest one (every success bumps it), so it is touched LAST, right before COMMIT.
--
-- Lock order: redeem/rollback take attempt → code → quota → campaign; claim takes attempt → quota → code, but
-- its code lock is SKIP LOCKED (it never waits for one), so no cycle can form. No exceptions on the hot path:
-- failures undo their own writes inside the transaction.
--
-- Tables are referenced unqualified: every connection of the store sets search_path to its schema.

-- Helpers are PL/pgSQL, never LANGUAGE sql: a SQL-language function called from PL/pgSQL is parsed and
-- planned again on every call, PL/pgSQL caches its plans per connection.

-- The tier object of a campaign by name (NULL when the campaign has no such tier).
CREATE FUNCTION dg_tier(p_tiers jsonb, p_name text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN jsonb_path_query_first(p_tiers, '$[*] ? (@.name == $name)', jsonb_build_object('name', p_name));
END
$$;

-- Why a campaign refuses attempts at p_now, or NULL when it is open (mirrors isCampaignOpen in @dropgate/core).
-- A campaign stopped by its target answers sold_out rather than campaign_not_active: that is the truth
-- the customer should hear, and it is what a concurrent attempt that lost the last slot answers too.
CREATE FUNCTION dg_campaign_refusal(c campaigns, p_now timestamptz) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF c.id IS NULL
     OR (c.starts_at IS NOT NULL AND p_now < c.starts_at)
     OR (c.ends_at IS NOT NULL AND p_now >= c.ends_at) THEN
    RETURN 'campaign_not_active';
  END IF;
  IF c.target IS NOT NULL AND c.redeemed_count >= c.target
     AND (c.status = 'active' OR (c.status = 'stopped' AND c.stop_reason = 'target_reached')) THEN
    RETURN 'sold_out';
  END IF;
  IF c.status <> 'active' THEN
    RETURN 'campaign_not_active';
  END IF;
  RETURN NULL;
END
$$;

-- Records the outcome on the attempt row inserted at the start of the same transaction.
CREATE FUNCTION dg_finish(p_attempt_id text, p_outcome text, p_code text, p_tier text, p_reward text) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v attempts;
BEGIN
  UPDATE attempts SET outcome = p_outcome, code = p_code, tier = p_tier, reward = p_reward
  WHERE attempt_id = p_attempt_id
  RETURNING * INTO v;
  RETURN v;
END
$$;

-- Reserves one slot of each per-customer scope the attempt must fit in ('campaign', then 'tier:<name>' when
-- the tier has its own limit — the scope names of quotaScopes in @dropgate/core). Each reservation is a
-- conditional upsert: it only succeeds while the holders are fewer than the limit, and concurrent attempts
-- of the same customer serialise on the quota row. Returns false (holding nothing) when a scope is full.
CREATE FUNCTION dg_take_quota(p_campaign_id text, p_customer_id text, p_attempt_id text,
                              p_campaign_limit integer, p_tier text, p_tier_limit integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO customer_quotas AS q (campaign_id, customer_id, scope, holders)
  VALUES (p_campaign_id, p_customer_id, 'campaign', ARRAY[p_attempt_id])
  ON CONFLICT (campaign_id, customer_id, scope)
  DO UPDATE SET holders = array_append(q.holders, p_attempt_id)
  WHERE cardinality(q.holders) < p_campaign_limit;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF p_tier_limit IS NOT NULL THEN
    INSERT INTO customer_quotas AS q (campaign_id, customer_id, scope, holders)
    VALUES (p_campaign_id, p_customer_id, 'tier:' || p_tier, ARRAY[p_attempt_id])
    ON CONFLICT (campaign_id, customer_id, scope)
    DO UPDATE SET holders = array_append(q.holders, p_attempt_id)
    WHERE cardinality(q.holders) < p_tier_limit;
    IF NOT FOUND THEN
      PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
      RETURN false;
    END IF;
  END IF;
  RETURN true;
END
$$;

-- Gives back every slot held by one attempt (a failed attempt never consumes quota; rollback frees it).
CREATE FUNCTION dg_release_quota(p_campaign_id text, p_customer_id text, p_attempt_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customer_quotas SET holders = array_remove(holders, p_attempt_id)
  WHERE campaign_id = p_campaign_id AND customer_id = p_customer_id AND p_attempt_id = ANY (holders);
END
$$;

-- Counts one success. Without a target: +1 on this connection's shard of campaign_counters (no shared hot
-- row). With a target, or when the shards were closed meanwhile because a target was just set: the conditional
-- increment of campaigns.redeemed_count, false when the target is already full. Reaching the target stops the
-- campaign in the same statement, so redeemed_count can never pass it. Called LAST, right before COMMIT: the
-- campaign row is the hottest lock of a campaign with a target.
CREATE FUNCTION dg_count_success(p_campaign_id text, p_target integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF p_target IS NULL THEN
    UPDATE campaign_counters SET redeemed = redeemed + 1
    WHERE campaign_id = p_campaign_id AND shard = pg_backend_pid() % 64 AND open;
    IF FOUND THEN
      RETURN true;
    END IF;
  END IF;
  UPDATE campaigns SET
    redeemed_count = redeemed_count + 1,
    status = CASE WHEN target IS NOT NULL AND redeemed_count + 1 >= target AND status IN ('active', 'paused')
                  THEN 'stopped' ELSE status END,
    stop_reason = CASE WHEN target IS NOT NULL AND redeemed_count + 1 >= target AND status IN ('active', 'paused')
                       THEN 'target_reached' ELSE stop_reason END,
    updated_at = CASE WHEN target IS NOT NULL AND redeemed_count + 1 >= target AND status IN ('active', 'paused')
                      THEN now() ELSE updated_at END
  WHERE id = p_campaign_id AND (target IS NULL OR redeemed_count < target);
  RETURN FOUND;
END
$$;

-- Takes one success back (rollback): from this connection's open shard, else from the campaign row.
CREATE FUNCTION dg_uncount_success(p_campaign_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE campaign_counters SET redeemed = redeemed - 1
  WHERE campaign_id = p_campaign_id AND shard = pg_backend_pid() % 64 AND open;
  IF NOT FOUND THEN
    UPDATE campaigns SET redeemed_count = greatest(redeemed_count - 1, 0), updated_at = now()
    WHERE id = p_campaign_id;
  END IF;
END
$$;

-- redeem: one specific code. p_redeem_states = statesAllowing('redeem') from @dropgate/core.
-- Steps follow the order of checks in packages/store/README.md.
CREATE FUNCTION dg_redeem(p_attempt_id text, p_campaign_id text, p_code text, p_customer_id text,
                          p_now timestamptz, p_redeem_states text[]) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v_result   attempts;
  v_campaign campaigns;
  v_code     codes;
  v_tier     jsonb;
  v_state    text;
  v_refusal  text;
BEGIN
  -- 1. Take the attempt id; a redelivery waits here for the first delivery, then returns its result.
  INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, finished_at)
  VALUES (p_attempt_id, 'redeem', p_campaign_id, p_customer_id, p_now)
  ON CONFLICT (attempt_id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT * INTO v_result FROM attempts WHERE attempt_id = p_attempt_id;
    RETURN v_result;
  END IF;

  -- 2. Campaign open and under its target (re-checked by the conditional increment at the end).
  SELECT * INTO v_campaign FROM campaigns WHERE id = p_campaign_id;
  v_refusal := dg_campaign_refusal(v_campaign, p_now);
  IF v_refusal IS NOT NULL THEN
    RETURN dg_finish(p_attempt_id, v_refusal, NULL, NULL, NULL);
  END IF;

  -- 3. The code, locked: a concurrent redeem of the same code makes us wait until it ends, and we then see
  -- the row it committed. Every check below is on the newest row, which nobody can change until we commit.
  -- (The lookup is by primary key only: no state predicate, so no partial index can tempt the planner.)
  SELECT * INTO v_code FROM codes WHERE campaign_id = p_campaign_id AND code = p_code FOR UPDATE;
  IF NOT FOUND THEN
    RETURN dg_finish(p_attempt_id, 'code_not_found', NULL, NULL, NULL);
  END IF;
  v_tier := dg_tier(v_campaign.tiers, v_code.tier);

  -- 4. Already this customer's: idempotent success, no quota, no count.
  IF v_code.state = 'redeemed' AND v_code.customer_id = p_customer_id THEN
    RETURN dg_finish(p_attempt_id, 'already_redeemed', v_code.code, v_code.tier, v_tier->>'reward');
  END IF;

  -- 5. State (a lock whose release time has passed counts as available) and audience.
  v_state := CASE WHEN v_code.state = 'locked' AND v_code.lock_release_at <= p_now THEN 'available' ELSE v_code.state END;
  IF NOT (v_state = ANY (p_redeem_states)) THEN
    RETURN dg_finish(p_attempt_id,
      CASE v_state WHEN 'redeemed' THEN 'code_already_used' WHEN 'locked' THEN 'code_locked'
                   WHEN 'disabled' THEN 'code_disabled' ELSE 'code_not_found' END,
      NULL, NULL, NULL);
  END IF;
  IF (v_state = 'published' AND v_code.published_to_customer IS NOT NULL AND v_code.published_to_customer <> p_customer_id)
     OR (v_state = 'available' AND v_campaign.redeem_requires_publication) THEN
    RETURN dg_finish(p_attempt_id, 'code_not_found', NULL, NULL, NULL); -- do not reveal unreleased codes
  END IF;

  -- 6. Per-customer limits.
  IF NOT dg_take_quota(p_campaign_id, p_customer_id, p_attempt_id, v_campaign.per_customer_limit,
                       v_code.tier, (v_tier->>'perCustomerLimit')::integer) THEN
    RETURN dg_finish(p_attempt_id, 'customer_limit_reached', NULL, NULL, NULL);
  END IF;

  -- 7. The write. We hold the row lock, so the row is still as checked above.
  UPDATE codes SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id,
                   redeemed_at = p_now, lock_release_at = NULL
  WHERE campaign_id = p_campaign_id AND code = p_code;

  v_result := dg_finish(p_attempt_id, 'redeemed', v_code.code, v_code.tier, v_tier->>'reward');

  -- 8. Count it, last. If the target filled up meanwhile, undo our writes: the attempt is sold out.
  IF dg_count_success(p_campaign_id, v_campaign.target) THEN
    RETURN v_result;
  END IF;
  UPDATE codes SET state = v_code.state, customer_id = v_code.customer_id, attempt_id = v_code.attempt_id,
                   redeemed_at = v_code.redeemed_at, lock_release_at = v_code.lock_release_at
  WHERE campaign_id = p_campaign_id AND code = p_code;
  PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
  RETURN dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
END
$$;

-- Takes one claimable code of a tier for an attempt, in ONE statement: the sub-select finds and row-locks a
-- candidate, the UPDATE (by primary key) makes it the attempt's. Returns the code and the state it had, or no
-- row when none is left.
--
-- SKIP LOCKED: concurrent claims never queue on a row another claim is taking; FOR UPDATE re-checks the
-- predicate on the newest row version, so the row we get is still claimable and ours until COMMIT.
-- Each claim starts at a random claim_order (codes.claim_order is random per code) and wraps around: concurrent claims
-- start in different places instead of all fighting over — and skipping — the same first rows, and no
-- scan has to walk past the index entries of every code claimed before it.
-- The literal state = 'available' matches the partial index codes_available_idx. Claims never take published
-- codes (those belong to their audience); a lock whose release time has passed counts as available.
CREATE FUNCTION dg_take_code(p_campaign_id text, p_tier text, p_customer_id text, p_attempt_id text,
                             p_now timestamptz, OUT code text, OUT previous_state text, OUT previous_lock_release_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_start smallint := floor(random() * 32768);
BEGIN
  previous_state := 'available';
  UPDATE codes AS c SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id, redeemed_at = p_now
  WHERE c.campaign_id = p_campaign_id AND c.code = (
    SELECT a.code FROM codes AS a
    WHERE a.campaign_id = p_campaign_id AND a.tier = p_tier AND a.state = 'available' AND a.claim_order >= v_start
    ORDER BY a.claim_order LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING c.code INTO code;
  IF FOUND THEN RETURN; END IF;

  UPDATE codes AS c SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id, redeemed_at = p_now
  WHERE c.campaign_id = p_campaign_id AND c.code = (
    SELECT a.code FROM codes AS a
    WHERE a.campaign_id = p_campaign_id AND a.tier = p_tier AND a.state = 'available' AND a.claim_order < v_start
    ORDER BY a.claim_order LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING c.code INTO code;
  IF FOUND THEN RETURN; END IF;

  previous_state := 'locked';
  WITH due AS (
    SELECT a.code, a.lock_release_at FROM codes AS a
    WHERE a.campaign_id = p_campaign_id AND a.tier = p_tier AND a.state = 'locked'
      AND a.lock_release_at IS NOT NULL AND a.lock_release_at <= p_now
    LIMIT 1 FOR UPDATE SKIP LOCKED)
  UPDATE codes AS c SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id,
                        redeemed_at = p_now, lock_release_at = NULL
  FROM due WHERE c.campaign_id = p_campaign_id AND c.code = due.code
  RETURNING c.code, due.lock_release_at INTO code, previous_lock_release_at;
  IF NOT FOUND THEN
    previous_state := NULL;
  END IF;
END
$$;

-- claim: any available code of a tier (NULL: the campaign's first tier).
CREATE FUNCTION dg_claim(p_attempt_id text, p_campaign_id text, p_tier text, p_customer_id text,
                         p_now timestamptz) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v_result    attempts;
  v_campaign  campaigns;
  v_taken     record;
  v_tier      jsonb;
  v_tier_name text;
  v_refusal   text;
BEGIN
  INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, finished_at)
  VALUES (p_attempt_id, 'claim', p_campaign_id, p_customer_id, p_now)
  ON CONFLICT (attempt_id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT * INTO v_result FROM attempts WHERE attempt_id = p_attempt_id;
    RETURN v_result;
  END IF;

  SELECT * INTO v_campaign FROM campaigns WHERE id = p_campaign_id;
  v_refusal := dg_campaign_refusal(v_campaign, p_now);
  IF v_refusal IS NOT NULL THEN
    RETURN dg_finish(p_attempt_id, v_refusal, NULL, NULL, NULL);
  END IF;

  v_tier_name := coalesce(p_tier, v_campaign.tiers->0->>'name');
  v_tier := dg_tier(v_campaign.tiers, v_tier_name);
  IF v_tier IS NULL THEN
    RETURN dg_finish(p_attempt_id, 'code_not_found', NULL, NULL, NULL);
  END IF;

  IF NOT dg_take_quota(p_campaign_id, p_customer_id, p_attempt_id, v_campaign.per_customer_limit,
                       v_tier_name, (v_tier->>'perCustomerLimit')::integer) THEN
    RETURN dg_finish(p_attempt_id, 'customer_limit_reached', NULL, NULL, NULL);
  END IF;

  v_taken := dg_take_code(p_campaign_id, v_tier_name, p_customer_id, p_attempt_id, p_now);
  IF v_taken.code IS NULL THEN
    PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
    RETURN dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
  END IF;

  v_result := dg_finish(p_attempt_id, 'claimed', v_taken.code, v_tier_name, v_tier->>'reward');

  IF dg_count_success(p_campaign_id, v_campaign.target) THEN
    RETURN v_result;
  END IF;
  -- The target filled up meanwhile: put the code back as it was, give the quota back.
  UPDATE codes SET state = v_taken.previous_state, customer_id = NULL, attempt_id = NULL, redeemed_at = NULL,
                   lock_release_at = v_taken.previous_lock_release_at
  WHERE campaign_id = p_campaign_id AND code = v_taken.code;
  PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
  RETURN dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
END
$$;

-- rollback: redeemed → p_to (available|disabled) in one transaction, freeing the quota slot of the attempt
-- that held the code and its place under the target. p_from_states = statesAllowing('rollback').
-- A campaign stopped by its target stays stopped: resuming is an operator's decision.
CREATE FUNCTION dg_rollback(p_campaign_id text, p_code text, p_to text, p_from_states text[]) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_code codes;
BEGIN
  SELECT * INTO v_code FROM codes
  WHERE campaign_id = p_campaign_id AND code = p_code AND state = ANY (p_from_states)
  FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE codes SET state = p_to, customer_id = NULL, attempt_id = NULL, redeemed_at = NULL,
                   lock_release_at = NULL, publication_id = NULL, published_to_customer = NULL
  WHERE campaign_id = p_campaign_id AND code = p_code;
  IF v_code.attempt_id IS NOT NULL THEN
    PERFORM dg_release_quota(p_campaign_id, v_code.customer_id, v_code.attempt_id);
  END IF;
  PERFORM dg_uncount_success(p_campaign_id);
  RETURN true;
END
$$;
