-- Third-party app security (issue 21).
--
-- `used_jtis` remembers the single-use JWTs clients sign (private_key_jwt assertions, request
-- objects) until they expire, so a replay is refused on every replica sharing the database. The
-- key is a keyed hash of what names the JWT (its kind, client and `jti`), never the JWT itself.
--
-- `pushed_requests` holds pushed authorization requests (RFC 9126) until they are used once or
-- expire; `request_hash` is the keyed hash of the `request_uri` handed to the client.

CREATE TABLE used_jtis (
    jti_hash   BLOB    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX used_jtis_expiry ON used_jtis (expires_at);

CREATE TABLE pushed_requests (
    request_hash BLOB    PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    params       TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX pushed_requests_expiry ON pushed_requests (expires_at);

-- DPoP (RFC 9449): a code bound to the key `dpop_jkt` names (section 10), and the key the
-- refresh tokens of a public client's grant are bound to (section 5).
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
ALTER TABLE token_families ADD COLUMN dpop_jkt TEXT;

-- Resource indicators (RFC 8707): the APIs tokens can be meant for, each with the scopes it
-- accepts; the resources an authorization and its refresh tokens may be used for.
CREATE TABLE resources (
    uri        TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
ALTER TABLE authorization_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE token_families ADD COLUMN resources TEXT NOT NULL DEFAULT '';
