//! Token state in SQL.

use super::cache::Feed;
use super::{SqlStore, execute, on_pool};
use crate::store::{StoreError, TokenStore};
use async_trait::async_trait;

#[async_trait]
impl TokenStore for SqlStore {
    async fn revoke_access_token(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) \
             VALUES ($1, $2, unixepoch()) ON CONFLICT (jti) DO NOTHING",
            jti,
            expires_at
        )?;
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
        for (table, key, condition) in PURGED {
            // One statement text per table, built from this constant list only.
            // A key of two columns is a row value on the left, a list in the sub-select.
            let columns = key.trim_start_matches('(').trim_end_matches(')');
            let sql = format!(
                "DELETE FROM {table} WHERE {key} IN \
                 (SELECT {columns} FROM {table} WHERE {condition} LIMIT {PURGE_BATCH})"
            );
            loop {
                let started = std::time::Instant::now();
                let deleted = execute!(self, sqlx::AssertSqlSafe(sql.clone()), now)?;
                purged += deleted;
                if deleted < PURGE_BATCH {
                    break;
                }
                // Between batches the write lock is free (requests waiting for it go first),
                // and the database spends at most a quarter of its time on the purge.
                let took = started.elapsed();
                tokio::time::sleep((took * PURGE_REST).max(PURGE_PAUSE)).await;
            }
        }
        Ok(purged)
    }
}

/// Rows a purge batch deletes at most: one short write transaction (a few milliseconds on
/// SQLite's single writer), so the requests that write (tokens, sign-ins) never wait behind a
/// purge of millions of rows.
pub(crate) const PURGE_BATCH: u64 = 1_000;

/// The shortest pause between two batches of one table.
const PURGE_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// The pause after a batch, in multiples of the batch's own time: three, so a purge takes at
/// most a quarter of the time of the connection it runs on (on a 2-core machine with the
/// database on it, a purge without rests took a third of the refresh rate).
const PURGE_REST: u32 = 3;

/// What expires: (table, key, condition on `$1` = now). Each condition is served by an index
/// on the expiry (migration 0015 and earlier), so each batch is an index range scan.
const PURGED: [(&str, &str, &str); 17] = [
    ("revoked_access_tokens", "jti", "expires_at < $1"),
    ("family_access_tokens", "jti", "expires_at < $1"),
    ("refresh_tokens", "token_hash", "expires_at < $1"),
    ("authorization_codes", "code_hash", "expires_at < $1 - 3600"),
    ("authorization_requests", "handle_hash", "expires_at < $1"),
    ("sessions", "id", "expires_at < $1"),
    ("email_tokens", "token_hash", "expires_at < $1"),
    ("one_time_codes", "(user_id, purpose)", "expires_at < $1"),
    ("login_challenges", "handle_hash", "expires_at < $1"),
    ("used_jtis", "jti_hash", "expires_at < $1"),
    ("pushed_requests", "request_hash", "expires_at < $1"),
    (
        "device_authorizations",
        "device_code_hash",
        "expires_at < $1",
    ),
    ("upstream_states", "state_hash", "expires_at < $1"),
    ("upstream_pending", "handle_hash", "expires_at < $1"),
    // Windows are at most a day long (checked in the configuration).
    ("throttle_counters", "key", "window_start < $1 - 86400"),
    // Events delivered everywhere are kept a week; given-up deliveries stay for review.
    (
        "events",
        "id",
        "occurred_at < $1 - 604800 AND NOT EXISTS ( \
         SELECT 1 FROM event_deliveries d WHERE d.event_id = events.id AND d.delivered_at IS NULL)",
    ),
    // Delivered logout notices likewise; given-up ones stay for review.
    ("backchannel_logouts", "id", "delivered_at < $1 - 604800"),
];

impl SqlStore {
    /// The revoked access tokens, alone or with their family, revoked at or after `since`
    /// (all of them for `None`): the feed of the revocation cache.
    pub(super) async fn revoked_since(&self, since: Option<i64>) -> Result<Feed, StoreError> {
        // The clock first: a row committed after the read below, stamped before it, is read
        // by the next sync (within the overlap).
        let now: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT unixepoch()").fetch_one(pool).await
        })?;
        let rows = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT jti, expires_at, revoked_at FROM revoked_access_tokens WHERE revoked_at >= $1 \
                 UNION ALL \
                 SELECT a.jti, a.expires_at, f.revoked_at FROM family_access_tokens a \
                 JOIN token_families f ON f.id = a.family_id WHERE f.revoked_at >= $1",
            )
            .bind(since.unwrap_or(i64::MIN))
            .fetch_all(pool)
            .await
        })?;
        Ok(Feed { now, rows })
    }
}
