//! The outboxes as the admin console lists them (see [`OutboxStore`]).

use super::{SqlStore, on_pool};
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
            Outbox::Mail => on_pool!(self, pool => {
                sqlx::query(
                    "UPDATE mail_outbox SET failed_at = NULL, next_attempt_at = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
            })?,
            Outbox::Events => on_pool!(self, pool => {
                sqlx::query(
                    "UPDATE event_deliveries SET failed_at = NULL, next_attempt_at = $3 \
                     WHERE event_id = $1 AND destination = $2 AND delivered_at IS NULL",
                )
                .bind(id)
                .bind(destination)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
            })?,
        };
        Ok(changed == 1)
    }
}
