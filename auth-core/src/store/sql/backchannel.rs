//! The back-channel logout outbox in SQL: queuing notices inside the transactions that end
//! sessions ([`LogoutTx`]), and claiming and settling them ([`BackchannelStore`]).

use super::outboxes::OutboxRow;
use super::{Backend, SqlStore, WritePool as _, execute, on_pool};
use crate::backchannel::{BackchannelLogout, LogoutNotice};
use crate::store::{BackchannelStore, StoreError};
use async_trait::async_trait;
use sqlx::Transaction;

/// The part of a client's `metadata` column this module reads.
#[derive(serde::Deserialize)]
struct LogoutMetadata {
    #[serde(default)]
    backchannel_logout: BackchannelLogout,
}

/// Queuing notices in an open write transaction.
pub(crate) trait LogoutTx {
    /// Queues a notice for every client that received tokens in one of the sessions `ended`
    /// (a token family of the session, issued under the client's current registration) and
    /// registered a `backchannel_logout_uri`. Call it once the sessions are deleted (so a code
    /// redemption the deletion waited for has its family) and before their families are.
    async fn queue_logouts(&mut self, ended: &[String]) -> Result<(), StoreError>;
}

/// The same body for each backend's transaction, as [`on_pool!`] does for pools.
macro_rules! impl_logout_tx {
    ($db:ty) => {
        impl LogoutTx for Transaction<'static, $db> {
            async fn queue_logouts(&mut self, ended: &[String]) -> Result<(), StoreError> {
                for session_id in ended {
                    let used: Vec<(String, String, String)> = sqlx::query_as(
                        "SELECT DISTINCT f.user_id, c.client_id, c.metadata FROM token_families f \
                         JOIN clients c ON c.client_id = f.client_id \
                           AND c.registration_id = f.client_registration \
                         WHERE f.session_id = $1",
                    )
                    .bind(session_id)
                    .fetch_all(&mut **self)
                    .await?;
                    for (user_id, client_id, metadata) in used {
                        // A metadata column that does not parse was written by no version of
                        // this server; such a client is not told, and ending the session goes on.
                        let registered = serde_json::from_str::<LogoutMetadata>(&metadata)
                            .is_ok_and(|m| m.backchannel_logout.uri.is_some());
                        if !registered {
                            continue;
                        }
                        // Due at once (`next_attempt_at` 0); the database stamps `created_at`.
                        sqlx::query(
                            "INSERT INTO backchannel_logouts \
                             (id, client_id, user_id, session_id, created_at, next_attempt_at) \
                             VALUES ($1, $2, $3, $4, unixepoch(), 0)",
                        )
                        .bind(uuid::Uuid::now_v7().to_string())
                        .bind(&client_id)
                        .bind(&user_id)
                        .bind(session_id)
                        .execute(&mut **self)
                        .await?;
                    }
                }
                Ok(())
            }
        }
    };
}

impl_logout_tx!(sqlx::Sqlite);
impl_logout_tx!(sqlx::Postgres);

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: String,
    client_id: String,
    user_id: String,
    session_id: String,
    attempts: i64,
}

#[async_trait]
impl BackchannelStore for SqlStore {
    async fn claim_due_logouts(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<LogoutNotice>, StoreError> {
        // Earliest due first (new notices are due at 0, so they never wait behind retries).
        // An `UPDATE ... RETURNING` keeps no order, on either database, so the due ids are
        // selected in order, then claimed one by one in that order, in one write transaction:
        // SQLite's `BEGIN IMMEDIATE` already excludes other writers; PostgreSQL locks the
        // selected rows and skips those another replica is claiming. Each update checks the
        // condition again, so a notice is never claimed twice.
        macro_rules! due {
            () => {
                "SELECT id FROM backchannel_logouts \
                 WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                 ORDER BY next_attempt_at, id LIMIT $2"
            };
        }
        let select = match self.backend() {
            Backend::Postgres => concat!(due!(), " FOR UPDATE SKIP LOCKED"),
            Backend::Sqlite => due!(),
        };
        let rows: Vec<NoticeRow> = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let due: Vec<String> = sqlx::query_scalar(select)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            let mut rows = Vec::with_capacity(due.len());
            for id in &due {
                let claimed: Option<NoticeRow> = sqlx::query_as(
                    "UPDATE backchannel_logouts SET next_attempt_at = $3 \
                     WHERE id = $1 AND delivered_at IS NULL AND failed_at IS NULL \
                       AND next_attempt_at <= $2 \
                     RETURNING id, client_id, user_id, session_id, attempts",
                )
                .bind(id)
                .bind(now)
                .bind(now + lease_secs)
                .fetch_optional(&mut *tx)
                .await?;
                rows.extend(claimed);
            }
            tx.commit().await?;
            rows
        });
        Ok(rows
            .into_iter()
            .map(|r| LogoutNotice {
                id: r.id,
                client_id: r.client_id,
                user_id: r.user_id,
                session_id: r.session_id,
                attempts: r.attempts,
            })
            .collect())
    }

    async fn logout_delivered(&self, id: &str, now: i64) -> Result<(), StoreError> {
        execute!(
            self,
            "UPDATE backchannel_logouts SET delivered_at = $2, last_error = NULL WHERE id = $1",
            id,
            now
        )?;
        Ok(())
    }

    async fn logout_failed(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
        failed_at: Option<i64>,
    ) -> Result<(), StoreError> {
        self.outbox_attempt_failed(
            OutboxRow::Logout(id),
            attempts,
            next_attempt_at,
            error,
            failed_at,
        )
        .await
    }

    async fn logout_deferred(&self, id: &str, next_attempt_at: i64) -> Result<(), StoreError> {
        execute!(
            self,
            "UPDATE backchannel_logouts SET next_attempt_at = $2 WHERE id = $1",
            id,
            next_attempt_at
        )?;
        Ok(())
    }

    async fn pending_logouts(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM backchannel_logouts \
                 WHERE delivered_at IS NULL AND failed_at IS NULL",
            )
            .fetch_one(pool)
            .await
        })?)
    }
}
