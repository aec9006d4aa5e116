-- A batch writes each attempt's row ONCE, with its outcome. Until now every element first inserted its attempt row
-- without an outcome (the idempotency lock: a second delivery of the id waits on that key) and then wrote the outcome
-- into it (dg_finish's UPDATE). dg_attempt_many now reads which of its attempt ids are recorded already, once (those
-- answer their recorded result, as before), and each other element decides, then inserts its row with its outcome
-- (dg_record): one write of the row instead of two.
--
-- Idempotency without the key taken first: dg_record's INSERT ... ON CONFLICT DO NOTHING waits for a transaction still
-- deciding the same id, and when another one has recorded it meanwhile (a redelivery, a refusal), it inserts nothing
-- and the batch raises serialization_failure (40001). Nothing of the batch commits (its code, quota and count writes
-- go with it) and the caller runs its attempts one by one, where each single call takes the attempt id first and
-- answers the recorded result. The primary key still lets only one transaction commit an attempt id, and
-- codes.attempt_id stays unique. One attempt id decided by two transactions at once is rare (BullMQ runs a job once at
-- a time: a stalled job's redelivery, a refusal racing its attempt); it then costs the batch a fallback, as a lock
-- wait past its 50 ms bound does. That bound also breaks the new lock-order cycle (a batch waiting on an attempt id at
-- the end of its element, holding code and quota rows, while a single call holding that id waits on them).
-- The single calls (dg_redeem, dg_claim) keep the attempt id first: there a second delivery waits, then answers.
--
-- The step functions take p_in_batch instead of p_count (both meant "inside dg_attempt_many"; same argument types, so
-- dropped first) and end every decision in ONE outcome (EXIT decide) written at one place. Steps, checks, their order
-- and the fault points are those of 011 otherwise. Measured: see docs/benchmarks.md, "Where PostgreSQL time goes".

DROP FUNCTION dg_redeem_step(text, text, text, text, timestamptz, text[], boolean);
DROP FUNCTION dg_claim_step(text, text, text, text, timestamptz, boolean);

-- A batch element's attempt row, inserted once with its outcome; raises 40001 when another transaction recorded the
-- attempt id meanwhile (see above).
CREATE FUNCTION dg_record(p_attempt_id text, p_kind text, p_campaign_id text, p_customer_id text, p_now timestamptz,
                          p_outcome text, p_code text, p_tier text, p_reward text) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v attempts;
BEGIN
  INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, outcome, code, tier, reward, finished_at)
  VALUES (p_attempt_id, p_kind, p_campaign_id, p_customer_id, p_outcome, p_code, p_tier, p_reward, p_now)
  ON CONFLICT (attempt_id) DO NOTHING
  RETURNING * INTO v;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'attempt % was recorded by another transaction while this batch decided it', p_attempt_id
      USING ERRCODE = 'serialization_failure';
  END IF;
  -- @fault(p_kind || '.record', p_attempt_id)
  RETURN v;
END
$$;

-- One redeem. Steps follow the order of checks in packages/store/README.md; the decision ends with ONE outcome
-- (EXIT decide), written once. p_in_batch: inside dg_attempt_many, for an attempt id the batch found unrecorded (it is
-- recorded once decided, and a new success is not counted here: to_count tells the caller to count it).
CREATE FUNCTION dg_redeem_step(p_attempt_id text, p_campaign_id text, p_code text, p_customer_id text,
                               p_now timestamptz, p_redeem_states text[], p_in_batch boolean,
                               OUT attempt attempts, OUT to_count boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_campaign campaigns;
  v_code     codes;
  v_tier     jsonb;
  v_state    text;
  v_outcome  text;
  v_got      boolean := false; -- the outcome names the code (a success, or this customer's already)
BEGIN
  to_count := false;
  -- 1. The attempt id. A single call takes it first: recorded already, that result (a redelivery waits here for the
  -- first delivery, then returns its result). A batch runs only the ids it found unrecorded and records each once
  -- decided (dg_record).
  IF NOT p_in_batch THEN
    INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, finished_at)
    VALUES (p_attempt_id, 'redeem', p_campaign_id, p_customer_id, p_now)
    ON CONFLICT (attempt_id) DO NOTHING;
    IF NOT FOUND THEN
      SELECT * INTO attempt FROM attempts WHERE attempt_id = p_attempt_id;
      RETURN;
    END IF;
  END IF;
  -- 2. The campaign.
  SELECT * INTO v_campaign FROM campaigns WHERE id = p_campaign_id;

  <<decide>>
  BEGIN
    -- Campaign open and under its target (re-checked by the conditional count at the end).
    v_outcome := dg_campaign_refusal(v_campaign, p_now);
    EXIT decide WHEN v_outcome IS NOT NULL;

    -- 3. The code, locked: a concurrent redeem of the same code makes us wait until it ends, and we then see the row
    -- it committed. Every check below is on the newest row, which nobody can change until we commit.
    SELECT * INTO v_code FROM codes WHERE campaign_id = p_campaign_id AND code = p_code FOR UPDATE;
    IF NOT FOUND THEN
      v_outcome := 'code_not_found';
      EXIT decide;
    END IF;
    v_tier := dg_tier(v_campaign.tiers, v_code.tier);

    -- 4. Already this customer's: idempotent success, no quota, no count.
    IF v_code.state = 'redeemed' AND v_code.customer_id = p_customer_id THEN
      v_outcome := 'already_redeemed';
      v_got := true;
      EXIT decide;
    END IF;

    -- 5. State (a lock whose release time has passed counts as available) and audience.
    v_state := CASE WHEN v_code.state = 'locked' AND v_code.lock_release_at <= p_now THEN 'available' ELSE v_code.state END;
    IF NOT (v_state = ANY (p_redeem_states)) THEN
      v_outcome := CASE v_state WHEN 'redeemed' THEN 'code_already_used' WHEN 'locked' THEN 'code_locked'
                                WHEN 'disabled' THEN 'code_disabled' ELSE 'code_not_found' END;
      EXIT decide;
    END IF;
    IF (v_state = 'published' AND v_code.published_to_customer IS NOT NULL AND v_code.published_to_customer <> p_customer_id)
       OR (v_state = 'available' AND v_campaign.redeem_requires_publication) THEN
      v_outcome := 'code_not_found'; -- do not reveal unreleased codes
      EXIT decide;
    END IF;

    -- 6. Per-customer limits.
    IF NOT dg_take_quota(p_campaign_id, p_customer_id, p_attempt_id, v_campaign.per_customer_limit,
                         v_code.tier, (v_tier->>'perCustomerLimit')::integer) THEN
      v_outcome := 'customer_limit_reached';
      EXIT decide;
    END IF;
    -- @fault('redeem.quota', p_attempt_id)

    -- 7. The write. We hold the row lock, so the row is still as checked above.
    UPDATE codes SET state = 'redeemed', customer_id = p_customer_id, attempt_id = p_attempt_id,
                     redeemed_at = p_now, lock_release_at = NULL
    WHERE campaign_id = p_campaign_id AND code = p_code;
    -- @fault('redeem.code', p_attempt_id)
    v_outcome := 'redeemed';
    v_got := true;
  END;

  IF NOT v_got THEN
    v_code := NULL;
    v_tier := NULL;
  END IF;
  IF p_in_batch THEN
    attempt := dg_record(p_attempt_id, 'redeem', p_campaign_id, p_customer_id, p_now, v_outcome, v_code.code, v_code.tier, v_tier->>'reward');
  ELSE
    attempt := dg_finish(p_attempt_id, v_outcome, v_code.code, v_code.tier, v_tier->>'reward');
  END IF;

  -- 8. Count a new success, last (or leave it to the batch). If the target filled up meanwhile, undo: sold out.
  IF v_outcome <> 'redeemed' THEN
    RETURN;
  ELSIF p_in_batch THEN
    to_count := true;
  ELSIF dg_count_successes(p_campaign_id, v_campaign.target, 1) = 1 THEN
    -- @fault('redeem.count', p_attempt_id)
    NULL;
  ELSE
    attempt := dg_undo_success(p_attempt_id);
  END IF;
END
$$;

-- One claim of any available code of a tier (NULL: the campaign's first tier). p_in_batch as in dg_redeem_step.
CREATE FUNCTION dg_claim_step(p_attempt_id text, p_campaign_id text, p_tier text, p_customer_id text,
                              p_now timestamptz, p_in_batch boolean, OUT attempt attempts, OUT to_count boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_campaign  campaigns;
  v_taken     record;
  v_tier      jsonb;
  v_tier_name text;
  v_outcome   text;
  v_got_code  text; -- a success: the code taken
BEGIN
  to_count := false;
  IF NOT p_in_batch THEN -- the attempt id, as in dg_redeem_step
    INSERT INTO attempts (attempt_id, kind, campaign_id, customer_id, finished_at)
    VALUES (p_attempt_id, 'claim', p_campaign_id, p_customer_id, p_now)
    ON CONFLICT (attempt_id) DO NOTHING;
    IF NOT FOUND THEN
      SELECT * INTO attempt FROM attempts WHERE attempt_id = p_attempt_id;
      RETURN;
    END IF;
  END IF;
  SELECT * INTO v_campaign FROM campaigns WHERE id = p_campaign_id;

  <<decide>>
  BEGIN
    v_outcome := dg_campaign_refusal(v_campaign, p_now);
    EXIT decide WHEN v_outcome IS NOT NULL;

    v_tier_name := coalesce(p_tier, v_campaign.tiers->0->>'name');
    v_tier := dg_tier(v_campaign.tiers, v_tier_name);
    IF v_tier IS NULL THEN
      v_outcome := 'code_not_found';
      EXIT decide;
    END IF;

    IF NOT dg_take_quota(p_campaign_id, p_customer_id, p_attempt_id, v_campaign.per_customer_limit,
                         v_tier_name, (v_tier->>'perCustomerLimit')::integer) THEN
      v_outcome := 'customer_limit_reached';
      EXIT decide;
    END IF;
    -- @fault('claim.quota', p_attempt_id)

    v_taken := dg_take_code(p_campaign_id, v_tier_name, p_customer_id, p_attempt_id, p_now);
    IF v_taken.code IS NULL THEN
      PERFORM dg_release_quota(p_campaign_id, p_customer_id, p_attempt_id);
      v_outcome := 'sold_out';
      EXIT decide;
    END IF;
    -- @fault('claim.code', p_attempt_id)
    v_outcome := 'claimed';
    v_got_code := v_taken.code;
  END;

  IF v_got_code IS NULL THEN
    v_tier_name := NULL;
    v_tier := NULL;
  END IF;
  IF p_in_batch THEN
    attempt := dg_record(p_attempt_id, 'claim', p_campaign_id, p_customer_id, p_now, v_outcome, v_got_code, v_tier_name, v_tier->>'reward');
  ELSE
    attempt := dg_finish(p_attempt_id, v_outcome, v_got_code, v_tier_name, v_tier->>'reward');
  END IF;

  IF v_outcome <> 'claimed' THEN
    RETURN;
  ELSIF p_in_batch THEN
    to_count := true;
  ELSIF dg_count_successes(p_campaign_id, v_campaign.target, 1) = 1 THEN
    -- @fault('claim.count', p_attempt_id)
    NULL;
  ELSE
    attempt := dg_undo_success(p_attempt_id); -- the target filled up meanwhile
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION dg_redeem(p_attempt_id text, p_campaign_id text, p_code text, p_customer_id text,
                                     p_now timestamptz, p_redeem_states text[]) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v attempts;
BEGIN
  SELECT (s.attempt).* INTO v FROM dg_redeem_step(p_attempt_id, p_campaign_id, p_code, p_customer_id, p_now, p_redeem_states, false) AS s;
  RETURN v;
END
$$;

CREATE OR REPLACE FUNCTION dg_claim(p_attempt_id text, p_campaign_id text, p_tier text, p_customer_id text,
                                    p_now timestamptz) RETURNS attempts
LANGUAGE plpgsql AS $$
DECLARE
  v attempts;
BEGIN
  SELECT (s.attempt).* INTO v FROM dg_claim_step(p_attempt_id, p_campaign_id, p_tier, p_customer_id, p_now, false) AS s;
  RETURN v;
END
$$;

-- The batch (031), its elements run as batch elements (p_in_batch). The successes to count are kept in two arrays
-- instead of a jsonb object (its bookkeeping was ~2% of a backend's CPU): elements run campaign by campaign, so a
-- campaign's successes are adjacent, in decision order, and the campaigns come in the order jsonb_each's ORDER BY key
-- gave (the same text order): one dg_count_successes per campaign, in campaign order, last decided undone first.
CREATE OR REPLACE FUNCTION dg_attempt_many(p_attempts jsonb, p_redeem_states text[]) RETURNS SETOF attempts
SET lock_timeout = '50ms'
LANGUAGE plpgsql AS $$
DECLARE
  x        record;
  s        record;
  v_ids    text[] := '{}';
  v_known  text[];         -- the batch's attempt ids recorded before it
  v_won_m  text[] := '{}'; -- the campaign of each success to count, in decision order
  v_won_a  text[] := '{}'; -- its attempt id
  v_first  integer := 1;
  v_last   integer;
  v_gone   integer;
BEGIN
  -- Planned per call, as the closing read (031): a plan cached while the table was small would scan all of it.
  EXECUTE 'SELECT coalesce(array_agg(attempt_id), ''{}'') FROM attempts WHERE attempt_id = ANY ($1)'
    INTO v_known USING ARRAY(SELECT e->>'a' FROM jsonb_array_elements(p_attempts) AS e);
  FOR x IN
    SELECT * FROM jsonb_to_recordset(p_attempts) AS e(k text, a text, m text, u text, c text, t text, n timestamptz)
    ORDER BY e.m, e.c NULLS LAST, e.n, e.u, e.a
  LOOP
    IF x.a = ANY (v_known) OR x.a = ANY (v_ids) THEN
      -- Recorded before the batch, or by an earlier element of it: its row answers (read at the end).
      v_ids := v_ids || x.a;
      CONTINUE;
    END IF;
    IF x.k = 'redeem' THEN
      s := dg_redeem_step(x.a, x.m, x.c, x.u, x.n, p_redeem_states, true);
    ELSIF x.k = 'claim' THEN
      s := dg_claim_step(x.a, x.m, x.t, x.u, x.n, true);
    ELSE
      RAISE EXCEPTION 'dg_attempt_many: unknown kind %', x.k;
    END IF;
    v_ids := v_ids || x.a;
    IF s.to_count THEN
      v_won_m := v_won_m || x.m;
      v_won_a := v_won_a || x.a;
    END IF;
  END LOOP;

  PERFORM set_config('lock_timeout', '0', true); -- restored when the function returns
  WHILE v_first <= cardinality(v_won_m) LOOP
    v_last := v_first;
    WHILE v_last < cardinality(v_won_m) AND v_won_m[v_last + 1] = v_won_m[v_first] LOOP
      v_last := v_last + 1;
    END LOOP;
    v_gone := v_last - v_first + 1
              - dg_count_successes(v_won_m[v_first], (SELECT target FROM campaigns WHERE id = v_won_m[v_first]), v_last - v_first + 1);
    FOR i IN 0 .. v_gone - 1 LOOP
      PERFORM dg_undo_success(v_won_a[v_last - i]);
    END LOOP;
    v_first := v_last + 1;
  END LOOP;
  -- @fault('batch.count', p_attempts->0->>'a')

  RETURN QUERY EXECUTE 'SELECT * FROM attempts WHERE attempt_id = ANY ($1)' USING v_ids;
END
$$;
