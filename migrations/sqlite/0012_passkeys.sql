-- Passkeys (WebAuthn credentials) and the server side of their ceremonies.

CREATE TABLE passkeys (
    id              TEXT    PRIMARY KEY,
    user_id         TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The authenticator's credential id (unique across users: W3C WebAuthn L3 section 7.1
    -- step 25 refuses a credential id registered already).
    credential_id   BLOB    NOT NULL UNIQUE,
    -- The credential as webauthn-rs serialises it (JSON): public key, algorithm, counter,
    -- flags. No secret: the private key never leaves the authenticator.
    credential      TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    sign_count      INTEGER  NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backup_state    BOOLEAN NOT NULL,
    created_at      INTEGER  NOT NULL,
    last_used_at    INTEGER
);

CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- A registration or authentication ceremony between its two requests, so that any replica
-- can finish what another began: bound to the browser, single use (deleted when taken),
-- expiring within minutes.
CREATE TABLE passkey_ceremonies (
    handle_hash  BLOB    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    user_id      TEXT    REFERENCES users (id) ON DELETE CASCADE,
    browser_hash BLOB    NOT NULL,
    state        TEXT    NOT NULL,
    context      TEXT,
    created_at   INTEGER  NOT NULL,
    expires_at   INTEGER  NOT NULL
);

CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies (expires_at);
