-- The batch's closing read of its attempts' rows is planned on every call (EXECUTE) instead of once per connection.
-- PL/pgSQL caches a statement's plan for the life of the connection, and a generic plan made while the attempts
-- table was nearly empty (a new deployment, a fresh schema) scans the whole table: `attempt_id = ANY (v_ids)` stayed
-- a sequential scan as the table grew, and that one read became most of a batch's time (10 ms per batch at
-- 10,000 rows, growing with the table). Planned with the ids at hand it is an index scan of the primary key.
-- Same body as in 030 otherwise.
CREATE OR REPLACE FUNCTION dg_attempt_many(p_attempts jsonb, p_redeem_states text[]) RETURNS SETOF attempts
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
    ORDER BY e.m, e.c NULLS LAST, e.n, e.u, e.a
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

  RETURN QUERY EXECUTE 'SELECT * FROM attempts WHERE attempt_id = ANY ($1)' USING v_ids;
END
$$;
