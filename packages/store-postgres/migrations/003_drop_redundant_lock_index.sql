-- Migrations are append-only once applied anywhere (the runner refuses edited files), so later changes come here.
--
-- codes_timed_lock_idx duplicated codes_lock_release_idx: timed locks are few, and both releaseDueLocks and
-- claim's fallback to due locks are served by the (lock_release_at) partial index. One index less to open and
-- lock on every change of a code.
DROP INDEX IF EXISTS codes_timed_lock_idx;
