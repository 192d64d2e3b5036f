//! Users in SQL.

use super::{
    Backend, EventTx, LogoutTx, SqlStore, WritePool, corrupt, execute, found, on_pool, user_id,
};
use crate::events::Subject;
use crate::roles::RoleName;
use crate::store::{SearchField, StoreError, UserSearch, UserStore};
use crate::users::{Email, Profile, User, UserId};
use async_trait::async_trait;
use auth_proto::events::EventType;

const COLUMNS: &str = "id, email, email_verified, password_hash, name, given_name, family_name, \
     locale, phone_number, disabled_at, created_at, updated_at";

/// A user of a search, with the key it was sorted by.
#[derive(sqlx::FromRow)]
struct SearchRow {
    #[sqlx(flatten)]
    user: UserRow,
    sort_key: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    email_verified: bool,
    password_hash: Option<String>,
    name: String,
    given_name: Option<String>,
    family_name: Option<String>,
    locale: Option<String>,
    phone_number: Option<String>,
    disabled_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            id: user_id(&self.id)?,
            email: Email::parse(&self.email).map_err(|e| corrupt("user e-mail", e))?,
            email_verified: self.email_verified,
            password_hash: self.password_hash,
            profile: Profile {
                name: self.name,
                given_name: self.given_name,
                family_name: self.family_name,
                locale: self.locale,
            },
            phone_number: self.phone_number,
            disabled_at: self.disabled_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(
        &self,
        user: &User,
        roles: &[RoleName],
        now: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            execute!(
                &mut *tx,
                "INSERT INTO users (id, email, email_normalized, email_verified, password_hash, name, \
                 given_name, family_name, locale, disabled_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                user.id.as_str(),
                user.email.as_str(),
                user.email.normalized(),
                user.email_verified,
                &user.password_hash,
                &user.profile.name,
                &user.profile.given_name,
                &user.profile.family_name,
                &user.profile.locale,
                user.disabled_at,
                user.created_at,
                user.updated_at,
            )?;
            for role in roles {
                execute!(
                    &mut *tx,
                    "INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3)",
                    user.id.as_str(),
                    role.as_str(),
                    now,
                )?;
            }
            tx.write_event(&self.events, EventType::UserRegistered, Subject::User(user.id.as_str()), now)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE id = $1"));
        let row: Option<UserRow> = on_pool!(self, pool => sqlx::query_as(sql).bind(id.as_str()).fetch_optional(pool).await)?;
        row.map(UserRow::into_user).transpose()
    }

    async fn user_by_email(&self, normalized_email: &str) -> Result<Option<User>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE email_normalized = $1"
        ));
        let row: Option<UserRow> = on_pool!(self, pool => sqlx::query_as(sql).bind(normalized_email).fetch_optional(pool).await)?;
        row.map(UserRow::into_user).transpose()
    }

    async fn users(&self, after: Option<&UserId>, limit: u32) -> Result<Vec<User>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2"
        ));
        let after = after.map_or("", UserId::as_str);
        let rows: Vec<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(sql).bind(after).bind(i64::from(limit)).fetch_all(pool).await
        })?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn search_users(&self, search: &UserSearch) -> Result<Vec<(User, String)>, StoreError> {
        // Byte order on PostgreSQL too (`COLLATE "C"`, the collation of the indexes of
        // migration 0014), so a prefix is one range: [prefix, prefix + U+10FFFF).
        let c = match self.backend() {
            Backend::Postgres => " COLLATE \"C\"",
            Backend::Sqlite => "",
        };
        let key = match search.field {
            SearchField::Email => format!("email_normalized{c}"),
            SearchField::Name => format!("lower(name){c}"),
        };
        // Only the parameters a condition uses, numbered in the order they are bound.
        let mut values: Vec<String> = Vec::new();
        let mut conditions = Vec::new();
        if !search.prefix.is_empty() {
            values.push(search.prefix.clone());
            values.push(format!("{}\u{10FFFF}", search.prefix));
            conditions.push(format!(
                "{key} >= ${} AND {key} < ${}",
                values.len() - 1,
                values.len()
            ));
        }
        if let Some((after_key, after_id)) = &search.after {
            values.push(after_key.clone());
            values.push(after_id.clone());
            conditions.push(format!(
                "({key}, id) > (${}{c}, ${})",
                values.len() - 1,
                values.len()
            ));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS}, {key} AS sort_key FROM users {filter} ORDER BY {key}, id LIMIT ${}",
            values.len() + 1
        );
        let limit = i64::from(search.limit.clamp(1, 1000));
        let rows: Vec<SearchRow> = on_pool!(self, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for value in &values {
                query = query.bind(value);
            }
            query.bind(limit).fetch_all(pool).await
        })?;
        rows.into_iter()
            .map(|row| Ok((row.user.into_user()?, row.sort_key)))
            .collect()
    }

    async fn any_admin(&self) -> Result<bool, StoreError> {
        let found: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT CAST(1 AS BIGINT) FROM user_roles ur JOIN users u ON u.id = ur.user_id \
                 WHERE u.disabled_at IS NULL AND (ur.role = 'admin' OR EXISTS ( \
                   SELECT 1 FROM role_permissions rp WHERE rp.role = ur.role AND rp.permission = 'admin')) \
                 LIMIT 1",
            )
            .fetch_optional(pool)
            .await
        })?;
        Ok(found.is_some())
    }

    async fn update_profile(
        &self,
        id: &UserId,
        profile: &Profile,
        now: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            found(execute!(
                &mut *tx,
                "UPDATE users SET name = $2, given_name = $3, family_name = $4, locale = $5, \
                 updated_at = $6 WHERE id = $1",
                id.as_str(),
                &profile.name,
                &profile.given_name,
                &profile.family_name,
                &profile.locale,
                now,
            )?)?;
            tx.write_event(&self.events, EventType::UserUpdated, Subject::User(id.as_str()), now)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn set_user_disabled(
        &self,
        id: &UserId,
        disabled_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let kind = match disabled_at {
            Some(_) => EventType::UserDisabled,
            None => EventType::UserEnabled,
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            found(execute!(
                &mut *tx,
                "UPDATE users SET disabled_at = $2, updated_at = $3 WHERE id = $1",
                id.as_str(),
                disabled_at,
                now,
            )?)?;
            tx.write_event(&self.events, kind, Subject::User(id.as_str()), now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn set_password_hash(
        &self,
        id: &UserId,
        password_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            found(execute!(
                &mut *tx,
                "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
                id.as_str(),
                password_hash,
                now,
            )?)?;
            // What was begun with the old password does not outlive it: codes not yet
            // redeemed (a used code stays, for reuse detection) and logins waiting for their
            // second factor.
            execute!(
                &mut *tx,
                "DELETE FROM authorization_codes WHERE user_id = $1 AND used_at IS NULL",
                id.as_str(),
            )?;
            execute!(&mut *tx, "DELETE FROM login_challenges WHERE user_id = $1", id.as_str())?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn set_email_verified(
        &self,
        id: &UserId,
        email: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Only a change is an event: an address already verified stays quiet.
            let updated = execute!(
                &mut *tx,
                "UPDATE users SET email_verified = TRUE, updated_at = $3 \
                 WHERE id = $1 AND email = $2 AND NOT email_verified",
                id.as_str(),
                email,
                now,
            )?;
            if updated == 1 {
                tx.write_event(&self.events, EventType::UserUpdated, Subject::User(id.as_str()), now)
                    .await?;
            }
            let current: Option<String> =
                sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND email = $2")
                    .bind(id.as_str())
                    .bind(email)
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.commit().await?;
            current.is_some()
        });
        Ok(updated)
    }

    async fn set_email(&self, id: &UserId, email: &Email, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            found(execute!(
                &mut *tx,
                "UPDATE users SET email = $2, email_normalized = $3, email_verified = FALSE, updated_at = $4 \
                 WHERE id = $1",
                id.as_str(),
                email.as_str(),
                email.normalized(),
                now,
            )?)?;
            tx.write_event(&self.events, EventType::UserUpdated, Subject::User(id.as_str()), now)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn delete_user(&self, id: &UserId, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The family rows go with the user; their access tokens are recorded as revoked
            // first, so they read inactive until they expire.
            execute!(
                &mut *tx,
                "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) \
                 SELECT a.jti, a.expires_at, unixepoch() FROM family_access_tokens a \
                 JOIN token_families f ON f.id = a.family_id \
                 WHERE f.user_id = $1 AND a.expires_at > $2 \
                 ON CONFLICT (jti) DO NOTHING",
                id.as_str(),
                now,
            )?;
            // Its sessions end with it: their clients are told (OIDC Back-Channel Logout),
            // before the families that name them go by the cascade.
            let ending: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions WHERE user_id = $1")
                .bind(id.as_str())
                .fetch_all(&mut *tx)
                .await?;
            tx.queue_logouts(&ending).await?;
            // Every other row of the user goes by `ON DELETE CASCADE`.
            found(execute!(&mut *tx, "DELETE FROM users WHERE id = $1", id.as_str())?)?;
            tx.write_event(&self.events, EventType::UserDeleted, Subject::User(id.as_str()), now)
                .await?;
            tx.commit().await?;
        });
        self.caches.revocations_changed();
        Ok(())
    }

    async fn set_phone_number(
        &self,
        id: &UserId,
        phone: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        found(execute!(
            self,
            "UPDATE users SET phone_number = $2, updated_at = $3 WHERE id = $1",
            id.as_str(),
            phone,
            now
        )?)?;
        Ok(())
    }
}

/// A way into an account besides its password: a linked upstream identity (keyed by the
/// provider's id) or a passkey (keyed by its public id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WayIn {
    Upstream,
    Passkey,
}

impl WayIn {
    /// Its table and the column of its key.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Self::Upstream => ("upstream_identities", "provider_id"),
            Self::Passkey => ("passkeys", "id"),
        }
    }
}

impl SqlStore {
    /// Deletes the user's `way` keyed `key` unless it is the account's last way in (no password,
    /// no other linked identity, no other passkey): `Ok(false)` then, [`StoreError::NotFound`]
    /// when the user has no such way. One write transaction that locks the user row
    /// (PostgreSQL; SQLite's write transaction holds the database), so two removals at once
    /// cannot both leave the account without a way in.
    pub(crate) async fn delete_way_in(
        &self,
        user: &UserId,
        way: WayIn,
        key: &str,
    ) -> Result<bool, StoreError> {
        let (table, column) = way.table();
        // Another row of the same kind counts; this one does not.
        let others = |kind: WayIn| {
            let (other, other_column) = kind.table();
            let this_one = if matches!(
                (kind, way),
                (WayIn::Upstream, WayIn::Upstream) | (WayIn::Passkey, WayIn::Passkey)
            ) {
                format!(" AND o.{other_column} <> $2")
            } else {
                String::new()
            };
            format!("EXISTS (SELECT 1 FROM {other} o WHERE o.user_id = $1{this_one})")
        };
        let count = format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1 AND {column} = $2");
        let delete = format!(
            "DELETE FROM {table} WHERE user_id = $1 AND {column} = $2 AND ( \
             EXISTS (SELECT 1 FROM users WHERE id = $1 AND password_hash IS NOT NULL) \
             OR {} OR {})",
            others(WayIn::Upstream),
            others(WayIn::Passkey)
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            execute!(
                &mut *tx,
                "UPDATE users SET updated_at = updated_at WHERE id = $1",
                user.as_str(),
            )?;
            let found: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone()))
                .bind(user.as_str())
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
            if found == 0 {
                return Err(StoreError::NotFound);
            }
            let deleted = execute!(&mut *tx, sqlx::AssertSqlSafe(delete.clone()), user.as_str(), key)?;
            tx.commit().await?;
            Ok(deleted > 0)
        })
    }
}
