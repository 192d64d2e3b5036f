//! The outboxes as the admin console lists them (see [`OutboxStore`]), and the bookkeeping of
//! a failed delivery attempt that the mail, event and back-channel logout outboxes share.

use super::{SqlStore, execute, on_pool};
use crate::store::{Outbox, OutboxEntry, OutboxStore, StoreError};
use async_trait::async_trait;

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    destination: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    failed_at: Option<i64>,
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn outbox_entries(
        &self,
        outbox: Outbox,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = match outbox {
            Outbox::Mail => {
                "SELECT id, '' AS destination, attempts, next_attempt_at, last_error, failed_at \
                 FROM mail_outbox ORDER BY failed_at IS NULL, next_attempt_at LIMIT $1"
            }
            Outbox::Events => {
                "SELECT event_id AS id, destination, attempts, next_attempt_at, last_error, failed_at \
                 FROM event_deliveries WHERE delivered_at IS NULL \
                 ORDER BY failed_at IS NULL, next_attempt_at LIMIT $1"
            }
        };
        let rows: Vec<EntryRow> = on_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(i64::from(limit.clamp(1, 1000)))
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxEntry {
                id: r.id,
                destination: r.destination,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at,
                last_error: r.last_error,
                failed_at: r.failed_at,
            })
            .collect())
    }

    async fn retry_outbox_entry(
        &self,
        outbox: Outbox,
        id: &str,
        destination: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let changed = match outbox {
            Outbox::Mail => execute!(
                self,
                "UPDATE mail_outbox SET failed_at = NULL, next_attempt_at = $2 WHERE id = $1",
                id,
                now
            )?,
            Outbox::Events => execute!(
                self,
                "UPDATE event_deliveries SET failed_at = NULL, next_attempt_at = $3 \
                 WHERE event_id = $1 AND destination = $2 AND delivered_at IS NULL",
                id,
                destination,
                now
            )?,
        };
        Ok(changed == 1)
    }
}

/// One entry of an outbox, by its key.
pub(super) enum OutboxRow<'a> {
    /// A queued mail.
    Mail(&'a str),
    /// An event's delivery to one destination.
    Delivery {
        event_id: &'a str,
        destination: &'a str,
    },
    /// A back-channel logout notice.
    Logout(&'a str),
}

impl SqlStore {
    /// Records a failed attempt at delivering `row`: its attempts, when to try next, the error
    /// (its first 1000 characters) and, once it is given up, `failed_at`.
    pub(super) async fn outbox_attempt_failed(
        &self,
        row: OutboxRow<'_>,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
        failed_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let (table, key, keys) = match row {
            OutboxRow::Mail(id) => ("mail_outbox", "id = $5", vec![id]),
            OutboxRow::Delivery {
                event_id,
                destination,
            } => (
                "event_deliveries",
                "event_id = $5 AND destination = $6",
                vec![event_id, destination],
            ),
            OutboxRow::Logout(id) => ("backchannel_logouts", "id = $5", vec![id]),
        };
        let sql = format!(
            "UPDATE {table} SET attempts = $1, next_attempt_at = $2, last_error = $3, \
             failed_at = $4 WHERE {key}"
        );
        let error: String = error.chars().take(1000).collect();
        on_pool!(self, pool => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(attempts)
                .bind(next_attempt_at)
                .bind(&error)
                .bind(failed_at);
            for key in keys {
                query = query.bind(key);
            }
            query.execute(pool).await.map(|_| ())
        })?;
        Ok(())
    }
}
