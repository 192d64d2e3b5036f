//! JSON views of clients, keys, users and roles, shared by the CLI and the admin API.

use auth_core::Provider;
use auth_core::clients::Client;
use auth_core::keys::SigningKey;
use auth_core::roles::{Grants, Role};
use auth_core::users::User;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Serialize)]
pub struct ClientView {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub client_name: String,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub scope: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub trusted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_pushed_authorization_requests: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound_access_tokens: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fapi: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_exchange: Option<auth_core::clients::TokenExchangePolicy>,
    pub backchannel_logout_uri: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub backchannel_logout_session_required: bool,
    pub created_at: String,
}

impl From<&Client> for ClientView {
    fn from(client: &Client) -> Self {
        Self {
            client_id: client.id.to_string(),
            client_secret: None,
            client_name: client.name.clone(),
            jwks: client.security.jwks.clone(),
            jwks_uri: client.security.jwks_uri.clone(),
            require_pushed_authorization_requests: client
                .security
                .require_pushed_authorization_requests,
            dpop_bound_access_tokens: client.security.dpop_bound_access_tokens,
            fapi: client.security.fapi,
            token_exchange: client.security.token_exchange.clone(),
            backchannel_logout_uri: client.backchannel.uri.clone(),
            backchannel_logout_session_required: client.backchannel.session_required,
            token_endpoint_auth_method: client.auth_method.to_string(),
            grant_types: client.grant_types.iter().map(ToString::to_string).collect(),
            scope: client.scope.to_string(),
            redirect_uris: client
                .redirect_uris
                .iter()
                .map(ToString::to_string)
                .collect(),
            post_logout_redirect_uris: client
                .post_logout_redirect_uris
                .iter()
                .map(ToString::to_string)
                .collect(),
            trusted: client.trusted,
            created_at: rfc3339(client.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    pub generation: i64,
    pub state: &'static str,
    pub activates_at: String,
    pub retires_at: Option<String>,
    pub expires_at: Option<String>,
}

impl KeyView {
    /// The key and its state at `now`.
    pub fn new(key: &SigningKey, now: i64) -> Self {
        let state = if !key.published_at(now) {
            "expired"
        } else if key.signs_at(now) {
            "active"
        } else if key.activates_at > now {
            "next"
        } else {
            "retired"
        };
        Self {
            kid: key.kid().to_owned(),
            alg: key.material.algorithm().to_string(),
            generation: key.generation,
            state,
            activates_at: rfc3339(key.activates_at),
            retires_at: key.retires_at.map(rfc3339),
            expires_at: key.expires_at.map(rfc3339),
        }
    }

    /// The provider's signing keys and their states now.
    pub fn ring(provider: &Provider) -> Vec<Self> {
        let now = provider.clock().unix();
        let ring = provider.keys().ring();
        ring.keys().iter().map(|k| Self::new(k, now)).collect()
    }
}

/// A user with its roles.
#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub disabled: bool,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub created_at: String,
}

impl UserView {
    /// The user with its grants.
    pub fn new(user: &User, grants: Grants) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.as_str().to_owned(),
            email_verified: user.email_verified,
            name: user.profile.name.clone(),
            given_name: user.profile.given_name.clone(),
            family_name: user.profile.family_name.clone(),
            locale: user.profile.locale.clone(),
            disabled: user.disabled_at.is_some(),
            roles: grants.roles,
            permissions: grants.permissions,
            created_at: rfc3339(user.created_at),
        }
    }
}

/// A role with its permissions.
#[derive(Debug, Serialize)]
pub struct RoleView {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

impl From<&Role> for RoleView {
    fn from(role: &Role) -> Self {
        Self {
            name: role.name.to_string(),
            description: role.description.clone(),
            permissions: role.permissions.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Seconds since the epoch as RFC 3339.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}
