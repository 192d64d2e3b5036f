//! A ready back-channel logout endpoint ([OpenID Connect Back-Channel Logout 1.0](https://openid.net/specs/openid-connect-backchannel-1_0.html)
//! section 2.5 to 2.8): takes the POSTed `logout_token`, verifies it with a [`LogoutVerifier`],
//! and has the application end its own sessions through [`EndSessions`].
//!
//! | situation | status | body |
//! |---|---|---|
//! | the sessions were ended | 200, `Cache-Control: no-store` | none |
//! | no form body or no `logout_token` | 400 | `{"error": "invalid_request", ...}` |
//! | the token is refused (section 2.6) | 400 | `{"error": "invalid_request", ...}` |
//! | the issuer's keys cannot be read, or ending the sessions failed | 400 | `{"error": "temporarily_unavailable", ...}` |
//!
//! Section 2.8 asks for 400 whenever the logout failed; the server retries any answer but 2xx,
//! so a failure on this side is tried again later.

use crate::verify::{LogoutToken, LogoutVerifier};
use auth_proto::error::{ErrorCode, ErrorResponse};
use auth_proto::logout::LOGOUT_TOKEN_PARAM;
use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use std::future::Future;
use std::sync::Arc;

/// What the application does when the authorization server says a session ended.
pub trait EndSessions: Send + Sync + 'static {
    /// Ends this service's sessions the token names: those begun with an ID token whose `sid`
    /// is `logout.sid`, and when the token has no `sid`, every session of `logout.sub` (section
    /// 2.7). Ending a session that is already gone is a success. An `Err` (the application's
    /// store is down) answers 400, and the server tries again later.
    fn end_sessions(&self, logout: &LogoutToken)
    -> impl Future<Output = Result<(), String>> + Send;
}

/// The endpoint, to mount at the path registered as `backchannel_logout_uri`:
///
/// ```
/// use auth_client::{LogoutToken, LogoutVerifier};
/// use auth_client::axum::{EndSessions, backchannel_logout};
/// use axum::Router;
///
/// struct Sessions;
///
/// impl EndSessions for Sessions {
///     async fn end_sessions(&self, logout: &LogoutToken) -> Result<(), String> {
///         // delete this app's sessions of `logout.sid` (or of `logout.sub` without a sid)
///         Ok(())
///     }
/// }
///
/// fn routes(logouts: LogoutVerifier) -> Router {
///     Router::new().route("/backchannel-logout", backchannel_logout(logouts, Sessions))
/// }
/// ```
pub fn backchannel_logout<S, E>(verifier: LogoutVerifier, sessions: E) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    E: EndSessions,
{
    let sessions = Arc::new(sessions);
    post(move |headers: HeaderMap, body: Bytes| {
        let (verifier, sessions) = (verifier.clone(), sessions.clone());
        async move { receive(&verifier, sessions.as_ref(), &headers, &body).await }
    })
}

async fn receive<E: EndSessions>(
    verifier: &LogoutVerifier,
    sessions: &E,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    // Section 2.5: the token comes as `application/x-www-form-urlencoded`.
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return refuse(
            ErrorCode::InvalidRequest,
            "the logout token must be posted as application/x-www-form-urlencoded",
        );
    }
    let mut tokens = form_urlencoded::parse(body).filter(|(name, _)| name == LOGOUT_TOKEN_PARAM);
    let token = match (tokens.next(), tokens.next()) {
        (Some((_, token)), None) => token,
        (None, _) => return refuse(ErrorCode::InvalidRequest, "logout_token is missing"),
        (Some(_), Some(_)) => {
            return refuse(ErrorCode::InvalidRequest, "logout_token is sent twice");
        }
    };
    let logout = match verifier.verify(&token).await {
        Ok(logout) => logout,
        Err(error) if error.is_token_error() => {
            return refuse(ErrorCode::InvalidRequest, &error.to_string());
        }
        Err(error) => {
            tracing::warn!(%error, "cannot verify a logout token");
            return refuse(
                ErrorCode::TemporarilyUnavailable,
                "the issuer's keys cannot be read now",
            );
        }
    };
    if let Err(error) = sessions.end_sessions(&logout).await {
        tracing::error!(%error, "cannot end the sessions a logout token names");
        return refuse(
            ErrorCode::TemporarilyUnavailable,
            "the sessions could not be ended now",
        );
    }
    (StatusCode::OK, no_store()).into_response()
}

/// Section 2.8: the answer SHOULD carry `Cache-Control: no-store`.
fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}

fn refuse(error: ErrorCode, description: &str) -> Response {
    let body = ErrorResponse {
        error,
        error_description: Some(description.to_owned()),
    };
    (StatusCode::BAD_REQUEST, no_store(), Json(body)).into_response()
}
