-- Tokens follow the state they were issued from (issue 19).
--
-- `clients.registration_id` names one registration of a client id and its current secret: a
-- new random value when the client is created and when its secret is rotated. Token families
-- record the value they were issued under, and access tokens carry it, so tokens of a deleted
-- (and perhaps re-created) client, or of a replaced secret, stop working. Rows from before
-- this migration share the empty value.
--
-- Authorization codes die with their browser session and their client: both become foreign
-- keys with `ON DELETE CASCADE`. SQLite cannot add a constraint to a table, so the (short-lived)
-- table is rebuilt; codes whose session or client is already gone are dropped.

ALTER TABLE clients ADD COLUMN registration_id TEXT NOT NULL DEFAULT '';
ALTER TABLE token_families ADD COLUMN client_registration TEXT NOT NULL DEFAULT '';
CREATE INDEX token_families_client ON token_families (client_id);

-- Families of clients deleted before this migration were never revoked.
UPDATE token_families SET revoked_at = unixepoch()
 WHERE revoked_at IS NULL AND client_id NOT IN (SELECT client_id FROM clients);

CREATE TABLE authorization_codes_0007 (
    code_hash      BLOB PRIMARY KEY,
    client_id      TEXT   NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id        TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id     TEXT   REFERENCES sessions (id) ON DELETE CASCADE,
    redirect_uri   TEXT,
    scope          TEXT   NOT NULL,
    nonce          TEXT,
    code_challenge TEXT   NOT NULL,
    auth_time      INTEGER NOT NULL,
    amr            TEXT   NOT NULL,
    family_id      TEXT   NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);
INSERT INTO authorization_codes_0007
SELECT code_hash, client_id, user_id, session_id, redirect_uri, scope, nonce, code_challenge,
       auth_time, amr, family_id, created_at, expires_at, used_at
  FROM authorization_codes
 WHERE client_id IN (SELECT client_id FROM clients)
   AND (session_id IS NULL OR session_id IN (SELECT id FROM sessions));
DROP TABLE authorization_codes;
ALTER TABLE authorization_codes_0007 RENAME TO authorization_codes;
CREATE INDEX authorization_codes_session ON authorization_codes (session_id);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_user ON authorization_codes (user_id);
