//! Clients in SQL.

use super::{EventTx, SqlStore, WritePool, corrupt, execute, found, on_pool};
use crate::backchannel::BackchannelLogout;
use crate::clients::{
    AuthMethod, ChangeEnds, Client, ClientExtras, ClientId, ClientSecurity, GrantType, RedirectUri,
};
use crate::events::Subject;
use crate::scope::Scope;
use crate::secrets::TokenHash;
use crate::store::{ClientStore, StoreError};
use async_trait::async_trait;
use auth_proto::events::EventType;
use std::sync::Arc;

const COLUMNS: &str = "client_id, client_name, auth_method, secret_hash, grant_types, scope, \
     redirect_uris, post_logout_redirect_uris, trusted, metadata, registration_token_hash, created_at, \
     registration_id";

/// The `metadata` column: the descriptive metadata, and the keys and request rules under
/// `security` (absent when none are set, as in rows from before they existed).
#[derive(serde::Serialize, serde::Deserialize)]
struct Metadata {
    #[serde(flatten)]
    extras: ClientExtras,
    #[serde(default, skip_serializing_if = "ClientSecurity::is_empty")]
    security: ClientSecurity,
    /// OIDC Back-Channel Logout (absent when not registered).
    #[serde(default, skip_serializing_if = "BackchannelLogout::is_empty")]
    backchannel_logout: BackchannelLogout,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    client_name: String,
    auth_method: String,
    secret_hash: Option<Vec<u8>>,
    grant_types: String,
    scope: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    trusted: bool,
    metadata: String,
    registration_token_hash: Option<Vec<u8>>,
    created_at: i64,
    registration_id: String,
}

impl ClientRow {
    fn from_client(client: &Client) -> Result<Self, StoreError> {
        Ok(Self {
            client_id: client.id.as_str().to_owned(),
            client_name: client.name.clone(),
            auth_method: client.auth_method.as_str().to_owned(),
            secret_hash: client.secret_hash.as_ref().map(|h| h.as_bytes().to_vec()),
            grant_types: client
                .grant_types
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            scope: client.scope.to_string(),
            redirect_uris: uris_to_json(&client.redirect_uris)?,
            post_logout_redirect_uris: uris_to_json(&client.post_logout_redirect_uris)?,
            trusted: client.trusted,
            metadata: serde_json::to_string(&Metadata {
                extras: client.extras.clone(),
                security: client.security.clone(),
                backchannel_logout: client.backchannel.clone(),
            })
            .map_err(|e| corrupt("client metadata", e))?,
            registration_token_hash: client
                .registration_token_hash
                .as_ref()
                .map(|h| h.as_bytes().to_vec()),
            created_at: client.created_at,
            registration_id: client.registration_id.clone(),
        })
    }

    fn into_client(self) -> Result<Client, StoreError> {
        let what = |field: &str| format!("client `{}` {field}", self.client_id);
        let metadata: Metadata =
            serde_json::from_str(&self.metadata).map_err(|e| corrupt(&what("metadata"), e))?;
        Ok(Client {
            id: ClientId::parse(&self.client_id).map_err(|e| corrupt(&what("id"), e))?,
            auth_method: AuthMethod::parse(&self.auth_method)
                .ok_or_else(|| corrupt(&what("auth_method"), &self.auth_method))?,
            secret_hash: match self.secret_hash {
                Some(bytes) => Some(
                    TokenHash::from_slice(&bytes)
                        .ok_or_else(|| corrupt(&what("secret_hash"), "wrong length"))?,
                ),
                None => None,
            },
            grant_types: self
                .grant_types
                .split_whitespace()
                .map(|g| GrantType::parse(g).ok_or_else(|| corrupt(&what("grant_types"), g)))
                .collect::<Result<_, _>>()?,
            scope: if self.scope.is_empty() {
                Scope::empty()
            } else {
                Scope::parse(&self.scope).map_err(|e| corrupt(&what("scope"), e))?
            },
            redirect_uris: uris_from_json(&self.redirect_uris)
                .map_err(|e| corrupt(&what("redirect_uris"), e))?,
            post_logout_redirect_uris: uris_from_json(&self.post_logout_redirect_uris)
                .map_err(|e| corrupt(&what("post_logout_redirect_uris"), e))?,
            extras: metadata.extras,
            security: metadata.security,
            backchannel: metadata.backchannel_logout,
            registration_token_hash: match self.registration_token_hash {
                Some(bytes) => Some(
                    TokenHash::from_slice(&bytes)
                        .ok_or_else(|| corrupt(&what("registration_token_hash"), "wrong length"))?,
                ),
                None => None,
            },
            name: self.client_name,
            trusted: self.trusted,
            created_at: self.created_at,
            registration_id: self.registration_id,
        })
    }
}

fn uris_to_json(uris: &[RedirectUri]) -> Result<String, StoreError> {
    serde_json::to_string(&uris.iter().map(RedirectUri::as_str).collect::<Vec<_>>())
        .map_err(|e| corrupt("redirect URIs", e))
}

fn uris_from_json(json: &str) -> Result<Vec<RedirectUri>, String> {
    let texts: Vec<String> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    texts
        .iter()
        .map(|t| RedirectUri::parse_stored(t).map_err(|e| e.to_string()))
        .collect()
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        let row = ClientRow::from_client(client)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            execute!(
                &mut *tx,
                "INSERT INTO clients (client_id, client_name, auth_method, secret_hash, grant_types, \
                 scope, redirect_uris, post_logout_redirect_uris, trusted, metadata, \
                 registration_token_hash, created_at, registration_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &row.client_id,
                &row.client_name,
                &row.auth_method,
                &row.secret_hash,
                &row.grant_types,
                &row.scope,
                &row.redirect_uris,
                &row.post_logout_redirect_uris,
                row.trusted,
                &row.metadata,
                &row.registration_token_hash,
                row.created_at,
                &row.registration_id,
            )?;
            tx.write_event(&self.events, EventType::ClientCreated, Subject::Client(&row.client_id), row.created_at)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn client(&self, id: &ClientId) -> Result<Option<Arc<Client>>, StoreError> {
        // Built inside the load, which runs only when the cache misses: a hit costs no query text.
        let load = async {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM clients WHERE client_id = $1"
            ));
            let row: Option<ClientRow> = on_pool!(self, pool => {
                sqlx::query_as(sql).bind(id.as_str()).fetch_optional(pool).await
            })?;
            row.map(ClientRow::into_client).transpose()
        };
        self.caches.client(id, load).await
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM clients ORDER BY client_id"));
        let rows: Vec<ClientRow> =
            on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
        rows.into_iter().map(ClientRow::into_client).collect()
    }

    async fn delete_client(&self, id: &ClientId, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The client row goes first: on PostgreSQL its lock makes a concurrent code
            // redemption (whose code row the cascade deletes) finish first, so the family it
            // creates is there for the revocation below to find.
            found(execute!(&mut *tx, "DELETE FROM clients WHERE client_id = $1", id.as_str())?)?;
            // Its codes went by `ON DELETE CASCADE`; its refresh tokens and their access
            // tokens are revoked (the rows stay, for reuse detection and the revocation feed).
            execute!(&mut *tx, REVOKE_CLIENT_FAMILIES, id.as_str())?;
            tx.write_event(&self.events, EventType::ClientDeleted, Subject::Client(id.as_str()), now)
                .await?;
            tx.commit().await?;
        });
        self.caches.forget_client(id.as_str());
        self.caches.revocations_changed();
        Ok(())
    }

    async fn rotate_client_secret(
        &self,
        id: &ClientId,
        secret_hash: &TokenHash,
        registration_id: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            found(execute!(
                &mut *tx,
                "UPDATE clients SET secret_hash = $2, registration_id = $3 \
                 WHERE client_id = $1 AND secret_hash IS NOT NULL",
                id.as_str(),
                secret_hash.as_bytes(),
                registration_id,
            )?)?;
            execute!(&mut *tx, REVOKE_CLIENT_FAMILIES, id.as_str())?;
            tx.commit().await?;
        });
        self.caches.forget_client(id.as_str());
        self.caches.revocations_changed();
        Ok(())
    }

    async fn update_client_ending(
        &self,
        client: &Client,
        ends: ChangeEnds,
    ) -> Result<(), StoreError> {
        let row = ClientRow::from_client(client)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The client row first, as in `delete_client`: a redemption under way finishes
            // before the codes and families below are touched.
            found(execute!(
                &mut *tx,
                "UPDATE clients SET client_name = $2, auth_method = $3, grant_types = $4, scope = $5, \
                 redirect_uris = $6, post_logout_redirect_uris = $7, trusted = $8, metadata = $9 \
                 WHERE client_id = $1",
                &row.client_id,
                &row.client_name,
                &row.auth_method,
                &row.grant_types,
                &row.scope,
                &row.redirect_uris,
                &row.post_logout_redirect_uris,
                row.trusted,
                &row.metadata,
            )?)?;
            if ends.unused_codes {
                execute!(
                    &mut *tx,
                    "DELETE FROM authorization_codes WHERE client_id = $1 AND used_at IS NULL",
                    &row.client_id,
                )?;
            }
            if ends.families {
                execute!(&mut *tx, REVOKE_CLIENT_FAMILIES, &row.client_id)?;
            }
            tx.commit().await?;
        });
        self.caches.forget_client(&row.client_id);
        if ends.families {
            self.caches.revocations_changed();
        }
        Ok(())
    }
}

/// Revokes every token family of a client: its refresh tokens, and its access tokens through
/// the revocation feed.
const REVOKE_CLIENT_FAMILIES: &str = "UPDATE token_families SET revoked_at = unixepoch() \
     WHERE client_id = $1 AND revoked_at IS NULL";
