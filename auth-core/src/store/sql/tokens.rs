//! Token state in SQL.

use super::cache::RevokedRow;
use super::{SqlStore, on_pool};
use crate::store::{StoreError, TokenStore};
use async_trait::async_trait;

#[async_trait]
impl TokenStore for SqlStore {
    async fn revoke_access_token(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) \
                 VALUES ($1, $2, unixepoch()) ON CONFLICT (jti) DO NOTHING",
            )
            .bind(jti)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        self.caches.revocations_changed();
        Ok(())
    }

    async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        if self.caches.enabled() {
            return self
                .caches
                .is_revoked(jti, |since| self.revoked_since(since))
                .await;
        }
        let found: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                // CAST: a bare 1 is INT4 on PostgreSQL and INTEGER on SQLite.
                "SELECT CAST(1 AS BIGINT) FROM revoked_access_tokens WHERE jti = $1 \
                 UNION ALL \
                 SELECT CAST(1 AS BIGINT) FROM family_access_tokens a \
                 JOIN token_families f ON f.id = a.family_id \
                 WHERE a.jti = $1 AND f.revoked_at IS NOT NULL",
            )
            .bind(jti)
            .fetch_optional(pool)
            .await
        })?;
        Ok(found.is_some())
    }

    async fn purge_expired(&self, now: i64) -> Result<u64, StoreError> {
        let mut purged = 0;
        for sql in [
            "DELETE FROM revoked_access_tokens WHERE expires_at < $1",
            "DELETE FROM family_access_tokens WHERE expires_at < $1",
            "DELETE FROM refresh_tokens WHERE expires_at < $1",
            "DELETE FROM authorization_codes WHERE expires_at < $1 - 3600",
            "DELETE FROM authorization_requests WHERE expires_at < $1",
            "DELETE FROM sessions WHERE expires_at < $1",
            "DELETE FROM email_tokens WHERE expires_at < $1",
            "DELETE FROM one_time_codes WHERE expires_at < $1",
            "DELETE FROM login_challenges WHERE expires_at < $1",
            "DELETE FROM used_jtis WHERE expires_at < $1",
            "DELETE FROM pushed_requests WHERE expires_at < $1",
            "DELETE FROM device_authorizations WHERE expires_at < $1",
            "DELETE FROM upstream_states WHERE expires_at < $1",
            "DELETE FROM upstream_pending WHERE expires_at < $1",
            // Windows are at most a day long (checked in the configuration).
            "DELETE FROM throttle_counters WHERE window_start < $1 - 86400",
            // Events delivered everywhere are kept a week; given-up deliveries stay for review.
            "DELETE FROM events WHERE occurred_at < $1 - 604800 AND NOT EXISTS ( \
               SELECT 1 FROM event_deliveries d WHERE d.event_id = events.id AND d.delivered_at IS NULL)",
            // Delivered logout notices likewise; given-up ones stay for review.
            "DELETE FROM backchannel_logouts WHERE delivered_at < $1 - 604800",
        ] {
            purged += on_pool!(self, pool => {
                sqlx::query(sql).bind(now).execute(pool).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(purged)
    }
}

impl SqlStore {
    /// The revoked access tokens, alone or with their family, revoked at or after `since`
    /// (all of them for `None`): the feed of the revocation cache.
    pub(super) async fn revoked_since(
        &self,
        since: Option<i64>,
    ) -> Result<Vec<RevokedRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT jti, expires_at, revoked_at FROM revoked_access_tokens WHERE revoked_at >= $1 \
                 UNION ALL \
                 SELECT a.jti, a.expires_at, f.revoked_at FROM family_access_tokens a \
                 JOIN token_families f ON f.id = a.family_id WHERE f.revoked_at >= $1",
            )
            .bind(since.unwrap_or(i64::MIN))
            .fetch_all(pool)
            .await
        })?)
    }
}
