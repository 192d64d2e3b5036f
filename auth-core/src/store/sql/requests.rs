//! Pushed authorization requests and used JWT ids in SQL.

use super::{SqlStore, execute, found, on_pool};
use crate::resources::Resource;
use crate::scope::Scope;
use crate::secrets::TokenHash;
use crate::store::{PushedRequest, RequestStore, ResourceStore, StoreError};
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
        let written = execute!(
            self,
            "INSERT INTO used_jtis (jti_hash, expires_at) VALUES ($1, $2) \
             ON CONFLICT (jti_hash) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE used_jtis.expires_at < $3",
            jti_hash.as_bytes(),
            expires_at,
            now
        )?;
        Ok(written == 1)
    }

    async fn insert_pushed_request(
        &self,
        request_hash: &TokenHash,
        request: &PushedRequest,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO pushed_requests (request_hash, client_id, params, expires_at) \
             VALUES ($1, $2, $3, $4)",
            request_hash.as_bytes(),
            &request.client_id,
            &request.params,
            request.expires_at
        )?;
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

#[derive(sqlx::FromRow)]
struct ResourceRow {
    uri: String,
    name: String,
    scope: String,
    created_at: i64,
}

impl ResourceRow {
    fn into_resource(self) -> Result<Resource, StoreError> {
        Ok(Resource {
            scope: Scope::parse(&self.scope)
                .map_err(|e| super::corrupt(&format!("resource `{}` scope", self.uri), e))?,
            uri: self.uri,
            name: self.name,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl ResourceStore for SqlStore {
    async fn insert_resource(&self, resource: &Resource) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO resources (uri, name, scope, created_at) VALUES ($1, $2, $3, $4)",
            &resource.uri,
            &resource.name,
            resource.scope.to_string(),
            resource.created_at
        )?;
        Ok(())
    }

    async fn resource(&self, uri: &str) -> Result<Option<Resource>, StoreError> {
        let row: Option<ResourceRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT uri, name, scope, created_at FROM resources WHERE uri = $1")
                .bind(uri)
                .fetch_optional(pool)
                .await
        })?;
        row.map(ResourceRow::into_resource).transpose()
    }

    async fn resources(&self) -> Result<Vec<Resource>, StoreError> {
        let rows: Vec<ResourceRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT uri, name, scope, created_at FROM resources ORDER BY uri")
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(ResourceRow::into_resource).collect()
    }

    async fn delete_resource(&self, uri: &str) -> Result<(), StoreError> {
        found(execute!(self, "DELETE FROM resources WHERE uri = $1", uri)?)?;
        Ok(())
    }
}
