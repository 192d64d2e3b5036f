//! Passkeys and their ceremonies in SQL. A ceremony is taken with one `DELETE ... RETURNING`
//! (single use); a passkey's use is one conditional `UPDATE` on the counter read before it.

use super::users::WayIn;
use super::{SqlStore, execute, on_pool, token_hash, user_id};
use crate::secrets::TokenHash;
use crate::store::{PasskeyStore, PasskeyUse, StoreError, StoredCeremony, StoredPasskey};
use crate::users::UserId;
use async_trait::async_trait;

#[derive(sqlx::FromRow)]
struct PasskeyRow {
    id: String,
    user_id: String,
    credential_id: Vec<u8>,
    credential: String,
    name: String,
    sign_count: i64,
    backup_eligible: bool,
    backup_state: bool,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl PasskeyRow {
    fn into_passkey(self) -> Result<StoredPasskey, StoreError> {
        Ok(StoredPasskey {
            id: self.id,
            user_id: user_id(&self.user_id)?,
            credential_id: self.credential_id,
            credential: self.credential,
            name: self.name,
            sign_count: self.sign_count,
            backup_eligible: self.backup_eligible,
            backup_state: self.backup_state,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CeremonyRow {
    kind: String,
    user_id: Option<String>,
    browser_hash: Vec<u8>,
    state: String,
    context: Option<String>,
    created_at: i64,
    expires_at: i64,
}

#[async_trait]
impl PasskeyStore for SqlStore {
    async fn insert_passkey(&self, passkey: &StoredPasskey) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO passkeys (id, user_id, credential_id, credential, name, sign_count, \
             backup_eligible, backup_state, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &passkey.id,
            passkey.user_id.as_str(),
            &passkey.credential_id,
            &passkey.credential,
            &passkey.name,
            passkey.sign_count,
            passkey.backup_eligible,
            passkey.backup_state,
            passkey.created_at,
            passkey.last_used_at
        )?;
        Ok(())
    }

    async fn user_passkeys(&self, user: &UserId) -> Result<Vec<StoredPasskey>, StoreError> {
        let rows: Vec<PasskeyRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, user_id, credential_id, credential, name, sign_count, backup_eligible, \
                 backup_state, created_at, last_used_at FROM passkeys WHERE user_id = $1 \
                 ORDER BY created_at, id",
            )
            .bind(user.as_str())
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(PasskeyRow::into_passkey).collect()
    }

    async fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<StoredPasskey>, StoreError> {
        let row: Option<PasskeyRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, user_id, credential_id, credential, name, sign_count, backup_eligible, \
                 backup_state, created_at, last_used_at FROM passkeys WHERE credential_id = $1",
            )
            .bind(credential_id)
            .fetch_optional(pool)
            .await
        })?;
        row.map(PasskeyRow::into_passkey).transpose()
    }

    async fn use_passkey(&self, used: &PasskeyUse<'_>) -> Result<bool, StoreError> {
        let updated = execute!(
            self,
            "UPDATE passkeys SET sign_count = $1, credential = $2, backup_eligible = $3, \
             backup_state = $4, last_used_at = $5 WHERE id = $6 AND sign_count = $7",
            used.sign_count,
            used.credential,
            used.backup_eligible,
            used.backup_state,
            used.now,
            used.id,
            used.previous_count
        )?;
        Ok(updated == 1)
    }

    async fn rename_passkey(
        &self,
        user: &UserId,
        id: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        let updated = execute!(
            self,
            "UPDATE passkeys SET name = $1 WHERE user_id = $2 AND id = $3",
            name,
            user.as_str(),
            id
        )?;
        Ok(updated == 1)
    }

    async fn delete_passkey(&self, user: &UserId, id: &str) -> Result<bool, StoreError> {
        self.delete_way_in(user, WayIn::Passkey, id).await
    }

    async fn insert_passkey_ceremony(
        &self,
        ceremony: &StoredCeremony,
        handle_hash: &TokenHash,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "DELETE FROM passkey_ceremonies WHERE expires_at <= $1",
            ceremony.created_at
        )?;
        execute!(
            self,
            "INSERT INTO passkey_ceremonies (handle_hash, kind, user_id, browser_hash, state, \
             context, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            handle_hash.as_bytes(),
            &ceremony.kind,
            ceremony.user_id.as_ref().map(UserId::as_str),
            ceremony.browser_hash.as_bytes(),
            &ceremony.state,
            &ceremony.context,
            ceremony.created_at,
            ceremony.expires_at
        )?;
        Ok(())
    }

    async fn take_passkey_ceremony(
        &self,
        handle_hash: &TokenHash,
        kind: &str,
        now: i64,
    ) -> Result<Option<StoredCeremony>, StoreError> {
        let row: Option<CeremonyRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "DELETE FROM passkey_ceremonies WHERE handle_hash = $1 \
                 RETURNING kind, user_id, browser_hash, state, context, created_at, expires_at",
            )
            .bind(handle_hash.as_bytes())
            .fetch_optional(pool)
            .await
        })?;
        let Some(row) = row.filter(|r| r.kind == kind && r.expires_at > now) else {
            return Ok(None);
        };
        Ok(Some(StoredCeremony {
            kind: row.kind,
            user_id: row.user_id.as_deref().map(user_id).transpose()?,
            browser_hash: token_hash("passkey ceremony browser", &row.browser_hash)?,
            state: row.state,
            context: row.context,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }))
    }
}
