-- When each access token was revoked, so every replica can keep the set of revoked tokens in
-- memory and read only what changed since its last look (rows from before this migration
-- read as revoked at 0 and are picked up by the periodic full reload).

ALTER TABLE revoked_access_tokens ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX revoked_access_tokens_revoked ON revoked_access_tokens (revoked_at);
CREATE INDEX token_families_revoked ON token_families (revoked_at);
