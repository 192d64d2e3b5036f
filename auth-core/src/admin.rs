//! What administrators may do and the actions the admin API and the admin console share:
//! each one checks its object, acts, and records itself in the audit log with the acting
//! administrator (a user id, or the client id of a client-credentials token).
//!
//! A user administers through the console when their grants allow an [`Area`]: the `admin`
//! role or the `admin` permission allows every area, a permission such as `users:manage`
//! allows one.

use crate::Provider;
use crate::audit::{self, Entry};
use crate::clients::{self, Client, ClientChanges, ClientError, ClientId, ClientSecret, NewClient};
use crate::keys::{Activation, KeyError, RotatedKey};
use crate::otp::totp;
use crate::roles::{self, Grants, Role, RoleError, RoleName};
use crate::scope::Scope;
use crate::store::Outbox;
use crate::users::{self, UserError, UserId};
use crate::verification;

/// The role or permission that allows every area.
pub const ADMIN: &str = "admin";

/// A part of the console, with the permission that allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Users: search, profile, roles, sessions, second factors, disable, delete.
    Users,
    /// Clients: create, edit, rotate secrets, delete.
    Clients,
    /// Roles and their permissions.
    Roles,
    /// Signing keys.
    Keys,
    /// The audit log.
    Audit,
    /// The mail and event outboxes.
    Outboxes,
}

impl Area {
    /// Every area, in the console's order.
    pub const ALL: [Self; 6] = [
        Self::Users,
        Self::Clients,
        Self::Roles,
        Self::Keys,
        Self::Audit,
        Self::Outboxes,
    ];

    /// The permission that allows this area (besides `admin`).
    pub fn permission(self) -> &'static str {
        match self {
            Self::Users => "users:manage",
            Self::Clients => "clients:manage",
            Self::Roles => "roles:manage",
            Self::Keys => "keys:manage",
            Self::Audit => "audit:read",
            Self::Outboxes => "outboxes:manage",
        }
    }

    /// Whether `grants` allow this area.
    pub fn allowed(self, grants: &Grants) -> bool {
        grants.has_role(ADMIN)
            || grants
                .permissions
                .iter()
                .any(|p| p == ADMIN || p == self.permission())
    }
}

/// The areas `grants` allow (empty: no console at all).
pub fn areas(grants: &Grants) -> Vec<Area> {
    Area::ALL
        .into_iter()
        .filter(|a| a.allowed(grants))
        .collect()
}

/// Whether an administrator with `actor` may grant or revoke `role`: an administrator with
/// `admin` any role; anyone else only a role that is not `admin` and whose permissions they
/// hold themselves, so an operator with `users:manage` cannot make anyone (themselves
/// included) more powerful than they are, nor take a role from someone who has more.
pub fn may_assign(actor: &Grants, role: &Role) -> bool {
    is_full(actor)
        || (role.name.as_str() != ADMIN
            && role.permissions.iter().all(|p| {
                p.as_str() != ADMIN && actor.permissions.iter().any(|held| held == p.as_str())
            }))
}

/// Whether an administrator with `actor` may act on an account with `target` (disable,
/// delete, end its sessions, reset its second factor, change its roles): an administrator with
/// `admin` on any account; anyone else only on accounts that hold neither `admin` nor a
/// permission the actor lacks.
pub fn may_manage(actor: &Grants, target: &Grants) -> bool {
    is_full(actor)
        || (!is_full(target)
            && target
                .permissions
                .iter()
                .all(|p| actor.permissions.contains(p)))
}

/// Whether `grants` hold `admin` (the role or the permission): every area, every object.
pub fn is_full(grants: &Grants) -> bool {
    grants.has_role(ADMIN) || grants.permissions.iter().any(|p| p == ADMIN)
}

/// What a client can do that a client manager without `admin` may neither hand out nor take
/// over (by changing the client or seeing a new secret of it).
#[derive(Debug, Clone, Copy)]
pub struct ClientPowers<'a> {
    /// Its scopes: `admin` (a client-credentials token with it is the admin API) and the
    /// service scopes ([`roles::SERVICE_SCOPES`]: reading who is registered, the metrics).
    pub scope: &'a Scope,
    /// First-party: users are signed in to it without being asked, so a redirect URI of the
    /// manager's choosing would receive any signed-in user's code silently.
    pub trusted: bool,
    /// It may exchange users' tokens for tokens to other services (RFC 8693).
    pub token_exchange: bool,
}

impl<'a> ClientPowers<'a> {
    /// The powers of a client as it is.
    pub fn of(client: &'a Client) -> Self {
        Self {
            scope: &client.scope,
            trusted: client.trusted,
            token_exchange: client.security.token_exchange.is_some(),
        }
    }

    /// Whether any of them needs `admin`.
    pub fn privileged(&self) -> bool {
        self.trusted
            || self.token_exchange
            || self
                .scope
                .iter()
                .any(|s| s == ADMIN || roles::SERVICE_SCOPES.contains(&s))
    }
}

/// Whether an administrator with `actor` may create a client with `powers`, or change, give a
/// new secret to or delete a client that has them: an administrator with `admin` any client;
/// an operator with `clients:manage` only clients without privileged powers, so that no client
/// secret they see and no redirect URI they set makes them more than they are.
pub fn may_manage_client(actor: &Grants, powers: &ClientPowers<'_>) -> bool {
    is_full(actor) || !powers.privileged()
}

/// Registers a client (its secret, if it has one, is returned once).
pub async fn create_client(
    provider: &Provider,
    actor: &str,
    new: NewClient,
) -> Result<(Client, Option<ClientSecret>), ClientError> {
    let created = clients::register(provider, new).await?;
    audit::record(
        provider,
        Entry::new("client_created")
            .actor(actor)
            .client(created.0.id.as_str()),
    )
    .await;
    Ok(created)
}

/// Changes a client's name, grants, scope, redirect URIs and trust ([`clients::update`]).
pub async fn update_client(
    provider: &Provider,
    actor: &str,
    id: &ClientId,
    changes: ClientChanges,
) -> Result<Client, ClientError> {
    let before = provider.store().client(id).await?;
    let updated = clients::update(provider, id, changes).await?;
    let changed = before.map(|b| changed_settings(&b, &updated).join(" "));
    audit::record(
        provider,
        Entry::new("client_updated")
            .actor(actor)
            .client(id.as_str())
            .detail("changed", changed.unwrap_or_default()),
    )
    .await;
    Ok(updated)
}

/// The names of the settings that differ between `before` and `after`, for the audit log.
fn changed_settings(before: &Client, after: &Client) -> Vec<&'static str> {
    let uris = |list: &[clients::RedirectUri]| {
        list.iter()
            .map(|u| u.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    [
        ("name", before.name != after.name),
        ("grant_types", before.grant_types != after.grant_types),
        ("scope", before.scope.to_string() != after.scope.to_string()),
        (
            "redirect_uris",
            uris(&before.redirect_uris) != uris(&after.redirect_uris),
        ),
        (
            "post_logout_redirect_uris",
            uris(&before.post_logout_redirect_uris) != uris(&after.post_logout_redirect_uris),
        ),
        ("trusted", before.trusted != after.trusted),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect()
}

/// Gives a confidential client a new secret (returned once); what the old one obtained ends.
pub async fn rotate_client_secret(
    provider: &Provider,
    actor: &str,
    id: &ClientId,
) -> Result<ClientSecret, ClientError> {
    let secret = clients::rotate_secret(provider, id).await?;
    audit::record(
        provider,
        Entry::new("client_secret_rotated")
            .actor(actor)
            .client(id.as_str()),
    )
    .await;
    Ok(secret)
}

/// Deletes a client; its tokens end with it.
pub async fn delete_client(
    provider: &Provider,
    actor: &str,
    id: &ClientId,
) -> Result<(), ClientError> {
    clients::delete(provider, id).await?;
    audit::record(
        provider,
        Entry::new("client_deleted")
            .actor(actor)
            .client(id.as_str()),
    )
    .await;
    Ok(())
}

/// Whether any user holds the `admin` role or an `admin` permission (the console and the
/// server's start-up explain how to make the first one when none does).
pub async fn any_admin(provider: &Provider) -> Result<bool, crate::store::StoreError> {
    provider.store().any_admin().await
}

/// Disables or enables an account; disabling ends its sessions.
pub async fn set_disabled(
    provider: &Provider,
    actor: &str,
    user: &UserId,
    disabled: bool,
) -> Result<(), UserError> {
    users::set_disabled(provider, user, disabled).await?;
    let event = if disabled {
        "user_disabled"
    } else {
        "user_enabled"
    };
    audit::record(provider, Entry::new(event).actor(actor).user(user)).await;
    Ok(())
}

/// Ends every session of the account (and the refresh tokens issued in them) without
/// disabling it; clients with a back-channel logout URI are told.
pub async fn sign_out(provider: &Provider, actor: &str, user: &UserId) -> Result<(), UserError> {
    users::get(provider, user).await?;
    provider.store().end_user_sessions(user).await?;
    audit::record(
        provider,
        Entry::new("user_signed_out").actor(actor).user(user),
    )
    .await;
    Ok(())
}

/// Ends one session of the account.
pub async fn end_session(
    provider: &Provider,
    actor: &str,
    user: &UserId,
    session: &str,
) -> Result<(), UserError> {
    let now = provider.clock().unix();
    let sessions = provider.store().user_sessions(user, now).await?;
    if !sessions.iter().any(|s| s.id == session) {
        return Err(UserError::NotFound(session.to_owned()));
    }
    provider.store().end_session(session).await?;
    audit::record(
        provider,
        Entry::new("session_ended")
            .actor(actor)
            .user(user)
            .detail("session", session.to_owned()),
    )
    .await;
    Ok(())
}

/// Deletes the account and everything that belongs to it.
pub async fn delete_user(provider: &Provider, actor: &str, user: &UserId) -> Result<(), UserError> {
    users::delete(provider, user).await?;
    audit::record(provider, Entry::new("user_deleted").actor(actor).user(user)).await;
    Ok(())
}

/// Removes the account's authenticator app and recovery codes (for a user who lost them):
/// the next sign-in asks for none until the user sets one up again. Its sessions end too:
/// they were started with the factor that is gone.
pub async fn reset_second_factor(
    provider: &Provider,
    actor: &str,
    user: &UserId,
) -> Result<(), UserError> {
    let found = users::get(provider, user).await?;
    totp::disable(provider, &found)
        .await
        .map_err(|e| UserError::Internal(e.to_string()))?;
    provider.store().end_user_sessions(user).await?;
    audit::record(
        provider,
        Entry::new("second_factor_reset").actor(actor).user(user),
    )
    .await;
    Ok(())
}

/// Sends a new confirmation link to an account whose address is not confirmed yet.
pub async fn resend_verification(
    provider: &Provider,
    actor: &str,
    user: &UserId,
) -> Result<bool, UserError> {
    let found = users::get(provider, user).await?;
    if found.email_verified {
        return Ok(false);
    }
    verification::send_link(provider, &found).await?;
    audit::record(
        provider,
        Entry::new("verification_resent").actor(actor).user(user),
    )
    .await;
    Ok(true)
}

/// Adds a signing key (see [`crate::keys`]): it signs at once, or after the publish delay.
pub async fn rotate_key(
    provider: &Provider,
    actor: &str,
    activation: Activation,
) -> Result<RotatedKey, KeyError> {
    let rotated = provider.keys().rotate(activation).await?;
    audit::record(
        provider,
        Entry::new("key_rotated")
            .actor(actor)
            .detail("kid", rotated.kid.to_string()),
    )
    .await;
    Ok(rotated)
}

/// Creates a role.
pub async fn create_role(provider: &Provider, actor: &str, role: &Role) -> Result<(), RoleError> {
    roles::create(provider, role).await?;
    audit::record(
        provider,
        Entry::new("role_created")
            .actor(actor)
            .detail("role", role.name.to_string()),
    )
    .await;
    Ok(())
}

/// Replaces a role's permissions.
pub async fn set_permissions(
    provider: &Provider,
    actor: &str,
    role: &RoleName,
    permissions: &[RoleName],
) -> Result<(), RoleError> {
    roles::set_permissions(provider, role, permissions).await?;
    audit::record(
        provider,
        Entry::new("role_permissions_set")
            .actor(actor)
            .detail("role", role.to_string()),
    )
    .await;
    Ok(())
}

/// Makes an undelivered mail or event delivery due now (a given-up one too); false if there
/// is none with this id.
pub async fn retry_outbox_entry(
    provider: &Provider,
    actor: &str,
    outbox: Outbox,
    id: &str,
    destination: &str,
) -> Result<bool, crate::store::StoreError> {
    let now = provider.clock().unix();
    let found = provider
        .store()
        .retry_outbox_entry(outbox, id, destination, now)
        .await?;
    if found {
        audit::record(
            provider,
            Entry::new("outbox_retried")
                .actor(actor)
                .detail(
                    "outbox",
                    match outbox {
                        Outbox::Mail => "mail",
                        Outbox::Events => "events",
                    },
                )
                .detail("id", id.to_owned()),
        )
        .await;
    }
    Ok(found)
}

/// Grants or revokes a role.
pub async fn change_role(
    provider: &Provider,
    actor: &str,
    user: &UserId,
    role: &RoleName,
    grant: bool,
) -> Result<(), RoleError> {
    let event = if grant {
        roles::grant(provider, user, role).await?;
        "role_granted"
    } else {
        roles::revoke(provider, user, role).await?;
        "role_revoked"
    };
    audit::record(
        provider,
        Entry::new(event)
            .actor(actor)
            .user(user)
            .detail("role", role.to_string()),
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(roles: &[&str], permissions: &[&str]) -> Grants {
        Grants {
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn the_admin_role_or_permission_allows_every_area_and_a_permission_its_own() {
        assert_eq!(areas(&grants(&["admin"], &[])), Area::ALL.to_vec());
        assert_eq!(areas(&grants(&["ops"], &["admin"])), Area::ALL.to_vec());
        assert_eq!(
            areas(&grants(&["support"], &["users:manage", "audit:read"])),
            vec![Area::Users, Area::Audit]
        );
        assert!(areas(&grants(&["coach"], &["events:write"])).is_empty());
        // A role merely named like a permission is not that permission.
        assert!(areas(&grants(&["users:manage"], &[])).is_empty());
    }

    fn role(name: &str, permissions: &[&str]) -> Role {
        Role {
            name: RoleName::parse(name).unwrap(),
            description: String::new(),
            permissions: permissions
                .iter()
                .map(|p| RoleName::parse(p).unwrap())
                .collect(),
        }
    }

    #[test]
    fn nobody_assigns_a_role_with_more_than_they_hold() {
        let support = grants(&["support"], &["users:manage"]);
        assert!(may_assign(&support, &role("coach", &[])));
        assert!(may_assign(&support, &role("helpdesk", &["users:manage"])));
        assert!(!may_assign(&support, &role("admin", &[])));
        assert!(!may_assign(&support, &role("ops", &["admin"])));
        assert!(!may_assign(&support, &role("keeper", &["keys:manage"])));
        let admin = grants(&["admin"], &[]);
        assert!(may_assign(&admin, &role("ops", &["admin", "keys:manage"])));
    }

    #[test]
    fn a_client_manager_without_admin_leaves_privileged_clients_alone() {
        let manager = grants(&["integrations"], &["clients:manage"]);
        let check = |actor: &Grants, scope: &str, trusted: bool, token_exchange: bool| {
            let scope = if scope.is_empty() {
                Scope::empty()
            } else {
                Scope::parse(scope).unwrap()
            };
            let powers = ClientPowers {
                scope: &scope,
                trusted,
                token_exchange,
            };
            may_manage_client(actor, &powers)
        };
        assert!(check(&manager, "openid profile orders:read", false, false));
        assert!(check(&manager, "", false, false));
        assert!(!check(&manager, "openid admin", false, false));
        assert!(!check(&manager, "users:read", false, false));
        assert!(!check(&manager, "metrics", false, false));
        assert!(!check(&manager, "openid", true, false), "first-party");
        assert!(!check(&manager, "openid", false, true), "token exchange");
        assert!(check(&grants(&["admin"], &[]), "admin", true, true));
        assert!(check(
            &grants(&["ops"], &["admin"]),
            "metrics",
            false,
            false
        ));
    }

    #[test]
    fn nobody_acts_on_an_account_that_holds_more_than_they_do() {
        let support = grants(&["support"], &["users:manage"]);
        assert!(may_manage(&support, &grants(&["coach"], &[])));
        assert!(may_manage(
            &support,
            &grants(&["support"], &["users:manage"])
        ));
        assert!(!may_manage(&support, &grants(&["admin"], &[])));
        assert!(!may_manage(&support, &grants(&["ops"], &["admin"])));
        assert!(!may_manage(
            &support,
            &grants(&["auditor"], &["audit:read"])
        ));
        assert!(may_manage(
            &grants(&["admin"], &[]),
            &grants(&["admin"], &[])
        ));
    }
}
