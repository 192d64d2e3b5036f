//! The token endpoint's success response.

use serde::{Deserialize, Serialize};

/// [RFC 6749 section 5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1) access token
/// response, with the OIDC `id_token` (OIDC Core section 3.1.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (an RFC 9068 JWT).
    pub access_token: String,
    /// Always `Bearer` (RFC 6750).
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
}
