//! Apps with access: the clients a user consented to or that hold live tokens of the user,
//! and taking that access back.
//!
//! Removing an app's access forgets the consent (the next authorization request asks again),
//! takes back approvals the app has not redeemed (unused codes, approved device requests) and
//! revokes every token family of the user for the app: its refresh tokens stop working at once
//! and its access tokens read inactive at introspection, userinfo and the account API (on every
//! replica within `cache_secs`). JWT access tokens verified offline by other services stay
//! valid there until they expire, as for every revocation.

use crate::Provider;
use crate::audit::{self, Entry};
use crate::clients::ClientId;
use crate::store::{AppGrant, StoreError};
use crate::users::UserId;
use std::collections::BTreeMap;

/// One app with access to the user's account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppAccess {
    /// The client id.
    pub client_id: String,
    /// Its display name (the id when it has none, or when it no longer exists).
    pub name: String,
    /// Its home page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// Whether it registered itself (RFC 7591) rather than being created by an administrator.
    pub self_registered: bool,
    /// The scopes the user consented to, or those of its live tokens without a consent.
    pub scopes: Vec<String>,
    /// When the user consented (or, without a consent, when its oldest live tokens were issued).
    pub granted_at: i64,
    /// When it was last given a token for the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
    /// Whether it holds an unexpired token of the user.
    pub has_tokens: bool,
}

#[derive(Default)]
struct Collected {
    consent: Option<(String, i64)>,
    live_scopes: Vec<String>,
    first_live: Option<i64>,
    last_used_at: Option<i64>,
    has_tokens: bool,
}

/// The apps with access to `user`'s account: every client with a remembered consent or an
/// unexpired token, most recently used first.
pub async fn list(provider: &Provider, user: &UserId) -> Result<Vec<AppAccess>, StoreError> {
    let now = provider.clock().unix();
    let mut by_client: BTreeMap<String, Collected> = BTreeMap::new();
    for grant in provider.store().app_grants(user, now).await? {
        match grant {
            AppGrant::Consent {
                client_id,
                scope,
                granted_at,
            } => {
                by_client.entry(client_id).or_default().consent = Some((scope, granted_at));
            }
            AppGrant::Family {
                client_id,
                scope,
                created_at,
                last_used_at,
                live,
            } => {
                let entry = by_client.entry(client_id).or_default();
                entry.last_used_at = entry.last_used_at.max(Some(last_used_at));
                if live {
                    entry.has_tokens = true;
                    entry.first_live =
                        Some(entry.first_live.map_or(created_at, |t| t.min(created_at)));
                    for word in scope.split_whitespace() {
                        if !entry.live_scopes.iter().any(|s| s == word) {
                            entry.live_scopes.push(word.to_owned());
                        }
                    }
                }
            }
        }
    }
    let mut apps = Vec::new();
    for (client_id, collected) in by_client {
        let (scopes, granted_at) = match (collected.consent, collected.first_live) {
            (Some((scope, at)), _) => (words(&scope), at),
            (None, Some(at)) => (collected.live_scopes, at),
            // Neither consented to nor holding a token: no access to show.
            (None, None) => continue,
        };
        let client = match ClientId::parse(&client_id) {
            Ok(id) => provider.store().client(&id).await?,
            Err(_) => None,
        };
        let (name, client_uri, self_registered) = match client.as_deref() {
            Some(c) if !c.name.is_empty() => (
                c.name.clone(),
                c.extras.client_uri.clone(),
                c.registered_dynamically(),
            ),
            Some(c) => (
                client_id.clone(),
                c.extras.client_uri.clone(),
                c.registered_dynamically(),
            ),
            None => (client_id.clone(), None, false),
        };
        apps.push(AppAccess {
            client_id,
            name,
            client_uri,
            self_registered,
            scopes,
            granted_at,
            last_used_at: collected.last_used_at,
            has_tokens: collected.has_tokens,
        });
    }
    apps.sort_by(|a, b| {
        b.last_used_at
            .unwrap_or(b.granted_at)
            .cmp(&a.last_used_at.unwrap_or(a.granted_at))
            .then_with(|| a.client_id.cmp(&b.client_id))
    });
    Ok(apps)
}

fn words(scope: &str) -> Vec<String> {
    scope.split_whitespace().map(str::to_owned).collect()
}

/// Takes back `client_id`'s access to `user`'s account (see the module). Returns false when
/// it had none (nothing consented, approved or issued), so that callers answer "not found"
/// alike for an unknown app and one without access.
pub async fn remove(
    provider: &Provider,
    user: &UserId,
    client_id: &str,
    ip: &str,
) -> Result<bool, StoreError> {
    let removed = provider.store().remove_app_access(user, client_id).await?;
    if removed {
        audit::record(
            provider,
            Entry::new("app_access_removed")
                .user(user)
                .client(client_id)
                .ip(ip),
        )
        .await;
    }
    Ok(removed)
}
