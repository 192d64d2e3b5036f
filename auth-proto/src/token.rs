//! The token endpoint's success response.

use serde::{Deserialize, Serialize};

/// [RFC 6749 section 5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1) access token
/// response, with the OIDC `id_token` (OIDC Core section 3.1.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (an RFC 9068 JWT).
    pub access_token: String,
    /// `Bearer` (RFC 6750), or `DPoP` for a token bound to a key (RFC 9449 section 5).
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// The rotated refresh token, when the grant issues one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scope (RFC 6749 section 3.3 requires it when it differs from the request;
    /// this server always sends it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The OIDC ID token, when `openid` was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The type of the token issued by a token exchange (RFC 8693 section 2.2.1):
    /// `urn:ietf:params:oauth:token-type:access_token`. Absent for every other grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
}

/// Token type identifiers, [RFC 8693 section 3](https://www.rfc-editor.org/rfc/rfc8693#section-3).
pub mod token_types {
    /// An OAuth 2.0 access token issued by the authorization server.
    pub const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
    /// An OAuth 2.0 refresh token.
    pub const REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
    /// An OpenID Connect ID token.
    pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
    /// A JWT.
    pub const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
}
