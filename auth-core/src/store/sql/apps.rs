//! The clients a user gave access to, in SQL: consents and the token families behind them.

use super::{SqlStore, WritePool, execute, on_pool};
use crate::store::{AppAccessStore, AppGrant, StoreError};
use crate::users::UserId;
use async_trait::async_trait;

#[derive(sqlx::FromRow)]
struct FamilyRow {
    client_id: String,
    scope: String,
    created_at: i64,
    last_refresh: Option<i64>,
    live: bool,
}

#[async_trait]
impl AppAccessStore for SqlStore {
    async fn app_grants(&self, user: &UserId, now: i64) -> Result<Vec<AppGrant>, StoreError> {
        let (consents, families) = on_pool!(self, pool => {
            let consents: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT client_id, scope, granted_at FROM consents WHERE user_id = $1",
            )
            .bind(user.as_str())
            .fetch_all(pool)
            .await?;
            // A family's last use is its newest refresh token (one is stored at every
            // rotation), or its creation.
            let families: Vec<FamilyRow> = sqlx::query_as(
                "SELECT f.client_id, f.scope, f.created_at, \
                 (SELECT MAX(r.created_at) FROM refresh_tokens r WHERE r.family_id = f.id) AS last_refresh, \
                 (EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.id \
                          AND r.rotated_at IS NULL AND r.expires_at > $2) \
                  OR EXISTS (SELECT 1 FROM family_access_tokens a WHERE a.family_id = f.id \
                             AND a.expires_at > $2)) AS live \
                 FROM token_families f WHERE f.user_id = $1 AND f.revoked_at IS NULL",
            )
            .bind(user.as_str())
            .bind(now)
            .fetch_all(pool)
            .await?;
            Ok::<_, sqlx::Error>((consents, families))
        })?;
        let consents =
            consents
                .into_iter()
                .map(|(client_id, scope, granted_at)| AppGrant::Consent {
                    client_id,
                    scope,
                    granted_at,
                });
        let families = families.into_iter().map(|f| AppGrant::Family {
            last_used_at: f.last_refresh.unwrap_or(f.created_at).max(f.created_at),
            client_id: f.client_id,
            scope: f.scope,
            created_at: f.created_at,
            live: f.live,
        });
        Ok(consents.chain(families).collect())
    }

    async fn remove_app_access(&self, user: &UserId, client_id: &str) -> Result<bool, StoreError> {
        let removed = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Approvals not redeemed yet go first: on PostgreSQL, deleting a code waits for a
            // redemption of it under way, so the family that redemption creates is committed
            // before the update below reads the families, and is revoked with them.
            let codes = execute!(
                &mut *tx,
                "DELETE FROM authorization_codes WHERE user_id = $1 AND client_id = $2 AND used_at IS NULL",
                user.as_str(),
                client_id,
            )?;
            let devices = execute!(
                &mut *tx,
                "UPDATE device_authorizations SET status = 'denied' \
                 WHERE user_id = $1 AND client_id = $2 AND status = 'approved'",
                user.as_str(),
                client_id,
            )?;
            let consents = execute!(
                &mut *tx,
                "DELETE FROM consents WHERE user_id = $1 AND client_id = $2",
                user.as_str(),
                client_id,
            )?;
            let families = execute!(
                &mut *tx,
                "UPDATE token_families SET revoked_at = unixepoch() \
                 WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL",
                user.as_str(),
                client_id,
            )?;
            tx.commit().await?;
            Ok::<_, StoreError>(codes + devices + consents + families > 0)
        })?;
        if removed {
            self.caches.revocations_changed();
        }
        Ok(removed)
    }
}
