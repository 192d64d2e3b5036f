//! Reading requests: every body read in full, within its size and time limits, before a
//! handler runs ([`read_body`]); an OAuth request (form body + `Authorization` header) with
//! rejections that are OAuth errors, never axum's plain-text ones ([`OAuthForm`]); the
//! client's address ([`ClientIp`]).

use crate::error::{OAuthErrorResponse, no_store};
use crate::paths;
use crate::state::AppState;
use auth_core::OAuthError;
use auth_core::params::Params;
use axum::Json;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;

/// Why a request was refused before routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The body is larger than `http.max_body_bytes` (declared or sent).
    TooLarge,
    /// The body was not complete within `http.body_read_timeout_secs`.
    TooSlow,
    /// The connection failed or the body's framing was broken.
    Unreadable,
    /// A NUL character in the path, query or body.
    Nul,
}

/// Middleware: reads the whole body of every request before routing, so no handler or
/// extractor reads from the network itself. A body declared or found larger than
/// `http.max_body_bytes` is refused with 413 (a chunked one as soon as it passes the limit),
/// one not complete within `http.body_read_timeout_secs` with 408 and the connection closed.
/// A NUL character anywhere in the path, query or body is refused with 400: no parameter or
/// field accepts one, and PostgreSQL cannot store one in text.
///
/// The answer is the endpoint's own kind: an error page on the hosted pages, else a JSON
/// `invalid_request` error (OAuth endpoints, `/register`, `/api`, `/admin`).
pub async fn read_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = state.web.http;
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let read = if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        Err(Refusal::TooLarge)
    } else {
        tokio::time::timeout(
            limits.body_read_timeout,
            collect(body, limits.max_body_bytes),
        )
        .await
        .unwrap_or(Err(Refusal::TooSlow))
    };
    match read {
        Ok(bytes) if carries_nul(&parts, &bytes) => refuse(&state, parts.uri.path(), Refusal::Nul),
        Ok(bytes) => {
            let mut request = Request::from_parts(parts, Body::from(bytes.clone()));
            request.extensions_mut().insert(ReadBody(bytes));
            next.run(request).await
        }
        Err(refusal) => refuse(&state, parts.uri.path(), refusal),
    }
}

/// The whole body as [`read_body`] read it, for extractors that would otherwise collect the
/// body again. Only present while the body is untouched: a layer that replaced the body must
/// remove it.
#[derive(Clone)]
struct ReadBody(Bytes);

/// The body's bytes, refused as soon as they pass `limit`.
async fn collect(mut body: Body, limit: usize) -> Result<Bytes, Refusal> {
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| Refusal::Unreadable)?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(Refusal::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(bytes))
}

/// Whether the path, query or body decodes to text with a NUL character. In a URI or a form
/// body every `%00` decodes to NUL (a `%` cannot end an earlier escape); in JSON, a `\u0000`
/// escape does, found by parsing (a raw NUL byte is not valid JSON, and the handler says so).
fn carries_nul(parts: &Parts, body: &[u8]) -> bool {
    let percent_nul = |bytes: &[u8]| {
        memchr::memchr(0, bytes).is_some() || memchr::memmem::find(bytes, b"%00").is_some()
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().as_bytes())
        .unwrap_or_default();
    if percent_nul(target) {
        return true;
    }
    // A body that parses as JSON is scanned as JSON whatever its declared type: a handler may
    // read JSON under a type this check does not know (it did: `application/jsonx`).
    let looks_like_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    if looks_like_json
        && serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| json_has_nul(&v))
    {
        return true;
    }
    !is_json_media_type(&parts.headers) && percent_nul(body)
}

/// The media type of the body (`type/subtype`, lower case, without parameters).
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// What axum's `Json` extractor accepts, and the only types a JSON endpoint reads:
/// `application/json` or `application/*+json`, in any case, with any parameters.
pub(crate) fn is_json_media_type(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|essence| {
        essence == "application/json"
            || essence
                .strip_prefix("application/")
                .is_some_and(|subtype| subtype.ends_with("+json"))
    })
}

fn json_has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(name, value)| name.contains('\0') || json_has_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn refuse(state: &AppState, path: &str, refusal: Refusal) -> Response {
    let (status, message) = match refusal {
        Refusal::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than the limit of {} bytes",
                state.web.http.max_body_bytes
            ),
        ),
        Refusal::TooSlow => (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body was not received within {} seconds",
                state.web.http.body_read_timeout.as_secs()
            ),
        ),
        Refusal::Unreadable => (
            StatusCode::BAD_REQUEST,
            "the request body could not be read".to_owned(),
        ),
        Refusal::Nul => (
            StatusCode::BAD_REQUEST,
            "the request contains a NUL character, which no parameter or field accepts".to_owned(),
        ),
    };
    let mut response = if is_page(path) {
        crate::pages::error_page(state, status, "Request refused", &message)
    } else {
        (
            status,
            no_store(),
            Json(serde_json::json!({"error": "invalid_request", "error_description": message})),
        )
            .into_response()
    };
    if refusal != Refusal::Nul {
        // The rest of the body was never read: the connection cannot carry another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Whether `path` is a hosted page (answered with HTML) rather than a JSON endpoint.
fn is_page(path: &str) -> bool {
    [
        paths::AUTHORIZE,
        paths::LOGIN,
        paths::SIGNUP,
        paths::CONSENT,
        paths::LOGOUT,
        paths::ACCOUNT,
        paths::VERIFY_EMAIL,
        paths::FORGOT_PASSWORD,
        paths::RESET_PASSWORD,
    ]
    .iter()
    .any(|page| {
        path == *page
            || path
                .strip_prefix(page)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// A POSTed `application/x-www-form-urlencoded` OAuth request.
pub struct OAuthForm {
    /// The raw `Authorization` header.
    pub authorization: Option<String>,
    /// The body parameters.
    pub params: Params,
}

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let reject = |e: OAuthError| OAuthErrorResponse(e).into_response();
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            // RFC 6749 section 3.2: parameters are sent in the application/x-www-form-urlencoded format.
            return Err(reject(OAuthError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            )));
        }
        let authorization = match req.headers().get(header::AUTHORIZATION) {
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| {
                        reject(OAuthError::invalid_request(
                            "the Authorization header is not visible ASCII",
                        ))
                    })?
                    .to_owned(),
            ),
            None => None,
        };
        let body = match req.extensions().get::<ReadBody>() {
            Some(ReadBody(bytes)) => bytes.clone(),
            None => Bytes::from_request(req, state).await.map_err(|rejection| {
                let status = rejection.status();
                let mut response = reject(OAuthError::invalid_request(
                    if status == StatusCode::PAYLOAD_TOO_LARGE {
                        "the request body is too large"
                    } else {
                        "the request body could not be read"
                    },
                ));
                *response.status_mut() = status;
                response
            })?,
        };
        let params = Params::parse(&body).map_err(reject)?;
        Ok(Self {
            authorization,
            params,
        })
    }
}

/// The client's address: from the configured proxy header (its last entry), else the TCP peer.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let from_header = state.web.client_ip_header.as_deref().and_then(|name| {
            let value = parts.headers.get(name)?.to_str().ok()?;
            let last = value.rsplit(',').next()?.trim();
            last.parse::<std::net::IpAddr>()
                .ok()
                .map(|ip| ip.to_string())
        });
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        Ok(Self(from_header.or(peer).unwrap_or_default()))
    }
}
