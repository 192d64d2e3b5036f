//! Roles in SQL.

use super::{EventTx, SqlStore, WritePool, corrupt, execute, found, on_pool};
use crate::events::Subject;
use crate::roles::{Grants, Role, RoleName};
use crate::store::{RoleStore, StoreError};
use crate::users::UserId;
use async_trait::async_trait;
use auth_proto::events::EventType;
use std::collections::BTreeMap;

fn role_name(text: &str) -> Result<RoleName, StoreError> {
    RoleName::parse(text).map_err(|e| corrupt("role name", e))
}

#[async_trait]
impl RoleStore for SqlStore {
    async fn create_role(&self, role: &Role, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            execute!(
                &mut *tx,
                "INSERT INTO roles (name, description, created_at) VALUES ($1, $2, $3)",
                role.name.as_str(),
                &role.description,
                now,
            )?;
            for permission in &role.permissions {
                execute!(
                    &mut *tx,
                    "INSERT INTO role_permissions (role, permission) VALUES ($1, $2)",
                    role.name.as_str(),
                    permission.as_str(),
                )?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn roles(&self) -> Result<Vec<Role>, StoreError> {
        let rows: Vec<(String, String, Option<String>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.name, r.description, p.permission FROM roles r \
                 LEFT JOIN role_permissions p ON p.role = r.name ORDER BY r.name, p.permission",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut roles: BTreeMap<String, Role> = BTreeMap::new();
        for (name, description, permission) in rows {
            if !roles.contains_key(&name) {
                let role = Role {
                    name: role_name(&name)?,
                    description,
                    permissions: Vec::new(),
                };
                roles.insert(name.clone(), role);
            }
            if let (Some(permission), Some(role)) = (permission, roles.get_mut(&name)) {
                role.permissions.push(role_name(&permission)?);
            }
        }
        Ok(roles.into_values().collect())
    }

    async fn set_role_permissions(
        &self,
        role: &RoleName,
        permissions: &[RoleName],
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let exists: Option<String> = sqlx::query_scalar("SELECT name FROM roles WHERE name = $1")
                .bind(role.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            let before: Vec<String> =
                sqlx::query_scalar("SELECT permission FROM role_permissions WHERE role = $1")
                    .bind(role.as_str())
                    .fetch_all(&mut *tx)
                    .await?;
            let taken_away = before
                .iter()
                .any(|old| !permissions.iter().any(|p| p.as_str() == old));
            if taken_away {
                // Tokens granted the `permissions` scope list the role's permissions.
                execute!(
                    &mut *tx,
                    "UPDATE token_families SET revoked_at = unixepoch() \
                     WHERE revoked_at IS NULL AND (' ' || scope || ' ') LIKE '% permissions %' \
                     AND user_id IN (SELECT user_id FROM user_roles WHERE role = $1)",
                    role.as_str(),
                )?;
            }
            execute!(&mut *tx, "DELETE FROM role_permissions WHERE role = $1", role.as_str())?;
            for permission in permissions {
                execute!(
                    &mut *tx,
                    "INSERT INTO role_permissions (role, permission) VALUES ($1, $2)",
                    role.as_str(),
                    permission.as_str(),
                )?;
            }
            tx.commit().await?;
        });
        self.caches.revocations_changed();
        Ok(())
    }

    async fn grant_role(&self, user: &UserId, role: &RoleName, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let granted = execute!(
                &mut *tx,
                "INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, role) DO NOTHING",
                user.as_str(),
                role.as_str(),
                now,
            )?;
            // Granting a role the user has changes nothing and is no event.
            if granted == 1 {
                tx.write_event(&self.events, EventType::UserRolesChanged, Subject::User(user.as_str()), now)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn revoke_role(
        &self,
        user: &UserId,
        role: &RoleName,
        now: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            found(execute!(
                &mut *tx,
                "DELETE FROM user_roles WHERE user_id = $1 AND role = $2",
                user.as_str(),
                role.as_str(),
            )?)?;
            // Every token of the user carries the role; a grant made with it ends.
            execute!(
                &mut *tx,
                "UPDATE token_families SET revoked_at = unixepoch() \
                 WHERE user_id = $1 AND revoked_at IS NULL",
                user.as_str(),
            )?;
            tx.write_event(&self.events, EventType::UserRolesChanged, Subject::User(user.as_str()), now)
                .await?;
            tx.commit().await?;
        });
        self.caches.revocations_changed();
        Ok(())
    }

    async fn user_grants(&self, user: &UserId) -> Result<Grants, StoreError> {
        let rows: Vec<(String, Option<String>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT ur.role, p.permission FROM user_roles ur \
                 LEFT JOIN role_permissions p ON p.role = ur.role WHERE ur.user_id = $1",
            )
            .bind(user.as_str())
            .fetch_all(pool)
            .await
        })?;
        let mut roles: Vec<String> = rows.iter().map(|(r, _)| r.clone()).collect();
        let mut permissions: Vec<String> = rows.into_iter().filter_map(|(_, p)| p).collect();
        roles.sort();
        roles.dedup();
        permissions.sort();
        permissions.dedup();
        Ok(Grants { roles, permissions })
    }
}
