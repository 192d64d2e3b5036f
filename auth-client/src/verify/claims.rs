//! The claims of a verified access token.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// What a verified RFC 9068 access token says.
///
/// The registered claims are typed; anything else the token carries is in
/// [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims {
    /// Issuer (`iss`); equal to the configured issuer.
    pub issuer: String,
    /// Audiences (`aud`); among them the configured audience.
    pub audience: Vec<String>,
    /// Subject (`sub`): the user id, or the client id for a client-credentials token.
    pub sub: String,
    /// The client the token was issued to (`client_id`).
    pub client_id: String,
    /// Granted scopes (the space-separated `scope` claim, RFC 9068 section 2.2.3).
    pub scopes: BTreeSet<String>,
    /// The user's roles (`roles`, RFC 9068 section 2.2.3.1).
    pub roles: BTreeSet<String>,
    /// Permissions granted through the roles (`permissions`).
    pub permissions: BTreeSet<String>,
    /// Expiry (`exp`), seconds since the epoch.
    pub exp: i64,
    /// Issued at (`iat`), seconds since the epoch.
    pub iat: i64,
    /// Not before (`nbf`), seconds since the epoch, when present.
    pub nbf: Option<i64>,
    /// Token id (`jti`).
    pub jti: String,
    /// When the user authenticated (`auth_time`), for user tokens.
    pub auth_time: Option<i64>,
    /// Every other claim, as sent.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Whether scope `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Whether the user has role `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }

    /// Whether the token carries permission `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// Whether the token acts for a user rather than for a client on its own behalf.
    ///
    /// A client-credentials token has `sub` equal to `client_id` (RFC 9068 section 2.2) and no
    /// `auth_time`; a token is a user's when `sub` differs from `client_id` **or** it carries
    /// `auth_time` (RFC 9068 section 2.2.1, set when a user authenticated).
    pub fn is_user(&self) -> bool {
        self.sub != self.client_id || self.auth_time.is_some()
    }

    /// The user id, for a user's token (see [`is_user`](Self::is_user)).
    pub fn user_id(&self) -> Option<&str> {
        self.is_user().then_some(self.sub.as_str())
    }
}

/// The claims as they come out of the payload, before the required ones are checked.
#[derive(Deserialize)]
pub(crate) struct RawClaims {
    pub iss: Option<String>,
    pub aud: Option<Audience>,
    pub sub: Option<String>,
    pub client_id: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
    pub jti: Option<String>,
    pub scope: Option<String>,
    pub auth_time: Option<i64>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `aud`: one string or an array of them (RFC 7519 section 4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(one) => vec![one],
            Self::Many(many) => many,
        }
    }
}
