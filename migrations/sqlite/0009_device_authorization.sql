-- Device authorization grant (RFC 8628, issue 22).
--
-- One row per device authorization request, from `/device_authorization` until it expires.
-- `device_code_hash` and `user_code_hash` are keyed hashes of the codes handed to the device
-- (the user code normalised: upper case, no dashes); the codes themselves are never stored.
-- `status` is `pending`, then `approved` or `denied` by the user on `/device`, and `used`
-- once the device redeemed an approval (single use: a conditional update).
--
-- Polling (section 3.5): `interval_secs` is the interval the device must keep (it grows by
-- 5 s with every `slow_down`), `next_poll_at` when it may poll again, `polled_too_fast`
-- whether the last poll came too early; kept here so every replica sees the same.
--
-- An approval records the user, the browser session and how the user authenticated; it dies
-- with the session (as authorization codes do) and with the client and the user.

CREATE TABLE device_authorizations (
    device_code_hash BLOB    PRIMARY KEY,
    user_code_hash   BLOB    NOT NULL UNIQUE,
    client_id        TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scope            TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    interval_secs    INTEGER NOT NULL,
    next_poll_at     INTEGER,
    polled_too_fast  INTEGER NOT NULL DEFAULT 0,
    user_id          TEXT    REFERENCES users (id) ON DELETE CASCADE,
    session_id       TEXT    REFERENCES sessions (id) ON DELETE CASCADE,
    auth_time        INTEGER,
    amr              TEXT,
    decided_at       INTEGER,
    family_id        TEXT    NOT NULL
);
CREATE INDEX device_authorizations_expiry ON device_authorizations (expires_at);
CREATE INDEX device_authorizations_client ON device_authorizations (client_id);
CREATE INDEX device_authorizations_session ON device_authorizations (session_id);
CREATE INDEX device_authorizations_user ON device_authorizations (user_id);
