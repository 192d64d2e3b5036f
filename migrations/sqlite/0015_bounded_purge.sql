-- Expired rows are purged in bounded batches (issue 25): each batch finds its rows through an
-- index on the expiry, so a batch costs the same with ten million rows as with a thousand and
-- holds the write lock for milliseconds. The other purged tables had such an index already.
CREATE INDEX family_access_tokens_expiry ON family_access_tokens (expires_at);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
CREATE INDEX authorization_requests_expiry ON authorization_requests (expires_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX email_tokens_expiry ON email_tokens (expires_at);
CREATE INDEX one_time_codes_expiry ON one_time_codes (expires_at);
CREATE INDEX login_challenges_expiry ON login_challenges (expires_at);
CREATE INDEX upstream_pending_expiry ON upstream_pending (expires_at);
CREATE INDEX throttle_counters_window ON throttle_counters (window_start);
CREATE INDEX events_occurred ON events (occurred_at);
CREATE INDEX backchannel_logouts_delivered ON backchannel_logouts (delivered_at);
