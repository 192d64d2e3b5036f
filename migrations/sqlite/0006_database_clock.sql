-- Revocations are stamped with the database's clock. SQLite has `unixepoch()` built in
-- (3.38 and later); PostgreSQL's migration 0006 defines a function of that name. Nothing to
-- change here: the file keeps both backends' migrations numbered alike.
SELECT 1;
