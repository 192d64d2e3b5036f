-- Revocations are stamped with the database's clock (`unixepoch()`, as SQLite spells it), so
-- replicas whose clocks disagree still follow every revocation by its stamp.

CREATE FUNCTION unixepoch() RETURNS BIGINT
    LANGUAGE SQL VOLATILE
    AS $$ SELECT CAST(floor(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT) $$;
