//! Browser sessions in SQL.

use super::{LogoutTx, SqlStore, WritePool, amr, execute, on_pool, user_id};
use crate::secrets::TokenHash;
use crate::sessions::Session;
use crate::store::{SessionStore, StoreError};
use crate::users::UserId;
use async_trait::async_trait;

const COLUMNS: &str =
    "id, user_id, auth_time, amr, created_at, last_seen_at, expires_at, user_agent, ip";

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    user_id: String,
    auth_time: i64,
    amr: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    user_agent: String,
    ip: String,
}

impl SessionRow {
    fn into_session(self) -> Result<Session, StoreError> {
        Ok(Session {
            user_id: user_id(&self.user_id)?,
            amr: amr(&self.amr),
            id: self.id,
            auth_time: self.auth_time,
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
            expires_at: self.expires_at,
            user_agent: self.user_agent,
            ip: self.ip,
        })
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(
        &self,
        session: &Session,
        secret_hash: &TokenHash,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO sessions (id, secret_hash, user_id, auth_time, amr, created_at, \
             last_seen_at, expires_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &session.id,
            secret_hash.as_bytes(),
            session.user_id.as_str(),
            session.auth_time,
            session.amr.join(" "),
            session.created_at,
            session.last_seen_at,
            session.expires_at,
            &session.user_agent,
            &session.ip
        )?;
        Ok(())
    }

    async fn session_by_secret(
        &self,
        secret_hash: &TokenHash,
        now: i64,
    ) -> Result<Option<Session>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sessions WHERE secret_hash = $1 AND expires_at > $2"
        ));
        let row: Option<SessionRow> = on_pool!(self, pool => {
            sqlx::query_as(sql).bind(secret_hash.as_bytes()).bind(now).fetch_optional(pool).await
        })?;
        row.map(SessionRow::into_session).transpose()
    }

    async fn user_sessions(&self, user: &UserId, now: i64) -> Result<Vec<Session>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC"
        ));
        let rows: Vec<SessionRow> = on_pool!(self, pool => {
            sqlx::query_as(sql).bind(user.as_str()).bind(now).fetch_all(pool).await
        })?;
        rows.into_iter().map(SessionRow::into_session).collect()
    }

    async fn end_session(&self, session_id: &str) -> Result<(), StoreError> {
        // The session's codes go with it (`ON DELETE CASCADE`). On PostgreSQL the cascade
        // waits for a redemption of one of them that is under way, so the family that
        // redemption creates is there for the update to revoke, and for its client to be told.
        self.end_sessions("id = $1", "session_id = $1", &[session_id])
            .await
    }

    async fn end_user_sessions(&self, user: &UserId) -> Result<(), StoreError> {
        self.end_sessions("user_id = $1", "user_id = $1", &[user.as_str()])
            .await
    }

    async fn end_other_sessions(
        &self,
        user: &UserId,
        keep_session: &str,
    ) -> Result<(), StoreError> {
        self.end_sessions(
            "user_id = $1 AND id <> $2",
            "user_id = $1 AND (session_id IS NULL OR session_id <> $2)",
            &[user.as_str(), keep_session],
        )
        .await
    }
}

impl SqlStore {
    /// Deletes the sessions `sessions_where` selects, revokes the token families
    /// `families_where` selects (`params` are bound to `$1`, `$2`, ... in both), and queues
    /// the logout notices the ended sessions owe: one transaction.
    async fn end_sessions(
        &self,
        sessions_where: &str,
        families_where: &str,
        params: &[&str],
    ) -> Result<(), StoreError> {
        let delete = format!("DELETE FROM sessions WHERE {sessions_where} RETURNING id");
        let revoke = format!(
            "UPDATE token_families SET revoked_at = unixepoch() \
             WHERE {families_where} AND revoked_at IS NULL"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ended = sqlx::query_scalar(sqlx::AssertSqlSafe(delete));
            let mut revoked = sqlx::query(sqlx::AssertSqlSafe(revoke));
            for param in params {
                ended = ended.bind(*param);
                revoked = revoked.bind(*param);
            }
            let ended: Vec<String> = ended.fetch_all(&mut *tx).await?;
            revoked.execute(&mut *tx).await?;
            tx.queue_logouts(&ended).await?;
            tx.commit().await?;
        });
        self.caches.revocations_changed();
        Ok(())
    }
}
