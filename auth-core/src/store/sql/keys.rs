//! Signing keys in SQL.

use super::{SqlStore, WritePool, execute, on_pool};
use crate::store::{KeyStore, StoreError, StoredKey};
use async_trait::async_trait;

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    alg: String,
    generation: i64,
    public_jwk: String,
    sealed_private_key: Vec<u8>,
    created_at: i64,
    activates_at: i64,
    retires_at: Option<i64>,
    expires_at: Option<i64>,
}

impl From<KeyRow> for StoredKey {
    fn from(row: KeyRow) -> Self {
        Self {
            kid: row.kid,
            alg: row.alg,
            generation: row.generation,
            public_jwk: row.public_jwk,
            sealed_private_key: row.sealed_private_key,
            created_at: row.created_at,
            activates_at: row.activates_at,
            retires_at: row.retires_at,
            expires_at: row.expires_at,
        }
    }
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows: Vec<KeyRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT kid, alg, generation, public_jwk, sealed_private_key, created_at, \
                 activates_at, retires_at, expires_at FROM signing_keys ORDER BY generation DESC",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(StoredKey::from).collect())
    }

    async fn rotate_signing_key(&self, key: &StoredKey, expire_at: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            execute!(
                &mut *tx,
                "INSERT INTO signing_keys (kid, alg, generation, public_jwk, sealed_private_key, \
                 created_at, activates_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &key.kid,
                &key.alg,
                key.generation,
                &key.public_jwk,
                &key.sealed_private_key,
                key.created_at,
                key.activates_at,
            )?;
            execute!(
                &mut *tx,
                "UPDATE signing_keys SET retires_at = $1, expires_at = $2 \
                 WHERE retires_at IS NULL AND kid <> $3",
                key.activates_at,
                expire_at,
                &key.kid,
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn delete_expired_keys(&self, now: i64) -> Result<u64, StoreError> {
        Ok(execute!(
            self,
            "DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at < $1",
            now
        )?)
    }
}
