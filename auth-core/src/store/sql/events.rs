//! The event outbox in SQL: writing events inside the transactions of the changes they
//! describe ([`EventTx`]), and claiming and settling deliveries ([`EventStore`]).

use super::outboxes::OutboxRow;
use super::{SqlStore, execute, on_pool};
use crate::events::{self, EventRouting, Subject, UserState};
use crate::store::{EventStore, QueuedDelivery, StoreError};
use async_trait::async_trait;
use auth_proto::events::EventType;
use sqlx::Transaction;

/// Writing an event in an open write transaction.
pub(crate) trait EventTx {
    /// Writes a `kind` event about `subject` with a delivery per destination of `routing`, or
    /// nothing when there is none. User events other than `user.deleted` carry the user's
    /// state as this transaction sees it, after the change.
    async fn write_event(
        &mut self,
        routing: &EventRouting,
        kind: EventType,
        subject: Subject<'_>,
        now: i64,
    ) -> Result<(), StoreError>;
}

/// The same body for each backend's transaction, as [`on_pool!`] does for pools.
macro_rules! impl_event_tx {
    ($db:ty) => {
        impl EventTx for Transaction<'static, $db> {
            async fn write_event(
                &mut self,
                routing: &EventRouting,
                kind: EventType,
                subject: Subject<'_>,
                now: i64,
            ) -> Result<(), StoreError> {
                if routing.destinations.is_empty() {
                    return Ok(());
                }
                let state = match subject {
                    Subject::User(id) if kind != EventType::UserDeleted => {
                        let (email, email_verified, name, disabled_at): (String, bool, String, Option<i64>) =
                            sqlx::query_as(
                                "SELECT email, email_verified, name, disabled_at FROM users WHERE id = $1",
                            )
                            .bind(id)
                            .fetch_one(&mut **self)
                            .await?;
                        let roles: Vec<String> =
                            sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
                                .bind(id)
                                .fetch_all(&mut **self)
                                .await?;
                        Some(UserState {
                            email,
                            email_verified,
                            name,
                            roles,
                            disabled: disabled_at.is_some(),
                        })
                    }
                    _ => None,
                };
                let event = events::build(routing, kind, subject, state, now);
                let payload = serde_json::to_string(&event)
                    .map_err(|e| StoreError::Corrupt(format!("event: {e}")))?;
                sqlx::query("INSERT INTO events (id, type, occurred_at, payload) VALUES ($1, $2, $3, $4)")
                    .bind(&event.id)
                    .bind(kind.as_str())
                    .bind(now)
                    .bind(&payload)
                    .execute(&mut **self)
                    .await?;
                for destination in &routing.destinations {
                    sqlx::query(
                        "INSERT INTO event_deliveries (event_id, destination, next_attempt_at) VALUES ($1, $2, $3)",
                    )
                    .bind(&event.id)
                    .bind(destination)
                    .bind(now)
                    .execute(&mut **self)
                    .await?;
                }
                Ok(())
            }
        }
    };
}

impl_event_tx!(sqlx::Sqlite);
impl_event_tx!(sqlx::Postgres);

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    event_id: String,
    destination: String,
    attempts: i64,
    event_type: String,
    payload: String,
}

#[async_trait]
impl EventStore for SqlStore {
    async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<QueuedDelivery>, StoreError> {
        // As for mail: the outer condition is checked again on the locked row, so two replicas
        // claiming at once never both get a delivery.
        let rows: Vec<DeliveryRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "UPDATE event_deliveries SET next_attempt_at = $2 \
                 WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                   AND (event_id, destination) IN ( \
                     SELECT event_id, destination FROM event_deliveries \
                     WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                     ORDER BY next_attempt_at, event_id LIMIT $3) \
                 RETURNING event_id, destination, attempts, \
                   (SELECT type FROM events WHERE events.id = event_deliveries.event_id) AS event_type, \
                   (SELECT payload FROM events WHERE events.id = event_deliveries.event_id) AS payload",
            )
            .bind(now)
            .bind(now + lease_secs)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| QueuedDelivery {
                event_id: r.event_id,
                event_type: r.event_type,
                destination: r.destination,
                payload: r.payload,
                attempts: r.attempts,
            })
            .collect())
    }

    async fn delivery_done(
        &self,
        event_id: &str,
        destination: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "UPDATE event_deliveries SET delivered_at = $3, last_error = NULL \
             WHERE event_id = $1 AND destination = $2",
            event_id,
            destination,
            now
        )?;
        Ok(())
    }

    async fn delivery_failed(
        &self,
        event_id: &str,
        destination: &str,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
        failed_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let row = OutboxRow::Delivery {
            event_id,
            destination,
        };
        self.outbox_attempt_failed(row, attempts, next_attempt_at, error, failed_at)
            .await
    }

    async fn pending_deliveries(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM event_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL",
            )
            .fetch_one(pool)
            .await
        })?)
    }
}
