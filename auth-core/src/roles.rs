//! Roles and permissions are data: an operator creates roles (admin, coach, player, parent, ...),
//! gives each a set of permissions, and grants roles to users. Tokens carry the user's roles,
//! and their permissions when the `permissions` scope is granted.

use crate::Provider;
use crate::store::StoreError;
use crate::users::UserId;
use std::fmt;

/// The role that may never be chosen at sign-up and that the `admin` scope requires.
pub const ADMIN: &str = "admin";

/// Scopes of service tokens (`client_credentials`) only: looking users up and reading the
/// metrics. A client may hold them, but a token it gets for a user never carries them, so a
/// user signing in through that client does not become a user directory or a metrics reader.
pub const SERVICE_SCOPES: &[&str] = &["users:read", "metrics"];

/// A role or permission name: 1 to 64 characters from `a-z 0-9 - _ . :`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct RoleName(String);

impl RoleName {
    /// Validates a name.
    pub fn parse(name: &str) -> Result<Self, RoleError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'_' | b'.' | b':')
            });
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(RoleError::InvalidName(name.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoleName {
    type Error = RoleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RoleName> for String {
    fn from(value: RoleName) -> Self {
        value.0
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A role with its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Name.
    pub name: RoleName,
    /// What it is for.
    pub description: String,
    /// Permission names.
    pub permissions: Vec<RoleName>,
}

/// The roles of a user and the union of their permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// Role names, sorted.
    pub roles: Vec<String>,
    /// Permission names, sorted, without repeats.
    pub permissions: Vec<String>,
}

impl Grants {
    /// Whether the user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether these grants allow the scope token `scope` in a user's token: the `admin` scope
    /// needs the `admin` role; [`SERVICE_SCOPES`] are never a user's, whatever the client may
    /// hold; every other scope needs no role.
    pub fn allow_scope(&self, scope: &str) -> bool {
        !SERVICE_SCOPES.contains(&scope) && (scope != ADMIN || self.has_role(ADMIN))
    }
}

/// Why a role operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// Malformed name.
    #[error(
        "`{0}` is not a valid role or permission name: use 1 to 64 characters from a-z 0-9 - _ . :"
    )]
    InvalidName(String),
    /// Exists already.
    #[error("role `{0}` already exists")]
    Duplicate(String),
    /// Unknown role or user.
    #[error("{0}")]
    NotFound(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a role.
pub async fn create(provider: &Provider, role: &Role) -> Result<(), RoleError> {
    match provider
        .store()
        .create_role(role, provider.clock().unix())
        .await
    {
        Err(StoreError::Conflict(_)) => Err(RoleError::Duplicate(role.name.to_string())),
        other => Ok(other?),
    }
}

/// Replaces a role's permissions. When a permission is taken away, the grants of the role's
/// users that carry permissions (the `permissions` scope) are revoked.
pub async fn set_permissions(
    provider: &Provider,
    role: &RoleName,
    permissions: &[RoleName],
) -> Result<(), RoleError> {
    match provider
        .store()
        .set_role_permissions(role, permissions)
        .await
    {
        Err(StoreError::NotFound) => Err(RoleError::NotFound(format!("no role is named `{role}`"))),
        other => Ok(other?),
    }
}

/// Grants `role` to `user`.
pub async fn grant(provider: &Provider, user: &UserId, role: &RoleName) -> Result<(), RoleError> {
    match provider
        .store()
        .grant_role(user, role, provider.clock().unix())
        .await
    {
        Err(StoreError::NotFound) => Err(RoleError::NotFound(format!(
            "no role is named `{role}` or no user has id `{user}`"
        ))),
        other => Ok(other?),
    }
}

/// Revokes `role` from `user`, and with it every grant the user gave a client (refresh tokens
/// and access tokens, on every replica within `database.cache_secs`): their tokens carry the
/// role, and a scope such as `admin` may have been granted because of it. The user authorizes
/// again and gets what they hold now.
pub async fn revoke(provider: &Provider, user: &UserId, role: &RoleName) -> Result<(), RoleError> {
    match provider
        .store()
        .revoke_role(user, role, provider.clock().unix())
        .await
    {
        Err(StoreError::NotFound) => Err(RoleError::NotFound(format!(
            "user `{user}` does not have role `{role}`"
        ))),
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_lowercase_tokens() {
        for ok in ["admin", "event-creator", "tickets:write", "a.b_c"] {
            assert!(RoleName::parse(ok).is_ok());
        }
        for bad in ["", "Admin", "has space", &"x".repeat(65)] {
            assert!(RoleName::parse(bad).is_err());
        }
    }
}
