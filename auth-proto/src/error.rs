//! OAuth error codes and the JSON error body.
//!
//! The codes are exactly the ones the RFCs define; [`ErrorCode`] displays as its wire string.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An error code from the OAuth 2 family of RFCs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// [RFC 6749 section 5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2): the request is
    /// missing a parameter, repeats one, or is otherwise malformed.
    InvalidRequest,
    /// RFC 6749 section 5.2: client authentication failed.
    InvalidClient,
    /// RFC 6749 section 5.2: the grant (code, refresh token, ...) is invalid, expired or revoked.
    InvalidGrant,
    /// RFC 6749 sections 4.1.2.1 and 5.2: the client may not use this grant or response type.
    UnauthorizedClient,
    /// RFC 6749 section 5.2: the grant type is not supported by this server.
    UnsupportedGrantType,
    /// RFC 6749 sections 4.1.2.1 and 5.2: the requested scope is invalid or exceeds what is allowed.
    InvalidScope,
    /// RFC 6749 section 4.1.2.1: the resource owner or server denied the request.
    AccessDenied,
    /// RFC 6749 section 4.1.2.1: the response type is not supported.
    UnsupportedResponseType,
    /// RFC 6749 section 4.1.2.1: an unexpected condition on the server.
    ServerError,
    /// RFC 6749 section 4.1.2.1: the server is temporarily unable to handle the request.
    TemporarilyUnavailable,
    /// [RFC 6750 section 3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1): the access
    /// token is expired, revoked, malformed or otherwise invalid.
    InvalidToken,
    /// RFC 6750 section 3.1: the token lacks the scope the resource requires.
    InsufficientScope,
    /// [RFC 7009 section 2.2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1): the server
    /// cannot revoke this type of token.
    UnsupportedTokenType,
    /// OIDC Core section 3.1.2.6: `prompt=none` but the user is not logged in.
    LoginRequired,
    /// OIDC Core section 3.1.2.6: `prompt=none` but consent is needed.
    ConsentRequired,
    /// OIDC Core section 3.1.2.6: `prompt=none` but the user must interact.
    InteractionRequired,
    /// OIDC Core section 3.1.2.6: the `request` parameter is not supported.
    RequestNotSupported,
    /// OIDC Core section 3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
    /// OIDC Core section 3.1.2.6: the `registration` parameter is not supported.
    RegistrationNotSupported,
    /// [RFC 7591 section 3.2.2](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2): a redirect
    /// URI in the registration request is invalid.
    InvalidRedirectUri,
    /// RFC 7591 section 3.2.2: a client metadata field is invalid.
    InvalidClientMetadata,
    /// OIDC Core section 3.1.2.6 and RFC 9101 section 6.3: the request object is invalid.
    InvalidRequestObject,
    /// OIDC Core section 3.1.2.6 and RFC 9126 section 4: the `request_uri` is unknown, used or
    /// expired.
    InvalidRequestUri,
    /// [RFC 9449 section 5](https://www.rfc-editor.org/rfc/rfc9449#section-5) and 7.1: the DPoP
    /// proof is missing or invalid.
    InvalidDpopProof,
    /// RFC 9449 section 8: the DPoP proof must carry the nonce the server gives in `DPoP-Nonce`.
    UseDpopNonce,
    /// [RFC 8707 section 2](https://www.rfc-editor.org/rfc/rfc8707#section-2): the `resource` is
    /// invalid, unknown, or not one the grant may be used for.
    InvalidTarget,
    /// [RFC 8628 section 3.5](https://www.rfc-editor.org/rfc/rfc8628#section-3.5): the user has
    /// not yet decided on the device authorization request; keep polling.
    AuthorizationPending,
    /// RFC 8628 section 3.5: still pending, and the device polls too often: add 5 seconds to
    /// the interval for this and every later request.
    SlowDown,
    /// RFC 8628 section 3.5: the device code expired; start a new device authorization request.
    ExpiredToken,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::RegistrationNotSupported => "registration_not_supported",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidRequestObject => "invalid_request_object",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::InvalidTarget => "invalid_target",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON error body of RFC 6749 section 5.2 (also used by RFC 7009, 7591 and 7662).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error code.
    pub error: ErrorCode,
    /// A human-readable explanation for the client developer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}
