-- Tokens follow the state they were issued from (issue 19).
--
-- `clients.registration_id` names one registration of a client id and its current secret: a
-- new random value when the client is created and when its secret is rotated. Token families
-- record the value they were issued under, and access tokens carry it, so tokens of a deleted
-- (and perhaps re-created) client, or of a replaced secret, stop working. Rows from before
-- this migration share the empty value.
--
-- Authorization codes die with their browser session and their client: both become foreign
-- keys with `ON DELETE CASCADE`; codes whose session or client is already gone are dropped.

ALTER TABLE clients ADD COLUMN registration_id TEXT NOT NULL DEFAULT '';
ALTER TABLE token_families ADD COLUMN client_registration TEXT NOT NULL DEFAULT '';
CREATE INDEX token_families_client ON token_families (client_id);

-- Families of clients deleted before this migration were never revoked.
UPDATE token_families SET revoked_at = unixepoch()
 WHERE revoked_at IS NULL AND client_id NOT IN (SELECT client_id FROM clients);

DELETE FROM authorization_codes
 WHERE client_id NOT IN (SELECT client_id FROM clients)
    OR (session_id IS NOT NULL AND session_id NOT IN (SELECT id FROM sessions));
ALTER TABLE authorization_codes
    ADD CONSTRAINT authorization_codes_client_fkey
        FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE,
    ADD CONSTRAINT authorization_codes_session_fkey
        FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE;
CREATE INDEX authorization_codes_session ON authorization_codes (session_id);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_user ON authorization_codes (user_id);
