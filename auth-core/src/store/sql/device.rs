//! Device authorization requests (RFC 8628) in SQL.
//!
//! Every change is conditional on the row's status in the statement that makes it, so two
//! replicas cannot both decide, or both redeem, one request: polling tracks the interval in
//! one `UPDATE`, and redemption claims `approved -> used` inside the transaction that records
//! the tokens it issues.

use super::grants::record_grant;
use super::{SqlStore, WritePool, amr, execute, on_pool, user_id};
use crate::secrets::TokenHash;
use crate::store::{
    DeviceDecision, DeviceStatus, DeviceStore, IssuedAccess, NewDeviceAuthorization,
    NewRefreshToken, StoreError, StoredDeviceAuthorization, TokenFamily,
};
use async_trait::async_trait;

/// The columns of a [`Row`].
const COLUMNS: &str = "client_id, scope, status, created_at, expires_at, interval_secs, \
                       polled_too_fast, user_id, session_id, auth_time, amr, family_id";

/// "The poll came before the device may poll again", in SQL over the row before the update.
const TOO_FAST: &str = "(next_poll_at IS NOT NULL AND $3 < next_poll_at)";

#[derive(sqlx::FromRow)]
struct Row {
    client_id: String,
    scope: String,
    status: String,
    created_at: i64,
    expires_at: i64,
    interval_secs: i64,
    polled_too_fast: i64,
    user_id: Option<String>,
    session_id: Option<String>,
    auth_time: Option<i64>,
    amr: Option<String>,
    family_id: String,
}

impl Row {
    fn into_record(self) -> Result<StoredDeviceAuthorization, StoreError> {
        Ok(StoredDeviceAuthorization {
            status: DeviceStatus::parse(&self.status)
                .ok_or_else(|| super::corrupt("device authorization status", &self.status))?,
            user_id: self.user_id.as_deref().map(user_id).transpose()?,
            amr: self.amr.as_deref().map(amr).unwrap_or_default(),
            client_id: self.client_id,
            scope: self.scope,
            created_at: self.created_at,
            expires_at: self.expires_at,
            interval_secs: self.interval_secs,
            polled_too_fast: self.polled_too_fast != 0,
            session_id: self.session_id,
            auth_time: self.auth_time,
            family_id: self.family_id,
        })
    }
}

#[async_trait]
impl DeviceStore for SqlStore {
    async fn insert_device_authorization(
        &self,
        device_code_hash: &TokenHash,
        user_code_hash: &TokenHash,
        new: &NewDeviceAuthorization,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO device_authorizations (device_code_hash, user_code_hash, client_id, scope, \
             status, created_at, expires_at, interval_secs, family_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            device_code_hash.as_bytes(),
            user_code_hash.as_bytes(),
            &new.client_id,
            &new.scope,
            DeviceStatus::Pending.as_str(),
            new.created_at,
            new.expires_at,
            new.interval_secs,
            &new.family_id
        )?;
        Ok(())
    }

    async fn pending_device_authorization(
        &self,
        user_code_hash: &TokenHash,
        now: i64,
    ) -> Result<Option<StoredDeviceAuthorization>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            // Only constants are formatted in.
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM device_authorizations \
                 WHERE user_code_hash = $1 AND status = $2 AND expires_at > $3"
            )))
            .bind(user_code_hash.as_bytes())
            .bind(DeviceStatus::Pending.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        row.map(Row::into_record).transpose()
    }

    async fn decide_device_authorization(
        &self,
        user_code_hash: &TokenHash,
        now: i64,
        decision: &DeviceDecision,
    ) -> Result<bool, StoreError> {
        // A denial keeps no session: the device must hear `access_denied` even after the user
        // signed out.
        let (status, user, session, auth_time, methods, scope) = match decision {
            DeviceDecision::Approve { session, scope } => (
                DeviceStatus::Approved,
                session.user_id.as_str(),
                Some(session.id.as_str()),
                Some(session.auth_time),
                Some(session.amr.join(" ")),
                Some(scope.as_str()),
            ),
            DeviceDecision::Deny { user } => {
                (DeviceStatus::Denied, user.as_str(), None, None, None, None)
            }
        };
        let decided = execute!(
            self,
            "UPDATE device_authorizations SET status = $3, user_id = $4, session_id = $5, \
             auth_time = $6, amr = $7, scope = COALESCE($8, scope), decided_at = $2 \
             WHERE user_code_hash = $1 AND status = $9 AND expires_at > $2",
            user_code_hash.as_bytes(),
            now,
            status.as_str(),
            user,
            session,
            auth_time,
            methods,
            scope,
            DeviceStatus::Pending.as_str()
        )?;
        Ok(decided == 1)
    }

    async fn poll_device_authorization(
        &self,
        device_code_hash: &TokenHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredDeviceAuthorization>, StoreError> {
        // Every right-hand side reads the row as it was before the update (SQL semantics, on
        // both backends), so `TOO_FAST` means the same in each.
        let row: Option<Row> = on_pool!(self, pool => {
            // Only constants are formatted in.
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "UPDATE device_authorizations SET \
                 polled_too_fast = CASE WHEN {TOO_FAST} THEN 1 ELSE 0 END, \
                 interval_secs = CASE WHEN {TOO_FAST} THEN interval_secs + 5 ELSE interval_secs END, \
                 next_poll_at = $3 + CASE WHEN {TOO_FAST} THEN interval_secs + 5 ELSE interval_secs END \
                 WHERE device_code_hash = $1 AND client_id = $2 RETURNING {COLUMNS}"
            )))
            .bind(device_code_hash.as_bytes())
            .bind(client_id)
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        row.map(Row::into_record).transpose()
    }

    async fn redeem_device_code(
        &self,
        device_code_hash: &TokenHash,
        now: i64,
        family: &TokenFamily,
        refresh: Option<&NewRefreshToken>,
        access: &IssuedAccess,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let claimed = execute!(
                &mut *tx,
                "UPDATE device_authorizations SET status = $3 \
                 WHERE device_code_hash = $1 AND status = $4 AND expires_at > $2",
                device_code_hash.as_bytes(),
                now,
                DeviceStatus::Used.as_str(),
                DeviceStatus::Approved.as_str(),
            )?;
            if claimed == 1 {
                record_grant!(tx, now, family, refresh, access);
                tx.commit().await?;
            }
            claimed == 1
        }))
    }
}
