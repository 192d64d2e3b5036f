//! Pushed authorization requests and used JWT ids in SQL.

use super::{SqlStore, on_pool};
use crate::secrets::TokenHash;
use crate::store::{PushedRequest, RequestStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl RequestStore for SqlStore {
    async fn first_use(
        &self,
        jti_hash: &TokenHash,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        // One statement, so two replicas racing with the same JWT cannot both win: the insert
        // succeeds, or the row is taken over only when what it remembered has expired.
        let written = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO used_jtis (jti_hash, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (jti_hash) DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE used_jtis.expires_at < $3",
            )
            .bind(jti_hash.as_bytes())
            .bind(expires_at)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(written == 1)
    }

    async fn insert_pushed_request(
        &self,
        request_hash: &TokenHash,
        request: &PushedRequest,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO pushed_requests (request_hash, client_id, params, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(request_hash.as_bytes())
            .bind(&request.client_id)
            .bind(&request.params)
            .bind(request.expires_at)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    async fn take_pushed_request(
        &self,
        request_hash: &TokenHash,
        client_id: &str,
    ) -> Result<Option<PushedRequest>, StoreError> {
        let row: Option<(String, String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "DELETE FROM pushed_requests WHERE request_hash = $1 AND client_id = $2 \
                 RETURNING client_id, params, expires_at",
            )
            .bind(request_hash.as_bytes())
            .bind(client_id)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(|(client_id, params, expires_at)| PushedRequest {
            client_id,
            params,
            expires_at,
        }))
    }
}
