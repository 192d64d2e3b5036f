//! Upstream identity providers in SQL: sign-ins under way (`upstream_states`), linked
//! identities (`upstream_identities`) and pending links (`upstream_pending`).

use super::users::WayIn;
use super::{SqlStore, execute, on_pool, token_hash, user_id};
use crate::secrets::TokenHash;
use crate::store::{
    StoreError, StoredUpstreamPending, StoredUpstreamState, UpstreamIdentity, UpstreamStore,
};
use crate::users::UserId;
use async_trait::async_trait;

#[derive(sqlx::FromRow)]
struct StateRow {
    provider_id: String,
    browser_hash: Vec<u8>,
    nonce_hash: Vec<u8>,
    sealed_verifier: Vec<u8>,
    request_handle: Option<String>,
    link_user_id: Option<String>,
    created_at: i64,
    expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct IdentityRow {
    provider_id: String,
    subject: String,
    user_id: String,
    email: Option<String>,
    created_at: i64,
    last_used_at: i64,
}

impl IdentityRow {
    fn into_identity(self) -> Result<UpstreamIdentity, StoreError> {
        Ok(UpstreamIdentity {
            user_id: user_id(&self.user_id)?,
            provider_id: self.provider_id,
            subject: self.subject,
            email: self.email,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    purpose: String,
    provider_id: String,
    subject: String,
    email: Option<String>,
    user_id: String,
    browser_hash: Vec<u8>,
    request_handle: Option<String>,
    created_at: i64,
    expires_at: i64,
}

macro_rules! identity_select {
    ($rest:literal) => {
        concat!(
            "SELECT provider_id, subject, user_id, email, created_at, last_used_at \
             FROM upstream_identities ",
            $rest
        )
    };
}

#[async_trait]
impl UpstreamStore for SqlStore {
    async fn insert_upstream_state(
        &self,
        state_hash: &TokenHash,
        state: &StoredUpstreamState,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO upstream_states (state_hash, provider_id, browser_hash, nonce_hash, \
             sealed_verifier, request_handle, link_user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            state_hash.as_bytes(),
            &state.provider_id,
            state.browser_hash.as_bytes(),
            state.nonce_hash.as_bytes(),
            &state.sealed_verifier,
            &state.request_handle,
            state.link_user.as_ref().map(UserId::as_str),
            state.created_at,
            state.expires_at
        )?;
        Ok(())
    }

    async fn take_upstream_state(
        &self,
        state_hash: &TokenHash,
    ) -> Result<Option<StoredUpstreamState>, StoreError> {
        // One statement: of two callbacks with the same state, only one gets the row.
        let row: Option<StateRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "DELETE FROM upstream_states WHERE state_hash = $1 RETURNING provider_id, \
                 browser_hash, nonce_hash, sealed_verifier, request_handle, link_user_id, \
                 created_at, expires_at",
            )
            .bind(state_hash.as_bytes())
            .fetch_optional(pool)
            .await
        })?;
        row.map(|r| {
            Ok(StoredUpstreamState {
                provider_id: r.provider_id,
                browser_hash: token_hash("upstream state browser", &r.browser_hash)?,
                nonce_hash: token_hash("upstream state nonce", &r.nonce_hash)?,
                sealed_verifier: r.sealed_verifier,
                request_handle: r.request_handle,
                link_user: r.link_user_id.as_deref().map(user_id).transpose()?,
                created_at: r.created_at,
                expires_at: r.expires_at,
            })
        })
        .transpose()
    }

    async fn upstream_identity(
        &self,
        provider_id: &str,
        subject: &str,
    ) -> Result<Option<UpstreamIdentity>, StoreError> {
        let row: Option<IdentityRow> = on_pool!(self, pool => {
            sqlx::query_as(identity_select!("WHERE provider_id = $1 AND subject = $2"))
                .bind(provider_id)
                .bind(subject)
                .fetch_optional(pool)
                .await
        })?;
        row.map(IdentityRow::into_identity).transpose()
    }

    async fn insert_upstream_identity(
        &self,
        identity: &UpstreamIdentity,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO upstream_identities (provider_id, subject, user_id, email, created_at, \
             last_used_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &identity.provider_id,
            &identity.subject,
            identity.user_id.as_str(),
            &identity.email,
            identity.created_at,
            identity.last_used_at
        )?;
        Ok(())
    }

    async fn touch_upstream_identity(
        &self,
        provider_id: &str,
        subject: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "UPDATE upstream_identities SET last_used_at = $3 WHERE provider_id = $1 AND subject = $2",
            provider_id,
            subject,
            now
        )?;
        Ok(())
    }

    async fn upstream_identities(
        &self,
        user: &UserId,
    ) -> Result<Vec<UpstreamIdentity>, StoreError> {
        let rows: Vec<IdentityRow> = on_pool!(self, pool => {
            sqlx::query_as(identity_select!("WHERE user_id = $1 ORDER BY provider_id, created_at"))
                .bind(user.as_str())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(IdentityRow::into_identity).collect()
    }

    async fn delete_upstream_identity(
        &self,
        user: &UserId,
        provider_id: &str,
    ) -> Result<bool, StoreError> {
        self.delete_way_in(user, WayIn::Upstream, provider_id).await
    }

    async fn insert_upstream_pending(
        &self,
        handle_hash: &TokenHash,
        pending: &StoredUpstreamPending,
        now: i64,
    ) -> Result<(), StoreError> {
        let identity = &pending.identity;
        execute!(
            self,
            "INSERT INTO upstream_pending (handle_hash, purpose, provider_id, subject, email, \
             user_id, browser_hash, request_handle, attempts, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10)",
            handle_hash.as_bytes(),
            &pending.purpose,
            &identity.provider_id,
            &identity.subject,
            &identity.email,
            identity.user_id.as_str(),
            pending.browser_hash.as_bytes(),
            &pending.request_handle,
            now,
            pending.expires_at
        )?;
        Ok(())
    }

    async fn attempt_upstream_pending(
        &self,
        handle_hash: &TokenHash,
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<StoredUpstreamPending>, StoreError> {
        let row: Option<PendingRow> = self
            .take_attempt(
                "upstream_pending",
                "purpose, provider_id, subject, email, user_id, browser_hash, request_handle, \
                 created_at, expires_at",
                handle_hash,
                now,
                max_attempts,
            )
            .await?;
        row.map(|r| {
            Ok(StoredUpstreamPending {
                purpose: r.purpose,
                identity: UpstreamIdentity {
                    provider_id: r.provider_id,
                    subject: r.subject,
                    user_id: user_id(&r.user_id)?,
                    email: r.email,
                    created_at: r.created_at,
                    last_used_at: r.created_at,
                },
                browser_hash: token_hash("upstream pending browser", &r.browser_hash)?,
                request_handle: r.request_handle,
                expires_at: r.expires_at,
            })
        })
        .transpose()
    }

    async fn delete_upstream_pending(&self, handle_hash: &TokenHash) -> Result<bool, StoreError> {
        let deleted = execute!(
            self,
            "DELETE FROM upstream_pending WHERE handle_hash = $1",
            handle_hash.as_bytes()
        )?;
        Ok(deleted == 1)
    }
}
