-- Account lifecycle: e-mail tokens (verification, password reset), TOTP and recovery codes,
-- e-mail one-time codes, pending second-factor logins, the mail outbox, the audit log.
-- Tokens and codes are stored as keyed hashes; TOTP secrets and queued mail are sealed under
-- the key-encryption key (mail bodies carry single-use links and codes).

ALTER TABLE users ADD COLUMN phone_number TEXT;

CREATE TABLE email_tokens (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT   NOT NULL,
    email      TEXT   NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

CREATE TABLE totp_credentials (
    user_id       TEXT   PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret BLOB NOT NULL,
    confirmed_at  INTEGER,
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE one_time_codes (
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT   NOT NULL,
    code_hash  BLOB NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, purpose)
);

CREATE TABLE login_challenges (
    handle_hash    BLOB PRIMARY KEY,
    user_id        TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    browser_hash   BLOB NOT NULL,
    request_handle TEXT,
    method         TEXT   NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);

CREATE TABLE mail_outbox (
    id              TEXT   PRIMARY KEY,
    sealed_message  BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    failed_at       INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (failed_at, next_attempt_at);

CREATE TABLE audit_events (
    id        TEXT   PRIMARY KEY,
    at        INTEGER NOT NULL,
    event     TEXT   NOT NULL,
    outcome   TEXT   NOT NULL,
    user_id   TEXT,
    client_id TEXT,
    actor     TEXT,
    ip        TEXT,
    details   TEXT   NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
