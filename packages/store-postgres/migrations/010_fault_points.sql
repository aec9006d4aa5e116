-- Fault points (the steps of packages/store/src/faults.ts) in the redemption functions, as COMMENTS: in production
-- they cost nothing and nothing can switch them on. The test harness (src/testing/fault-points.ts) rewrites the
-- functions of its own temporary schema, turning each `-- @fault(step, key)` line into a call of a dg_fault function
-- that exists only there. The logic of every function below is unchanged from 002_redemption_functions.sql.

CREATE OR REPLACE FUNCTION dg_finish(p_attempt_id text, p_outcome text, p_code text, p_tier text, p_reward text) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v attempts;
BEGIN
  UPDATE attempts SET outcome = p_outcome, code = p_code, tier = p_tier, reward = p_reward
  WHERE attempt_id = p_attempt_id
  RETURNING * INTO v;
  -- @fault(v.kind || '.record', p_attempt_id)
  RETURN v;
END
$$;

CREATE OR REPLACE FUNCTION dg_redeem(p_attempt_id text, p_campaign_id text, p_code text, p_customer_id text,
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
  -- @fault('redeem.quota', p_attempt_id)

  -- 7. The write. We hold the row lock, so the row is still as checked above.
  UPDATE codes SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id,
                   redeemed_at = p_now, lock_release_at = NULL
  WHERE campaign_id = p_campaign_id AND code = p_code;
  -- @fault('redeem.code', p_attempt_id)

  v_result := dg_finish(p_attempt_id, 'redeemed', v_code.code, v_code.tier, v_tier->>'reward');

  -- 8. Count it, last. If the target filled up meanwhile, undo our writes: the attempt is sold out.
  IF dg_count_success(p_campaign_id, v_campaign.target) THEN
    -- @fault('redeem.count', p_attempt_id)
    RETURN v_result;
  END IF;
  UPDATE codes SET state = v_code.state, customer_id = v_code.customer_id, attempt_id = v_code.attempt_id,
                   redeemed_at = v_code.redeemed_at, lock_release_at = v_code.lock_release_at
  WHERE campaign_id = p_campaign_id AND code = p_code;
  PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
  RETURN dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
END
$$;

CREATE OR REPLACE FUNCTION dg_claim(p_attempt_id text, p_campaign_id text, p_tier text, p_customer_id text,
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
  -- @fault('claim.quota', p_attempt_id)

  v_taken := dg_take_code(p_campaign_id, v_tier_name, p_customer_id, p_attempt_id, p_now);
  IF v_taken.code IS NULL THEN
    PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
    RETURN dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
  END IF;
  -- @fault('claim.code', p_attempt_id)

  v_result := dg_finish(p_attempt_id, 'claimed', v_taken.code, v_tier_name, v_tier->>'reward');

  IF dg_count_success(p_campaign_id, v_campaign.target) THEN
    -- @fault('claim.count', p_attempt_id)
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

CREATE OR REPLACE FUNCTION dg_rollback(p_campaign_id text, p_code text, p_to text, p_from_states text[]) RETURNS boolean
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
  -- @fault('rollback.code', p_code)
  IF v_code.attempt_id IS NOT NULL THEN
    PERFORM dg_release_quota(p_campaign_id, v_code.customer_id, v_code.attempt_id);
  END IF;
  -- @fault('rollback.quota', p_code)
  PERFORM dg_uncount_success(p_campaign_id);
  -- @fault('rollback.count', p_code)
  RETURN true;
END
$$;
