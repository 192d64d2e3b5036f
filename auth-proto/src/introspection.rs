//! The token introspection response, [RFC 7662 section 2.2](https://www.rfc-editor.org/rfc/rfc7662#section-2.2).

use serde::{Deserialize, Serialize};

/// Introspection answer. An inactive token is `{"active": false}` and nothing else
/// (RFC 7662 section 2.2: the server SHOULD NOT include other information).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntrospectionResponse {
    /// Whether the token is currently active.
    pub active: bool,
    /// Space-separated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `Bearer` for access tokens, `refresh_token` for refresh tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// The key a DPoP-bound token is bound to (RFC 9449 section 6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<crate::claims::Confirmation>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issued-at, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Subject of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Intended audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Issuer of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Token identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Roles carried by the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// Permissions carried by the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// Who acts for the subject, on a token obtained by token exchange (RFC 8693 section 4.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<crate::claims::Actor>,
}

impl IntrospectionResponse {
    /// The answer for an unknown, expired or revoked token.
    pub fn inactive() -> Self {
        Self::default()
    }
}
