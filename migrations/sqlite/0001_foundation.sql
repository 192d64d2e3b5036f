-- Foundation: signing keys, clients, access-token revocations.
-- Times are seconds since the epoch. Secrets are stored only as keyed hashes (BLOB) or sealed
-- under the key-encryption key.

CREATE TABLE signing_keys (
    kid                TEXT    PRIMARY KEY,
    alg                TEXT    NOT NULL,
    generation         INTEGER NOT NULL UNIQUE,
    public_jwk         TEXT    NOT NULL,
    sealed_private_key BLOB    NOT NULL,
    created_at         INTEGER NOT NULL,
    activates_at       INTEGER NOT NULL,
    retires_at         INTEGER,
    expires_at         INTEGER
);

CREATE TABLE clients (
    client_id                 TEXT    PRIMARY KEY,
    client_name               TEXT    NOT NULL,
    auth_method               TEXT    NOT NULL,
    secret_hash               BLOB,
    grant_types               TEXT    NOT NULL,
    scope                     TEXT    NOT NULL,
    redirect_uris             TEXT    NOT NULL,
    post_logout_redirect_uris TEXT    NOT NULL,
    trusted                   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at                INTEGER NOT NULL
);

CREATE TABLE revoked_access_tokens (
    jti        TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);
