-- Why a code is locked, kept with the lock (the admin's `reason`): listed with the campaign's locks and reported by
-- the sweep that releases them. Meaningful while the code is locked only (readers look at it for locked codes), so
-- the paths that move a code out of `locked` need not clear it. Nullable with no default: instant on a big table.
ALTER TABLE codes ADD COLUMN lock_reason text;
