//! E-mail tokens, the mail outbox and the audit log in SQL.

use super::outboxes::OutboxRow;
use super::{SqlStore, execute, on_pool, user_id};
use crate::secrets::TokenHash;
use crate::store::{
    AuditEvent, AuditFilter, AuditStore, EmailTokenPurpose, EmailTokenStore, MailStore, QueuedMail,
    StoreError,
};
use crate::users::UserId;
use async_trait::async_trait;

#[async_trait]
impl EmailTokenStore for SqlStore {
    async fn insert_email_token(
        &self,
        hash: &TokenHash,
        user: &UserId,
        purpose: EmailTokenPurpose,
        email: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            hash.as_bytes(),
            user.as_str(),
            purpose.as_str(),
            email,
            now,
            expires_at
        )?;
        Ok(())
    }

    async fn email_token(
        &self,
        hash: &TokenHash,
        purpose: EmailTokenPurpose,
        now: i64,
    ) -> Result<Option<(UserId, String)>, StoreError> {
        self.live_email_token(
            "SELECT user_id, email FROM email_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
            hash,
            purpose,
            now,
        )
        .await
    }

    async fn consume_email_token(
        &self,
        hash: &TokenHash,
        purpose: EmailTokenPurpose,
        now: i64,
    ) -> Result<Option<(UserId, String)>, StoreError> {
        self.live_email_token(
            "UPDATE email_tokens SET used_at = $3 \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
             RETURNING user_id, email",
            hash,
            purpose,
            now,
        )
        .await
    }

    async fn retire_email_tokens(
        &self,
        user: &UserId,
        purpose: EmailTokenPurpose,
        now: i64,
    ) -> Result<u64, StoreError> {
        let retired = execute!(
            self,
            "UPDATE email_tokens SET used_at = $3 \
             WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            user.as_str(),
            purpose.as_str(),
            now
        )?;
        Ok(retired)
    }
}

impl SqlStore {
    /// The user and address of the e-mail token `hash` for `purpose`, unused and unexpired at
    /// `now`, as `sql` (`$1` the hash, `$2` the purpose, `$3` now) reads or consumes it.
    async fn live_email_token(
        &self,
        sql: &'static str,
        hash: &TokenHash,
        purpose: EmailTokenPurpose,
        now: i64,
    ) -> Result<Option<(UserId, String)>, StoreError> {
        let row: Option<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(hash.as_bytes())
                .bind(purpose.as_str())
                .bind(now)
                .fetch_optional(pool)
                .await
        })?;
        row.map(|(user, email)| Ok((user_id(&user)?, email)))
            .transpose()
    }
}

#[derive(sqlx::FromRow)]
struct MailRow {
    id: String,
    sealed_message: Vec<u8>,
    attempts: i64,
}

#[async_trait]
impl MailStore for SqlStore {
    async fn enqueue_mail(
        &self,
        id: &str,
        sealed_message: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO mail_outbox (id, sealed_message, created_at, next_attempt_at) VALUES ($1, $2, $3, $3)",
            id,
            sealed_message,
            now
        )?;
        Ok(())
    }

    async fn claim_due_mail(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        // The outer condition is checked again on the locked row, so two replicas claiming at
        // once never both get a message.
        let rows: Vec<MailRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "UPDATE mail_outbox SET next_attempt_at = $2 \
                 WHERE failed_at IS NULL AND next_attempt_at <= $1 AND id IN ( \
                   SELECT id FROM mail_outbox WHERE failed_at IS NULL AND next_attempt_at <= $1 \
                   ORDER BY next_attempt_at LIMIT $3) \
                 RETURNING id, sealed_message, attempts",
            )
            .bind(now)
            .bind(now + lease_secs)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| QueuedMail {
                id: r.id,
                sealed_message: r.sealed_message,
                attempts: r.attempts,
            })
            .collect())
    }

    async fn mail_sent(&self, id: &str) -> Result<(), StoreError> {
        execute!(self, "DELETE FROM mail_outbox WHERE id = $1", id)?;
        Ok(())
    }

    async fn mail_failed(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
        failed_at: Option<i64>,
    ) -> Result<(), StoreError> {
        self.outbox_attempt_failed(
            OutboxRow::Mail(id),
            attempts,
            next_attempt_at,
            error,
            failed_at,
        )
        .await
    }

    async fn pending_mail(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE failed_at IS NULL").fetch_one(pool).await
        })?)
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    at: i64,
    event: String,
    outcome: String,
    user_id: Option<String>,
    client_id: Option<String>,
    actor: Option<String>,
    ip: Option<String>,
    details: String,
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn insert_audit(&self, e: &AuditEvent) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO audit_events (id, at, event, outcome, user_id, client_id, actor, ip, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &e.id,
            e.at,
            &e.event,
            &e.outcome,
            &e.user_id,
            &e.client_id,
            &e.actor,
            &e.ip,
            &e.details
        )?;
        Ok(())
    }

    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        // Optional filters as `($n IS NULL OR column = $n)`: one statement for every combination.
        let rows: Vec<AuditRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, at, event, outcome, user_id, client_id, actor, ip, details FROM audit_events \
                 WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) \
                   AND (CAST($2 AS TEXT) IS NULL OR event = $2) \
                   AND (CAST($3 AS TEXT) IS NULL OR id < $3) \
                   AND (CAST($5 AS TEXT) IS NULL OR client_id = $5) \
                   AND (CAST($6 AS TEXT) IS NULL OR outcome = $6) \
                   AND (CAST($7 AS BIGINT) IS NULL OR at >= $7) \
                   AND (CAST($8 AS BIGINT) IS NULL OR at < $8) \
                 ORDER BY id DESC LIMIT $4",
            )
            .bind(&filter.user_id)
            .bind(&filter.event)
            .bind(&filter.before)
            .bind(i64::from(filter.limit.clamp(1, 1000)))
            .bind(&filter.client_id)
            .bind(&filter.outcome)
            .bind(filter.since)
            .bind(filter.until)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEvent {
                id: r.id,
                at: r.at,
                event: r.event,
                outcome: r.outcome,
                user_id: r.user_id,
                client_id: r.client_id,
                actor: r.actor,
                ip: r.ip,
                details: r.details,
            })
            .collect())
    }
}
