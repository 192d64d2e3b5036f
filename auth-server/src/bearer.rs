//! Bearer tokens on protected resources, [RFC 6750](https://www.rfc-editor.org/rfc/rfc6750):
//! reading the token and answering with the `WWW-Authenticate` challenge of section 3.

use auth_core::userinfo::ResourceError;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The realm of every challenge.
pub const REALM: &str = "auth-server";

/// The token of `Authorization: Bearer ...`; `Ok(None)` when the header is absent.
pub fn from_header(headers: &HeaderMap) -> Result<Option<String>, ResourceError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        ResourceError::InvalidRequest("the Authorization header is not visible ASCII".into())
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ResourceError::InvalidRequest(
            "the Authorization header must be `Bearer <token>`".into(),
        )),
    }
}

/// The RFC 6750 answer for a refused request. `scope` is what the resource needs, named in an
/// `insufficient_scope` challenge.
pub fn refuse(error: ResourceError, scope: &str) -> Response {
    let quote = |text: &str| text.replace(['"', '\\'], "'");
    let (status, code, description) = match &error {
        ResourceError::Missing => (StatusCode::UNAUTHORIZED, None, String::new()),
        ResourceError::InvalidRequest(d) => {
            (StatusCode::BAD_REQUEST, Some("invalid_request"), d.clone())
        }
        ResourceError::InvalidToken(d) => {
            (StatusCode::UNAUTHORIZED, Some("invalid_token"), d.clone())
        }
        ResourceError::InsufficientScope(d) => {
            (StatusCode::FORBIDDEN, Some("insufficient_scope"), d.clone())
        }
        ResourceError::Internal(e) => {
            tracing::error!(error = ?e.cause().map(ToString::to_string), "protected resource failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(e.to_response())).into_response();
        }
    };
    // RFC 6750 section 3: without a token, the challenge carries no error code.
    let challenge = match code {
        None => format!("Bearer realm=\"{REALM}\""),
        Some("insufficient_scope") => format!(
            "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", error_description=\"{}\", scope=\"{scope}\"",
            quote(&description)
        ),
        Some(code) => format!(
            "Bearer realm=\"{REALM}\", error=\"{code}\", error_description=\"{}\"",
            quote(&description)
        ),
    };
    let body = match code {
        None => json!({"error": "invalid_token", "error_description": "no access token was sent"}),
        Some(code) => json!({"error": code, "error_description": description}),
    };
    let mut response = (status, Json(body)).into_response();
    // RFC 6750 section 3: a 401 carries a challenge. A description that cannot be a header
    // value still gets one, with the error code alone.
    let value = HeaderValue::from_str(&challenge).unwrap_or_else(|_| {
        let bare = match code {
            Some(code) => format!("Bearer realm=\"{REALM}\", error=\"{code}\""),
            None => format!("Bearer realm=\"{REALM}\""),
        };
        HeaderValue::from_str(&bare).unwrap_or(HeaderValue::from_static("Bearer"))
    });
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, value);
    response
}
