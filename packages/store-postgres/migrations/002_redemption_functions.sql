-- Redeem, claim and rollback as stored functions: each call is ONE round trip and ONE transaction.
--
-- Why this is crash-safe: everything an attempt writes (attempt row, quota slot, code, campaign counter)
-- happens inside the single transaction of one function call. A crash (of Node, of the connection, or of
-- PostgreSQL) before COMMIT leaves nothing behind, so a redelivery starts from scratch; after COMMIT the
-- attempt row exists and answers every redelivery with the recorded result.
--
-- Why there is no double assignment: the attempt row is inserted FIRST with ON CONFLICT DO NOTHING. A
-- concurrent delivery of the same attempt id blocks on that unique key until the first transaction ends,
-- then finds the committed row and returns it. Codes change state only through conditional UPDATEs
-- (or rows locked with FOR UPDATE, whose predicate PostgreSQL re-checks on the newest row version), so
-- two attempts can never both take one code; codes.attempt_id is UNIQUE as a last line of defence.
--
-- Order of row locks in every function: attempt → customer quota → code → campaign. The campaign row is
-- the hottest one (every success bumps redeemed_count), so it is touched LAST, right before COMMIT.
-- No exceptions on the hot path: failures undo their own writes inside the transaction.
--
-- Tables are referenced unqualified: every connection of the store sets search_path to its schema.

-- The tier object of a campaign by name (NULL when the campaign has no such tier).
CREATE FUNCTION dg_tier(p_tiers jsonb, p_name text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT t FROM jsonb_array_elements(p_tiers) AS t WHERE t->>'name' = p_name LIMIT 1
$$;

-- Why a campaign refuses attempts at p_now, or NULL when it is open (mirrors isCampaignOpen in @dropgate/core).
-- A campaign stopped by its target answers sold_out rather than campaign_not_active: that is the truth
-- the customer should hear, and it is what a concurrent attempt that lost the last slot answers too.
CREATE FUNCTION dg_campaign_refusal(c campaigns, p_now timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN c.id IS NULL THEN 'campaign_not_active'
    WHEN c.starts_at IS NOT NULL AND p_now < c.starts_at THEN 'campaign_not_active'
    WHEN c.ends_at IS NOT NULL AND p_now >= c.ends_at THEN 'campaign_not_active'
    WHEN c.target IS NOT NULL AND c.redeemed_count >= c.target
         AND (c.status = 'active' OR (c.status = 'stopped' AND c.stop_reason = 'target_reached')) THEN 'sold_out'
    WHEN c.status <> 'active' THEN 'campaign_not_active'
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
LANGUAGE sql AS $$
  UPDATE customer_quotas SET holders = array_remove(holders, p_attempt_id)
  WHERE campaign_id = p_campaign_id AND customer_id = p_customer_id AND p_attempt_id = ANY (holders)
$$;

-- Counts one success against the campaign, conditional on the target: false when the target is already full.
-- Reaching the target stops the campaign in the same statement, so redeemed_count can never pass it.
CREATE FUNCTION dg_count_success(p_campaign_id text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
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
  v_races    integer := 0;
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

  LOOP
    -- 3. The code.
    SELECT * INTO v_code FROM codes WHERE campaign_id = p_campaign_id AND code = p_code;
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

    -- 7. Conditional write: succeeds only if the row is still as read above (a concurrent writer makes us
    -- wait, then PostgreSQL re-checks this WHERE on the row it committed).
    UPDATE codes SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id,
                     redeemed_at = p_now, lock_release_at = NULL
    WHERE campaign_id = p_campaign_id AND code = p_code
      AND state = v_code.state
      AND lock_release_at IS NOT DISTINCT FROM v_code.lock_release_at
      AND published_to_customer IS NOT DISTINCT FROM v_code.published_to_customer;
    EXIT WHEN FOUND;

    -- Lost the race: give the quota back and read the code again (the next statement sees the winner).
    PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
    v_races := v_races + 1;
    IF v_races >= 5 THEN
      RAISE EXCEPTION 'code % changed under attempt % % times', p_code, p_attempt_id, v_races
        USING ERRCODE = 'serialization_failure'; -- the caller retries the whole call
    END IF;
  END LOOP;

  v_result := dg_finish(p_attempt_id, 'redeemed', v_code.code, v_code.tier, v_tier->>'reward');

  -- 8. Count it, last. If the target filled up meanwhile, undo our writes: the attempt is sold out.
  IF dg_count_success(p_campaign_id) THEN
    RETURN v_result;
  END IF;
  UPDATE codes SET state = v_code.state, customer_id = v_code.customer_id, attempt_id = v_code.attempt_id,
                   redeemed_at = v_code.redeemed_at, lock_release_at = v_code.lock_release_at
  WHERE campaign_id = p_campaign_id AND code = p_code;
  PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
  RETURN dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
END
$$;

-- claim: any available code of a tier (NULL: the campaign's first tier).
CREATE FUNCTION dg_claim(p_attempt_id text, p_campaign_id text, p_tier text, p_customer_id text,
                         p_now timestamptz) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v_result    attempts;
  v_campaign  campaigns;
  v_code      codes;
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

  -- Any available code. SKIP LOCKED: concurrent claims each take a different row instead of queueing on
  -- the first one; FOR UPDATE re-checks the predicate on the newest version, so the row we get is still
  -- available and now ours. The literal state = 'available' matches the partial index codes_available_idx.
  -- (Claims never take published codes: those belong to their audience.)
  SELECT * INTO v_code FROM codes
  WHERE campaign_id = p_campaign_id AND tier = v_tier_name AND state = 'available'
  LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    -- A lock whose release time has passed counts as available.
    SELECT * INTO v_code FROM codes
    WHERE campaign_id = p_campaign_id AND tier = v_tier_name AND state = 'locked'
      AND lock_release_at IS NOT NULL AND lock_release_at <= p_now
    LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
      PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
      RETURN dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
    END IF;
  END IF;

  UPDATE codes SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id,
                   redeemed_at = p_now, lock_release_at = NULL
  WHERE campaign_id = p_campaign_id AND code = v_code.code AND state = v_code.state;
  IF NOT FOUND THEN -- cannot happen while we hold the row lock; fail loudly rather than record a lie
    RAISE EXCEPTION 'claimed code % of campaign % changed under its row lock', v_code.code, p_campaign_id;
  END IF;

  v_result := dg_finish(p_attempt_id, 'claimed', v_code.code, v_tier_name, v_tier->>'reward');

  IF dg_count_success(p_campaign_id) THEN
    RETURN v_result;
  END IF;
  UPDATE codes SET state = v_code.state, customer_id = v_code.customer_id, attempt_id = v_code.attempt_id,
                   redeemed_at = v_code.redeemed_at, lock_release_at = v_code.lock_release_at
  WHERE campaign_id = p_campaign_id AND code = v_code.code;
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
  UPDATE campaigns SET redeemed_count = greatest(redeemed_count - 1, 0), updated_at = now()
  WHERE id = p_campaign_id;
  RETURN true;
END
$$;
