-- Three corrections of the redemption functions (packages/store/README.md states the rules; the fault points of
-- 010 are kept, as comments).
--
-- 1. No wrong sold_out. A claim's FOR UPDATE SKIP LOCKED passes over codes that open transactions hold. If no free
--    code is left, such a held code may still come back (its transaction may roll back: a batch that fails, a
--    deadlock victim, a dropped connection), so the claim now WAITS for the held codes, one after the other,
--    before it answers sold_out. sold_out therefore means: no claimable code exists once every transaction that
--    held one has ended.
--
-- 2. Batches count their successes once, at the end. Each element of dg_attempt_many decides and writes as before
--    but leaves the counting (the campaign row of a campaign with a target, a shard row otherwise) to ONE
--    conditional update per campaign after the last element. A batch used to take the campaign row at its first
--    success and keep it to its commit, so batches of one campaign with a target queued behind each other, hit
--    their 50 ms lock timeout and were redone one by one. Now the row is locked only from that last update to the
--    commit, as by a single call. The update grants what still fits under the target; successes beyond it are
--    undone (code back, quota back) and answer sold_out, as a single call that lost the last slot does.
--
-- 3. A rollback marks the attempt that held the code (attempts.rolled_back_at): its record keeps what it got,
--    says that it was taken back, and no longer counts as holding the code (which may go to someone else).

ALTER TABLE attempts ADD COLUMN rolled_back_at timestamptz;

-- Counts p_n successes of one campaign in one statement's worth of locking; returns how many it could count.
-- Without a target: all of them, on this connection's shard of campaign_counters. With a target (or shards closed
-- because one was just set): what still fits below the target, on the campaign row; reaching the target stops the
-- campaign in the same update. The campaign row is locked from here to COMMIT: call it last.
CREATE FUNCTION dg_count_successes(p_campaign_id text, p_target integer, p_n integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_count   integer;
  v_target  integer;
  v_granted integer;
BEGIN
  IF p_n <= 0 THEN
    RETURN 0;
  END IF;
  IF p_target IS NULL THEN
    UPDATE campaign_counters SET redeemed = redeemed + p_n
    WHERE campaign_id = p_campaign_id AND shard = pg_backend_pid() % 64 AND open;
    IF FOUND THEN
      RETURN p_n;
    END IF;
  END IF;
  SELECT redeemed_count, target INTO v_count, v_target FROM campaigns WHERE id = p_campaign_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  v_granted := CASE WHEN v_target IS NULL THEN p_n ELSE greatest(0, least(p_n, v_target - v_count)) END;
  IF v_granted > 0 THEN
    UPDATE campaigns SET
      redeemed_count = redeemed_count + v_granted,
      status = CASE WHEN target IS NOT NULL AND redeemed_count + v_granted >= target AND status IN ('active', 'paused')
                    THEN 'stopped' ELSE status END,
      stop_reason = CASE WHEN target IS NOT NULL AND redeemed_count + v_granted >= target AND status IN ('active', 'paused')
                         THEN 'target_reached' ELSE stop_reason END,
      updated_at = CASE WHEN target IS NOT NULL AND redeemed_count + v_granted >= target AND status IN ('active', 'paused')
                        THEN now() ELSE updated_at END
    WHERE id = p_campaign_id;
  END IF;
  RETURN v_granted;
END
$$;

-- Takes back a success this transaction wrote but could not count (the target filled up): the code returns to
-- what it was (published if it belongs to a publication, else available: a due lock is available anyway), the
-- quota slot is freed, and the attempt answers sold_out.
CREATE FUNCTION dg_undo_success(p_attempt_id text) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v attempts;
BEGIN
  UPDATE codes SET state = CASE WHEN publication_id IS NOT NULL THEN 'published' ELSE 'available' END,
                   customer_id = NULL, attempt_id = NULL, redeemed_at = NULL, lock_release_at = NULL
  WHERE attempt_id = p_attempt_id;
  SELECT * INTO v FROM attempts WHERE attempt_id = p_attempt_id;
  PERFORM dg_release_quota(v.campaign_id, v.customer_id, p_attempt_id);
  RETURN dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
END
$$;

-- One redeem. p_count = false (inside a batch): a new success is not counted here; to_count tells the caller to
-- count it. Steps follow the order of checks in packages/store/README.md.
CREATE FUNCTION dg_redeem_step(p_attempt_id text, p_campaign_id text, p_code text, p_customer_id text,
                               p_now timestamptz, p_redeem_states text[], p_count boolean,
                               OUT attempt attempts, OUT to_count boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_campaign campaigns;
  v_code     codes;
  v_tier     jsonb;
  v_state    text;
  v_refusal  text;
BEGIN
  to_count := false;
  -- 1. Take the attempt id; a redelivery waits here for the first delivery, then returns its result.
  INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, finished_at)
  VALUES (p_attempt_id, 'redeem', p_campaign_id, p_customer_id, p_now)
  ON CONFLICT (attempt_id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT * INTO attempt FROM attempts WHERE attempt_id = p_attempt_id;
    RETURN;
  END IF;

  -- 2. Campaign open and under its target (re-checked by the conditional count at the end).
  SELECT * INTO v_campaign FROM campaigns WHERE id = p_campaign_id;
  v_refusal := dg_campaign_refusal(v_campaign, p_now);
  IF v_refusal IS NOT NULL THEN
    attempt := dg_finish(p_attempt_id, v_refusal, NULL, NULL, NULL);
    RETURN;
  END IF;

  -- 3. The code, locked: a concurrent redeem of the same code makes us wait until it ends, and we then see the row
  -- it committed. Every check below is on the newest row, which nobody can change until we commit.
  SELECT * INTO v_code FROM codes WHERE campaign_id = p_campaign_id AND code = p_code FOR UPDATE;
  IF NOT FOUND THEN
    attempt := dg_finish(p_attempt_id, 'code_not_found', NULL, NULL, NULL);
    RETURN;
  END IF;
  v_tier := dg_tier(v_campaign.tiers, v_code.tier);

  -- 4. Already this customer's: idempotent success, no quota, no count.
  IF v_code.state = 'redeemed' AND v_code.customer_id = p_customer_id THEN
    attempt := dg_finish(p_attempt_id, 'already_redeemed', v_code.code, v_code.tier, v_tier->>'reward');
    RETURN;
  END IF;

  -- 5. State (a lock whose release time has passed counts as available) and audience.
  v_state := CASE WHEN v_code.state = 'locked' AND v_code.lock_release_at <= p_now THEN 'available' ELSE v_code.state END;
  IF NOT (v_state = ANY (p_redeem_states)) THEN
    attempt := dg_finish(p_attempt_id,
      CASE v_state WHEN 'redeemed' THEN 'code_already_used' WHEN 'locked' THEN 'code_locked'
                   WHEN 'disabled' THEN 'code_disabled' ELSE 'code_not_found' END,
      NULL, NULL, NULL);
    RETURN;
  END IF;
  IF (v_state = 'published' AND v_code.published_to_customer IS NOT NULL AND v_code.published_to_customer <> p_customer_id)
     OR (v_state = 'available' AND v_campaign.redeem_requires_publication) THEN
    attempt := dg_finish(p_attempt_id, 'code_not_found', NULL, NULL, NULL); -- do not reveal unreleased codes
    RETURN;
  END IF;

  -- 6. Per-customer limits.
  IF NOT dg_take_quota(p_campaign_id, p_customer_id, p_attempt_id, v_campaign.per_customer_limit,
                       v_code.tier, (v_tier->>'perCustomerLimit')::integer) THEN
    attempt := dg_finish(p_attempt_id, 'customer_limit_reached', NULL, NULL, NULL);
    RETURN;
  END IF;
  -- @fault('redeem.quota', p_attempt_id)

  -- 7. The write. We hold the row lock, so the row is still as checked above.
  UPDATE codes SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id,
                   redeemed_at = p_now, lock_release_at = NULL
  WHERE campaign_id = p_campaign_id AND code = p_code;
  -- @fault('redeem.code', p_attempt_id)

  attempt := dg_finish(p_attempt_id, 'redeemed', v_code.code, v_code.tier, v_tier->>'reward');

  -- 8. Count it, last (or leave it to the batch). If the target filled up meanwhile, undo: the attempt is sold out.
  IF NOT p_count THEN
    to_count := true;
  ELSIF dg_count_successes(p_campaign_id, v_campaign.target, 1) = 1 THEN
    -- @fault('redeem.count', p_attempt_id)
    NULL;
  ELSE
    attempt := dg_undo_success(p_attempt_id);
  END IF;
END
$$;

-- Takes one claimable code of a tier for an attempt: an available code (or a lock whose release time has
-- passed). Returns the code, or NULL when no claimable code exists.
--
-- First without waiting (SKIP LOCKED): concurrent claims take different rows instead of queueing on one. Each
-- starts at a random claim_order and wraps around, so concurrent claims start in different places. Only when
-- that finds nothing does it look at the codes other transactions hold right now: FOR UPDATE without SKIP LOCKED
-- waits for each in turn; one its holder took for good no longer matches (re-checked on the newest row version)
-- and is passed over, one whose holder rolled back is ours. Without that wait a claim would answer sold_out while
-- a code can still come back.
-- The literal state = 'available' matches the partial index codes_available_idx. Claims never take published
-- codes (those belong to their audience).
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
    LIMIT 1 FOR UPDATE)
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

-- One claim of any available code of a tier (NULL: the campaign's first tier). p_count as in dg_redeem_step.
CREATE FUNCTION dg_claim_step(p_attempt_id text, p_campaign_id text, p_tier text, p_customer_id text,
                              p_now timestamptz, p_count boolean, OUT attempt attempts, OUT to_count boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_campaign  campaigns;
  v_taken     record;
  v_tier      jsonb;
  v_tier_name text;
  v_refusal   text;
BEGIN
  to_count := false;
  INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, finished_at)
  VALUES (p_attempt_id, 'claim', p_campaign_id, p_customer_id, p_now)
  ON CONFLICT (attempt_id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT * INTO attempt FROM attempts WHERE attempt_id = p_attempt_id;
    RETURN;
  END IF;

  SELECT * INTO v_campaign FROM campaigns WHERE id = p_campaign_id;
  v_refusal := dg_campaign_refusal(v_campaign, p_now);
  IF v_refusal IS NOT NULL THEN
    attempt := dg_finish(p_attempt_id, v_refusal, NULL, NULL, NULL);
    RETURN;
  END IF;

  v_tier_name := coalesce(p_tier, v_campaign.tiers->0->>'name');
  v_tier := dg_tier(v_campaign.tiers, v_tier_name);
  IF v_tier IS NULL THEN
    attempt := dg_finish(p_attempt_id, 'code_not_found', NULL, NULL, NULL);
    RETURN;
  END IF;

  IF NOT dg_take_quota(p_campaign_id, p_customer_id, p_attempt_id, v_campaign.per_customer_limit,
                       v_tier_name, (v_tier->>'perCustomerLimit')::integer) THEN
    attempt := dg_finish(p_attempt_id, 'customer_limit_reached', NULL, NULL, NULL);
    RETURN;
  END IF;
  -- @fault('claim.quota', p_attempt_id)

  v_taken := dg_take_code(p_campaign_id, v_tier_name, p_customer_id, p_attempt_id, p_now);
  IF v_taken.code IS NULL THEN
    PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
    attempt := dg_finish(p_attempt_id, 'sold_out', NULL, NULL, NULL);
    RETURN;
  END IF;
  -- @fault('claim.code', p_attempt_id)

  attempt := dg_finish(p_attempt_id, 'claimed', v_taken.code, v_tier_name, v_tier->>'reward');

  IF NOT p_count THEN
    to_count := true;
  ELSIF dg_count_successes(p_campaign_id, v_campaign.target, 1) = 1 THEN
    -- @fault('claim.count', p_attempt_id)
    NULL;
  ELSE
    attempt := dg_undo_success(p_attempt_id); -- the target filled up meanwhile
  END IF;
END
$$;

-- The single calls: one attempt, counted in place. Same signatures as before, so callers do not change.
CREATE OR REPLACE FUNCTION dg_redeem(p_attempt_id text, p_campaign_id text, p_code text, p_customer_id text,
                                     p_now timestamptz, p_redeem_states text[]) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v attempts;
BEGIN
  SELECT (s.attempt).* INTO v FROM dg_redeem_step(p_attempt_id, p_campaign_id, p_code, p_customer_id, p_now, p_redeem_states, true) AS s;
  RETURN v;
END
$$;

CREATE OR REPLACE FUNCTION dg_claim(p_attempt_id text, p_campaign_id text, p_tier text, p_customer_id text,
                                    p_now timestamptz) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v attempts;
BEGIN
  SELECT (s.attempt).* INTO v FROM dg_claim_step(p_attempt_id, p_campaign_id, p_tier, p_customer_id, p_now, true) AS s;
  RETURN v;
END
$$;

DROP FUNCTION dg_count_success(text, integer);

-- A batch (see 004_batch_functions.sql for the element order and the 50 ms bound on lock waits). Elements run
-- through the same step functions with counting left to the end: then ONE dg_count_successes per campaign, in
-- campaign order (so two batches never wait on each other's campaign rows in a cycle), without the 50 ms bound:
-- a campaign row is only ever held from such a final update to its COMMIT. Successes the target has no room for
-- are undone, last decided first. The rows returned are read at the very end, so an attempt id given twice
-- answers its final result.
DROP FUNCTION dg_attempt_many(jsonb, text[]);
CREATE FUNCTION dg_attempt_many(p_attempts jsonb, p_redeem_states text[]) RETURNS SETOF attempts
SET lock_timeout = '50ms'
LANGUAGE plpgsql AS $$
DECLARE
  x        record;
  s        record;
  v_ids    text[] := '{}';
  v_counts jsonb := '{}';   -- campaign id → {"t": target, "a": [attempt ids to count, in decision order]}
  v_c      record;
  v_n      integer;
  v_gone   integer;
BEGIN
  FOR x IN
    SELECT * FROM jsonb_to_recordset(p_attempts) AS e(k text, a text, m text, u text, c text, t text, n timestamptz)
    ORDER BY e.m, e.c NULLS LAST, e.u, e.a
  LOOP
    IF x.k = 'redeem' THEN
      s := dg_redeem_step(x.a, x.m, x.c, x.u, x.n, p_redeem_states, false);
    ELSIF x.k = 'claim' THEN
      s := dg_claim_step(x.a, x.m, x.t, x.u, x.n, false);
    ELSE
      RAISE EXCEPTION 'dg_attempt_many: unknown kind %', x.k;
    END IF;
    v_ids := v_ids || x.a;
    IF s.to_count THEN
      v_counts := jsonb_set(v_counts, ARRAY[x.m],
        jsonb_build_object('a', coalesce(v_counts->x.m->'a', '[]'::jsonb) || to_jsonb(x.a)));
    END IF;
  END LOOP;

  PERFORM set_config('lock_timeout', '0', true); -- restored when the function returns
  FOR v_c IN SELECT key AS campaign_id, value->'a' AS ids FROM jsonb_each(v_counts) ORDER BY key LOOP
    v_n := jsonb_array_length(v_c.ids);
    v_gone := v_n - dg_count_successes(v_c.campaign_id, (SELECT target FROM campaigns WHERE id = v_c.campaign_id), v_n);
    FOR i IN 1 .. v_gone LOOP
      PERFORM dg_undo_success(v_c.ids->>(v_n - i));
    END LOOP;
  END LOOP;
  -- @fault('batch.count', p_attempts->0->>'a')

  RETURN QUERY SELECT * FROM attempts WHERE attempt_id = ANY (v_ids);
END
$$;

-- rollback: redeemed → p_to (available|disabled) in one transaction, freeing the quota slot of the attempt that held
-- the code and its place under the target, and marking that attempt rolled back (as of p_now).
-- p_from_states = statesAllowing('rollback'). A campaign stopped by its target stays stopped: resuming is an
-- operator's decision.
DROP FUNCTION dg_rollback(text, text, text, text[]);
CREATE FUNCTION dg_rollback(p_campaign_id text, p_code text, p_to text, p_from_states text[], p_now timestamptz) RETURNS boolean
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
  UPDATE attempts SET rolled_back_at = p_now WHERE attempt_id = v_code.attempt_id;
  -- @fault('rollback.attempt', p_code)
  RETURN true;
END
$$;
