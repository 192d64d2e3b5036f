//! The HTTP form of an [`OAuthError`]: status, headers and JSON body, in one place.

use super::no_store;
use auth_core::OAuthError;
use auth_core::protocol::error::ErrorCode;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An OAuth error as an HTTP response.
#[derive(Debug)]
pub struct OAuthErrorResponse(pub OAuthError);

impl From<OAuthError> for OAuthErrorResponse {
    fn from(error: OAuthError) -> Self {
        Self(error)
    }
}

impl IntoResponse for OAuthErrorResponse {
    fn into_response(self) -> Response {
        let error = self.0;
        let status = match error.code() {
            _ if error.retry_after().is_some() => StatusCode::TOO_MANY_REQUESTS,
            // RFC 6749 section 5.2: invalid_client MAY be 401, and MUST be with a
            // WWW-Authenticate challenge when the client used the Authorization header.
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        if error.code() == ErrorCode::ServerError {
            match error.cause() {
                Some(cause) => tracing::error!(error = %cause, "request failed"),
                None => tracing::error!("request failed"),
            }
        } else {
            tracing::debug!(error = %error.code(), "request refused");
        }
        let mut response = (status, no_store(), Json(error.to_response())).into_response();
        if let Some(seconds) = error.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if error.code() == ErrorCode::InvalidClient {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"auth-server\", charset=\"UTF-8\""),
            );
        }
        response
    }
}
