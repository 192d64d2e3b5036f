-- Refresh that survives flaky networks (issue 22, docs/decisions/0007).
--
-- `replaced_by` is the keyed hash of the refresh token that succeeded this one, so a client that
-- lost the response of a rotation can present the old token again within
-- `tokens.refresh_reuse_grace_secs` and the server can retire the successor it never received.
-- `access_jti` and `access_expires_at` name the access token issued in the same response, which
-- is revoked with such a successor.

ALTER TABLE refresh_tokens ADD COLUMN replaced_by BYTEA;
ALTER TABLE refresh_tokens ADD COLUMN access_jti TEXT;
ALTER TABLE refresh_tokens ADD COLUMN access_expires_at BIGINT;
