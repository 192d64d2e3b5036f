-- OpenID Connect Back-Channel Logout 1.0 (issue 22).
--
-- One row per ended browser session and client that received tokens in it and registered a
-- backchannel_logout_uri, written in the transaction that ends the session. The worker signs a
-- logout token when it sends one (a retry gets a fresh iat and exp) and posts it to the URI
-- the client has registered at that time. `next_attempt_at` doubles as the lease: claiming a
-- row moves it into the future. The user may be gone by then (a deleted account), so
-- `user_id` is no reference; a deleted client is told nothing.

CREATE TABLE backchannel_logouts (
    id              TEXT   PRIMARY KEY,
    client_id       TEXT   NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id         TEXT   NOT NULL,
    session_id      TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    delivered_at    BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX backchannel_logouts_due ON backchannel_logouts (delivered_at, failed_at, next_attempt_at);
CREATE INDEX backchannel_logouts_client ON backchannel_logouts (client_id);
