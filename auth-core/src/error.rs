//! [`OAuthError`]: the one error type that protocol code returns to a client.
//!
//! It carries exactly an RFC error code and a description written for the client developer.
//! Internal failures become [`ErrorCode::ServerError`] with the cause kept for the log only:
//! a client sees "internal error", never a database message.

use crate::store::StoreError;
use crate::throttle::Throttled;
use auth_proto::error::{ErrorCode, ErrorResponse};
use std::borrow::Cow;
use std::fmt;

/// An error answered to the client per RFC 6749 section 5.2 (and RFC 6750 / 7009 / 7591).
pub struct OAuthError {
    code: ErrorCode,
    description: Cow<'static, str>,
    retry_after: Option<u64>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl OAuthError {
    /// An error with this code and a description for the client developer.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
            cause: None,
        }
    }

    /// Too many requests: answered with 429 and `Retry-After`.
    pub fn throttled(throttled: &Throttled, what: &str) -> Self {
        Self {
            retry_after: Some(throttled.retry_after_secs),
            ..Self::new(
                ErrorCode::TemporarilyUnavailable,
                format!("too many {what}; try again in {}", throttled.wait()),
            )
        }
    }

    /// Seconds after which a throttled client may try again.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// `invalid_request`: missing, repeated or malformed parameter.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client`: client authentication failed. Answered with 401 and a
    /// `WWW-Authenticate` challenge (RFC 6749 section 5.2).
    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    /// `invalid_grant`: bad, expired or revoked code / refresh token / verifier.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `invalid_scope`.
    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    /// `unauthorized_client`.
    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }

    /// `server_error`, keeping the cause for the log.
    pub fn server_error(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..Self::new(ErrorCode::ServerError, "internal error")
        }
    }

    /// The wire error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The description sent to the client.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The internal cause of a `server_error`, for logging.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// The JSON body.
    pub fn to_response(&self) -> ErrorResponse {
        ErrorResponse {
            error: self.code,
            error_description: Some(self.description.to_string()),
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl fmt::Debug for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthError")
            .field("code", &self.code)
            .field("description", &self.description)
            .field("cause", &self.cause.as_ref().map(ToString::to_string))
            .finish()
    }
}

impl std::error::Error for OAuthError {}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        Self::server_error(error)
    }
}
