//! Second factors in SQL. Every single-use check is one conditional statement, so concurrent
//! attempts cannot both succeed.

use super::{SqlStore, WritePool, execute, on_pool, token_hash, user_id};
use crate::secrets::TokenHash;
use crate::store::{CodeCheck, MfaStore, StoreError, StoredChallenge, StoredTotp};
use crate::users::UserId;
use async_trait::async_trait;

#[derive(sqlx::FromRow)]
struct TotpRow {
    sealed_secret: Vec<u8>,
    confirmed_at: Option<i64>,
    last_step: i64,
}

#[derive(sqlx::FromRow)]
struct ChallengeRow {
    user_id: String,
    browser_hash: Vec<u8>,
    request_handle: Option<String>,
    method: String,
    attempts: i64,
    created_at: i64,
    expires_at: i64,
}

#[async_trait]
impl MfaStore for SqlStore {
    async fn totp(&self, user: &UserId) -> Result<Option<StoredTotp>, StoreError> {
        let row: Option<TotpRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT sealed_secret, confirmed_at, last_step FROM totp_credentials WHERE user_id = $1")
                .bind(user.as_str())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(|r| StoredTotp {
            sealed_secret: r.sealed_secret,
            confirmed_at: r.confirmed_at,
            last_step: r.last_step,
        }))
    }

    async fn put_pending_totp(
        &self,
        user: &UserId,
        sealed_secret: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        let written = execute!(
            self,
            "INSERT INTO totp_credentials (user_id, sealed_secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET sealed_secret = $2, created_at = $3, last_step = 0 \
             WHERE totp_credentials.confirmed_at IS NULL",
            user.as_str(),
            sealed_secret,
            now
        )?;
        if written == 0 {
            return Err(StoreError::Conflict(
                "an authenticator app is already confirmed".into(),
            ));
        }
        Ok(())
    }

    async fn confirm_totp(&self, user: &UserId, step: i64, now: i64) -> Result<bool, StoreError> {
        let updated = execute!(
            self,
            "UPDATE totp_credentials SET confirmed_at = $3, last_step = $2 \
             WHERE user_id = $1 AND confirmed_at IS NULL",
            user.as_str(),
            step,
            now
        )?;
        Ok(updated == 1)
    }

    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool, StoreError> {
        let updated = execute!(
            self,
            "UPDATE totp_credentials SET last_step = $2 \
             WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2",
            user.as_str(),
            step
        )?;
        Ok(updated == 1)
    }

    async fn delete_totp(&self, user: &UserId) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            execute!(&mut *tx, "DELETE FROM totp_credentials WHERE user_id = $1", user.as_str())?;
            execute!(&mut *tx, "DELETE FROM recovery_codes WHERE user_id = $1", user.as_str())?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn replace_recovery_codes(
        &self,
        user: &UserId,
        hashes: &[TokenHash],
        now: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            execute!(&mut *tx, "DELETE FROM recovery_codes WHERE user_id = $1", user.as_str())?;
            for hash in hashes {
                execute!(
                    &mut *tx,
                    "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
                    user.as_str(),
                    hash.as_bytes(),
                    now,
                )?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        user: &UserId,
        hash: &TokenHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        let updated = execute!(
            self,
            "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            user.as_str(),
            hash.as_bytes(),
            now
        )?;
        Ok(updated == 1)
    }

    async fn recovery_codes_left(&self, user: &UserId) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
                .bind(user.as_str())
                .fetch_one(pool)
                .await
        })?)
    }

    async fn put_one_time_code(
        &self,
        user: &UserId,
        purpose: &str,
        hash: &TokenHash,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO one_time_codes (user_id, purpose, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, purpose) DO UPDATE SET code_hash = $3, attempts = 0, created_at = $4, expires_at = $5",
            user.as_str(),
            purpose,
            hash.as_bytes(),
            now,
            expires_at
        )?;
        Ok(())
    }

    async fn check_one_time_code(
        &self,
        user: &UserId,
        purpose: &str,
        hash: &TokenHash,
        now: i64,
        max_attempts: i64,
    ) -> Result<CodeCheck, StoreError> {
        // Spend an attempt first: a row lock on PostgreSQL, the write lock on SQLite.
        let spent: Option<(Vec<u8>, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "UPDATE one_time_codes SET attempts = attempts + 1 \
                 WHERE user_id = $1 AND purpose = $2 AND attempts < $3 AND expires_at > $4 \
                 RETURNING code_hash, attempts",
            )
            .bind(user.as_str())
            .bind(purpose)
            .bind(max_attempts)
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        let Some((stored, attempts)) = spent else {
            return Ok(CodeCheck::Missing);
        };
        if !token_hash("one-time code", &stored)?.ct_eq(hash) {
            return Ok(CodeCheck::Wrong {
                attempts_left: (max_attempts - attempts).max(0),
            });
        }
        // Only one of several concurrent correct attempts deletes the row.
        let deleted = execute!(
            self,
            "DELETE FROM one_time_codes WHERE user_id = $1 AND purpose = $2 AND code_hash = $3",
            user.as_str(),
            purpose,
            hash.as_bytes()
        )?;
        Ok(if deleted == 1 {
            CodeCheck::Valid
        } else {
            CodeCheck::Missing
        })
    }

    async fn insert_login_challenge(
        &self,
        challenge: &StoredChallenge,
        handle_hash: &TokenHash,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO login_challenges (handle_hash, user_id, browser_hash, request_handle, method, \
             attempts, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            handle_hash.as_bytes(),
            challenge.user_id.as_str(),
            challenge.browser_hash.as_bytes(),
            &challenge.request_handle,
            &challenge.method,
            challenge.attempts,
            challenge.created_at,
            challenge.expires_at
        )?;
        Ok(())
    }

    async fn attempt_login_challenge(
        &self,
        handle_hash: &TokenHash,
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<StoredChallenge>, StoreError> {
        let row: Option<ChallengeRow> = self
            .take_attempt(
                "login_challenges",
                "user_id, browser_hash, request_handle, method, attempts, created_at, expires_at",
                handle_hash,
                now,
                max_attempts,
            )
            .await?;
        row.map(|r| {
            Ok(StoredChallenge {
                user_id: user_id(&r.user_id)?,
                browser_hash: token_hash("login challenge browser", &r.browser_hash)?,
                request_handle: r.request_handle,
                method: r.method,
                attempts: r.attempts,
                created_at: r.created_at,
                expires_at: r.expires_at,
            })
        })
        .transpose()
    }

    async fn delete_login_challenge(&self, handle_hash: &TokenHash) -> Result<(), StoreError> {
        execute!(
            self,
            "DELETE FROM login_challenges WHERE handle_hash = $1",
            handle_hash.as_bytes()
        )?;
        Ok(())
    }
}
