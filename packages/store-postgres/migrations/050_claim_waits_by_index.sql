-- A claim that finds no free code of its tier (a sold-out tier: every claim of it from then on) waits for the available
-- codes other transactions hold (011). That query had no ORDER BY: `... AND state = 'available' LIMIT 1 FOR UPDATE`.
-- Once the codes table has statistics (autovacuum analyses it after any bulk load), the planner prices a sequential
-- scan that stops at the first match as the cheapest plan for "LIMIT 1 of thousands of matching rows", so every claim
-- of a sold-out tier read the WHOLE codes table to find nothing (auto_explain: `Seq Scan on codes`; pg_stat_user_tables:
-- 774 seq scans, 14.5 M rows read for 20,000 drain attempts). Ordered by claim_order, the query is the partial index
-- codes_available_idx's own order: an index scan of the tier's (empty) range, whatever the statistics say. Which held
-- code it waits for first does not matter. Same body as in 011 otherwise.
CREATE OR REPLACE FUNCTION dg_take_code(p_campaign_id text, p_tier text, p_customer_id text, p_attempt_id text,
                                        p_now timestamptz, OUT code text, OUT previous_state text,
                                        OUT previous_lock_release_at timestamptz)
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

  -- Nothing free right now: wait for the available codes open transactions hold.
  UPDATE codes AS c SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id, redeemed_at = p_now
  WHERE c.campaign_id = p_campaign_id AND c.code = (
    SELECT a.code FROM codes AS a
    WHERE a.campaign_id = p_campaign_id AND a.tier = p_tier AND a.state = 'available'
    ORDER BY a.claim_order LIMIT 1 FOR UPDATE)
  RETURNING c.code INTO code;
  IF FOUND THEN RETURN; END IF;

  -- Due locks: free ones first, then (waiting) held ones.
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
  IF FOUND THEN RETURN; END IF;

  WITH due AS (
    SELECT a.code, a.lock_release_at FROM codes AS a
    WHERE a.campaign_id = p_campaign_id AND a.tier = p_tier AND a.state = 'locked'
      AND a.lock_release_at IS NOT NULL AND a.lock_release_at <= p_now
    LIMIT 1 FOR UPDATE)
  UPDATE codes AS c SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id,
                        redeemed_at = p_now, lock_release_at = NULL
  FROM due WHERE c.campaign_id = p_campaign_id AND c.code = due.code
  RETURNING c.code, due.lock_release_at INTO code, previous_lock_release_at;
  IF NOT FOUND THEN
    previous_state := NULL;
  END IF;
END
$$;
