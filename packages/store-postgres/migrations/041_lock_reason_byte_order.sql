-- lock_reason (040) was added without COLLATE "C", so it sorted by the database's locale (en_US on most servers:
-- case and punctuation mostly ignored) while every other text column sorts by byte order (see 001_init.sql), as
-- the MongoDB adapter does. Byte order of UTF-8 is code-point order: one order for listLocks and the sweep's report
-- on both stores. A collation change of the same type rewrites no row (the column has no index).
ALTER TABLE codes ALTER COLUMN lock_reason TYPE text COLLATE "C";
