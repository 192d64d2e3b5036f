-- Users, roles, browser sessions, the authorization code flow, refresh tokens, login throttling.
-- Times are seconds since the epoch; secrets are stored as keyed hashes only.

CREATE TABLE users (
    id               TEXT    PRIMARY KEY,
    email            TEXT    NOT NULL,
    email_normalized TEXT    NOT NULL UNIQUE,
    email_verified   BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash    TEXT,
    name             TEXT    NOT NULL DEFAULT '',
    given_name       TEXT,
    family_name      TEXT,
    locale           TEXT,
    disabled_at      BIGINT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);

CREATE TABLE roles (
    name        TEXT   PRIMARY KEY,
    description TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);

CREATE TABLE role_permissions (
    role       TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role, permission)
);

CREATE TABLE user_roles (
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT   NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    id           TEXT   PRIMARY KEY,
    secret_hash  BYTEA NOT NULL UNIQUE,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time    BIGINT NOT NULL,
    amr          TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    user_agent   TEXT   NOT NULL DEFAULT '',
    ip           TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE authorization_requests (
    handle_hash  BYTEA PRIMARY KEY,
    client_id    TEXT   NOT NULL,
    request      TEXT   NOT NULL,
    browser_hash BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE TABLE consents (
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT   NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scope      TEXT   NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE token_families (
    id         TEXT   PRIMARY KEY,
    client_id  TEXT   NOT NULL,
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT,
    scope      TEXT   NOT NULL,
    auth_time  BIGINT NOT NULL,
    amr        TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX token_families_session ON token_families (session_id);
CREATE INDEX token_families_user ON token_families (user_id);

CREATE TABLE authorization_codes (
    code_hash      BYTEA PRIMARY KEY,
    client_id      TEXT   NOT NULL,
    user_id        TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id     TEXT,
    redirect_uri   TEXT,
    scope          TEXT   NOT NULL,
    nonce          TEXT,
    code_challenge TEXT   NOT NULL,
    auth_time      BIGINT NOT NULL,
    amr            TEXT   NOT NULL,
    family_id      TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);

CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    family_id  TEXT   NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE family_access_tokens (
    jti        TEXT   PRIMARY KEY,
    family_id  TEXT   NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX family_access_tokens_family ON family_access_tokens (family_id);

CREATE TABLE throttle_counters (
    key          TEXT   PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL
);

ALTER TABLE clients ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE clients ADD COLUMN registration_token_hash BYTEA;
