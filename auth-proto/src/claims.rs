//! Claims carried inside signed tokens.

use serde::{Deserialize, Serialize};

/// Claims of a JWT access token, [RFC 9068 section 2.2](https://www.rfc-editor.org/rfc/rfc9068#section-2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer identifier of the authorization server.
    pub iss: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// The resource server(s) the token is meant for.
    pub aud: String,
    /// The user, or for client-credentials tokens the client id (RFC 9068 section 2.2).
    pub sub: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Issued-at, seconds since the epoch.
    pub iat: i64,
    /// Unique token id; revocation is recorded against it.
    pub jti: String,
    /// Space-separated granted scopes (RFC 9068 section 2.2.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Time of the user's authentication (RFC 9068 section 2.2.1), for user tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Roles of the user (RFC 9068 section 2.2.3.1, from SCIM's `roles`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Permissions granted through the user's roles, when the `permissions` scope was granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    /// Private claim: the registration of the client (its id with its current secret) the
    /// token was issued under. The server refuses the token once that client is deleted or its
    /// secret rotated; resource servers verifying offline may ignore it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_registration: String,
    /// The key the token is bound to (RFC 9449 section 6.1): only a request with a DPoP proof
    /// signed by that key may use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// Private claim: when `sub` is a pairwise identifier (OIDC Core section 8), the user id
    /// sealed under the server's key, so the server can find the user and the client cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_sealed: Option<String>,
    /// The party acting for `sub` (RFC 8693 section 4.1), on a token obtained by token
    /// exchange; nested when the subject token already named an actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
}

/// The `act` (actor) claim, [RFC 8693 section 4.1](https://www.rfc-editor.org/rfc/rfc8693#section-4.1):
/// who acts for the token's subject. `act` inside it names the actor before (the chain of
/// delegation, most recent first); only the outermost actor is the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The acting party: the client id of the service that exchanged the token.
    pub sub: String,
    /// The prior actor, when the token this one was exchanged from had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Box<Actor>>,
}

impl Actor {
    /// The actors from the current one back to the first.
    pub fn chain(&self) -> impl Iterator<Item = &Actor> {
        std::iter::successors(Some(self), |actor| actor.act.as_deref())
    }
}

/// A confirmation claim (RFC 7800) naming a DPoP key by its thumbprint (RFC 9449 section 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// base64url SHA-256 JWK thumbprint (RFC 7638) of the key.
    pub jkt: String,
}

impl AccessTokenClaims {
    /// The granted scopes as an iterator of scope tokens.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.as_deref().unwrap_or("").split_ascii_whitespace()
    }
}

/// Claims of an OIDC ID token, [OIDC Core section 2](https://openid.net/specs/openid-connect-core-1_0.html#IDToken),
/// with the standard claims of section 5.1 the granted scopes allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// Issuer identifier.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The client the token is for.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued-at, seconds since the epoch.
    pub iat: i64,
    /// When the user authenticated.
    pub auth_time: i64,
    /// The `nonce` of the authorization request, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Left half of the SHA-256 of the access token, base64url (OIDC Core section 3.1.3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Authentication methods used (RFC 8176): `pwd`, `otp`, `mfa`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// Session id at the provider, for logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Standard and extra claims (`email`, `name`, `roles`, ...).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
