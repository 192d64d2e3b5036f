-- Sign in with an upstream identity provider (issue 23).
--
-- `upstream_states`: one row per sign-in started at an upstream provider, found by the keyed
-- hash of its `state` and deleted when the callback uses it (single use), so the callback can
-- land on any replica. `browser_hash` binds it to the browser that started it; `nonce_hash` is
-- what the ID token's `nonce` must hash to; `sealed_verifier` is the PKCE code verifier sealed
-- under the key-encryption key (it is sent to the upstream's token endpoint, so it cannot be a
-- hash). `link_user_id` is set when a signed-in user links the provider from the account page.
CREATE TABLE upstream_states (
    state_hash      BLOB PRIMARY KEY,
    provider_id     TEXT    NOT NULL,
    browser_hash    BLOB    NOT NULL,
    nonce_hash      BLOB    NOT NULL,
    sealed_verifier BLOB    NOT NULL,
    request_handle  TEXT,
    link_user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX upstream_states_expiry ON upstream_states (expires_at);

-- The upstream identities linked to local accounts: one local user per (provider, subject).
CREATE TABLE upstream_identities (
    provider_id  TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email        TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX upstream_identities_user ON upstream_identities (user_id);

-- A verified upstream identity waiting for the user to prove a local account (the link page:
-- password, and the authenticator app when the account has one), or for the second factor of
-- an account it is already linked to. Single use, bound to the browser, a few attempts.
CREATE TABLE upstream_pending (
    handle_hash    BLOB PRIMARY KEY,
    purpose        TEXT    NOT NULL,
    provider_id    TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    email          TEXT,
    user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    browser_hash   BLOB    NOT NULL,
    request_handle TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
