//! axum 0.8 integration (feature `axum`): an extractor for the verified claims and route
//! layers that require a scope, role or permission; and [`backchannel_logout`], a ready
//! endpoint for OpenID Connect Back-Channel Logout.
//!
//! Refusals follow [RFC 6750 section 3](https://www.rfc-editor.org/rfc/rfc6750#section-3):
//!
//! | situation | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no bearer token | 401 | `Bearer realm="..."` (no error, section 3.1) |
//! | `Authorization: Bearer` without a token | 400 | `Bearer realm="...", error="invalid_request", ...` |
//! | a token that does not verify | 401 | `Bearer realm="...", error="invalid_token", error_description="..."` |
//! | a DPoP-bound token without a valid proof of its key (RFC 9449) | 401 | `DPoP realm="...", error="invalid_dpop_proof", error_description="...", algs="..."` |
//! | a missing scope, role or permission | 403 | `Bearer realm="...", error="insufficient_scope", error_description="...", scope="..."` |
//! | the authorization server could not be asked | 503 | none |
//!
//! Error answers carry the JSON body `{"error": ..., "error_description": ...}`.
//!
//! ```
//! use auth_client::Verifier;
//! use auth_client::axum::{Authenticated, Require};
//! use axum::Router;
//! use axum::extract::FromRef;
//! use axum::routing::{get, post};
//!
//! #[derive(Clone, FromRef)]
//! struct AppState {
//!     verifier: Verifier,
//! }
//!
//! async fn list(Authenticated(claims): Authenticated) -> String {
//!     format!("tickets of {}", claims.sub)
//! }
//!
//! async fn create(Authenticated(claims): Authenticated) -> &'static str {
//!     "created"
//! }
//!
//! fn app(state: AppState) -> Router {
//!     Router::new()
//!         .route("/tickets", post(create))
//!         .route_layer(Require::scope(&state.verifier, "tickets:write"))
//!         .route("/tickets/mine", get(list))
//!         .with_state(state)
//! }
//! ```

mod backchannel;

pub use backchannel::{EndSessions, backchannel_logout};

use crate::verify::{Claims, Verifier, VerifyError};
use auth_proto::error::{ErrorCode, ErrorResponse};
use axum::Json;
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The claims of the request's verified bearer token.
///
/// The [`Verifier`] comes from the state (`Verifier: FromRef<S>`); behind a [`Require`] layer
/// the token verified there is reused. `Option<Authenticated>` is `None` when the request has
/// no bearer token, and still refuses an invalid one.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

/// Claims a [`Require`] layer verified, for the extractor to reuse (private, so a handler
/// cannot be fooled by an extension put there by something else).
#[derive(Clone)]
struct Verified(Claims);

impl<S> FromRequestParts<S> for Authenticated
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(Verified(claims)) = parts.extensions.get::<Verified>() {
            return Ok(Self(claims.clone()));
        }
        let verifier = Verifier::from_ref(state);
        authenticate(parts, &verifier).await.map(Self)
    }
}

impl<S> OptionalFromRequestParts<S> for Authenticated
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Self as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(authenticated) => Ok(Some(authenticated)),
            Err(AuthRejection {
                kind: Kind::Missing,
                ..
            }) => Ok(None),
            Err(rejection) => Err(rejection),
        }
    }
}

/// Verifies the bearer token of `parts`.
async fn authenticate(parts: &Parts, verifier: &Verifier) -> Result<Claims, AuthRejection> {
    let realm = verifier.realm();
    let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(match parts.headers.contains_key(header::AUTHORIZATION) {
            true => AuthRejection::invalid_request(realm, "more than one Authorization header"),
            false => AuthRejection::new(realm, Kind::Missing),
        });
    };
    let value = value.to_str().unwrap_or_default();
    // RFC 6750 section 2.1: `Bearer` (the scheme is case-insensitive) and the token; RFC 9449
    // section 7.1: `DPoP` and a bound token. Another scheme means no token was sent.
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let dpop = scheme.eq_ignore_ascii_case("dpop");
    if !dpop && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthRejection::new(realm, Kind::Missing));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthRejection::invalid_request(
            realm,
            "the Authorization header has no token after its scheme",
        ));
    }
    let verified = if dpop {
        let mut proofs = parts.headers.get_all("dpop").iter();
        let proof = match (proofs.next(), proofs.next()) {
            (None, _) => None,
            (Some(value), None) => Some(value.to_str().map_err(|_| {
                AuthRejection::new(
                    realm,
                    Kind::InvalidDpopProof("the DPoP header is not visible ASCII".into()),
                )
            })?),
            (Some(_), Some(_)) => {
                return Err(AuthRejection::new(
                    realm,
                    Kind::InvalidDpopProof("more than one DPoP header".into()),
                ));
            }
        };
        let url = request_url(parts, verifier);
        verifier
            .verify_dpop(token, proof, parts.method.as_str(), &url)
            .await
    } else {
        verifier.verify(token).await
    };
    verified.map_err(|error| AuthRejection::from_verify_error(realm, &error))
}

/// The URL the client addressed (DPoP's `htu`): the verifier's public URL and the path, or
/// `https://` (`http://` on loopback) with the `Host` header.
fn request_url(parts: &Parts, verifier: &Verifier) -> String {
    let path = parts.uri.path();
    if let Some(base) = verifier.public_url() {
        return format!("{base}{path}");
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let loopback = matches!(name, "127.0.0.1" | "localhost" | "[::1]");
    let scheme = if loopback { "http" } else { "https" };
    format!("{scheme}://{host}{path}")
}

/// A refused request; its response follows RFC 6750 section 3.
#[derive(Debug)]
pub struct AuthRejection {
    realm: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Missing,
    InvalidRequest(String),
    InvalidToken(String),
    InvalidDpopProof(String),
    Insufficient {
        description: String,
        scope: Option<String>,
    },
    Unavailable(String),
}

impl AuthRejection {
    fn new(realm: &str, kind: Kind) -> Self {
        Self {
            realm: realm.to_owned(),
            kind,
        }
    }

    fn invalid_request(realm: &str, description: &str) -> Self {
        Self::new(realm, Kind::InvalidRequest(description.to_owned()))
    }

    fn from_verify_error(realm: &str, error: &VerifyError) -> Self {
        if let VerifyError::DpopProof(description) = error {
            return Self::new(realm, Kind::InvalidDpopProof(description.clone()));
        }
        if error.is_token_error() {
            Self::new(realm, Kind::InvalidToken(error.to_string()))
        } else {
            tracing::error!(%error, "cannot check a bearer token");
            Self::new(
                realm,
                Kind::Unavailable("the token cannot be checked right now".to_owned()),
            )
        }
    }

    /// The status the response will have.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            Kind::Missing | Kind::InvalidToken(_) | Kind::InvalidDpopProof(_) => {
                StatusCode::UNAUTHORIZED
            }
            Kind::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Kind::Insufficient { .. } => StatusCode::FORBIDDEN,
            Kind::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `WWW-Authenticate` challenge (RFC 6750 section 3), when the response has one.
    fn challenge(&self) -> Option<String> {
        // RFC 9449 section 7.1: a DPoP error in a DPoP challenge naming the proof algorithms.
        if let Kind::InvalidDpopProof(description) = &self.kind {
            return Some(format!(
                "DPoP realm=\"{}\", error=\"invalid_dpop_proof\", error_description=\"{}\", algs=\"{DPOP_ALGS}\"",
                quoted(&self.realm),
                quoted(description)
            ));
        }
        let mut challenge = format!("Bearer realm=\"{}\"", quoted(&self.realm));
        let mut attribute = |name: &str, value: &str| {
            challenge.push_str(&format!(", {name}=\"{}\"", quoted(value)));
        };
        match &self.kind {
            // Section 3.1: a request without authentication gets no error code.
            Kind::Missing => {}
            Kind::InvalidRequest(description) => {
                attribute("error", "invalid_request");
                attribute("error_description", description);
            }
            Kind::InvalidToken(description) => {
                attribute("error", "invalid_token");
                attribute("error_description", description);
            }
            Kind::Insufficient { description, scope } => {
                attribute("error", "insufficient_scope");
                attribute("error_description", description);
                if let Some(scope) = scope {
                    attribute("scope", scope);
                }
            }
            Kind::Unavailable(_) | Kind::InvalidDpopProof(_) => return None,
        }
        Some(challenge)
    }

    fn body(&self) -> Option<ErrorResponse> {
        let (error, description) = match &self.kind {
            Kind::Missing => return None,
            Kind::InvalidRequest(d) => (ErrorCode::InvalidRequest, d),
            Kind::InvalidToken(d) => (ErrorCode::InvalidToken, d),
            Kind::InvalidDpopProof(d) => (ErrorCode::InvalidDpopProof, d),
            Kind::Insufficient { description, .. } => (ErrorCode::InsufficientScope, description),
            Kind::Unavailable(d) => (ErrorCode::TemporarilyUnavailable, d),
        };
        Some(ErrorResponse {
            error,
            error_description: Some(description.clone()),
        })
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Missing => f.write_str("no bearer token"),
            Kind::InvalidRequest(d)
            | Kind::InvalidToken(d)
            | Kind::InvalidDpopProof(d)
            | Kind::Insufficient { description: d, .. }
            | Kind::Unavailable(d) => f.write_str(d),
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let mut response = match self.body() {
            Some(body) => (self.status(), Json(body)).into_response(),
            None => self.status().into_response(),
        };
        if let Some(challenge) = self.challenge()
            && let Ok(value) = HeaderValue::from_str(&challenge)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// The algorithms of DPoP proofs, as a challenge names them (RFC 9449 section 7.1).
const DPOP_ALGS: &str = "RS256 PS256 ES256 EdDSA";

/// RFC 6750 section 3: attribute values are quoted strings of `%x20-21 / %x23-5B / %x5D-7E`;
/// anything else (quotes, backslashes, control and non-ASCII characters) becomes `?`. Long
/// values are cut.
fn quoted(value: &str) -> String {
    value
        .chars()
        .take(300)
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '?',
        })
        .collect()
}

/// What a [`Require`] layer demands.
#[derive(Debug)]
enum Rule {
    Scope(String),
    Role(String),
    Permission(String),
}

impl Rule {
    fn check(&self, claims: &Claims, realm: &str) -> Result<(), AuthRejection> {
        let (granted, description, scope) = match self {
            Self::Scope(scope) => (
                claims.has_scope(scope),
                format!("the token lacks the scope `{scope}`"),
                Some(scope.clone()),
            ),
            Self::Role(role) => (
                claims.has_role(role),
                format!("the token lacks the role `{role}`"),
                None,
            ),
            Self::Permission(permission) => (
                claims.has_permission(permission),
                format!("the token lacks the permission `{permission}`"),
                None,
            ),
        };
        if granted {
            return Ok(());
        }
        // RFC 6750 section 3.1: insufficient_scope is "higher privileges than provided by the
        // access token"; for roles and permissions there is no scope to name.
        Err(AuthRejection::new(
            realm,
            Kind::Insufficient { description, scope },
        ))
    }
}

/// A route layer that lets a request through only with a valid bearer token carrying a
/// scope, role or permission. Apply with `Router::route_layer`; stack several to require
/// all of them. Handlers behind it get the claims with [`Authenticated`] without verifying
/// again.
///
/// ```
/// # use auth_client::{Verifier, axum::Require};
/// # use axum::{Router, routing::delete};
/// # fn routes(verifier: &Verifier) -> Router<Verifier> {
/// Router::new()
///     .route("/tickets/{id}", delete(|| async { "deleted" }))
///     .route_layer(Require::scope(verifier, "tickets:write"))
///     .route_layer(Require::role(verifier, "support"))
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Require {
    verifier: Verifier,
    rule: Arc<Rule>,
}

impl Require {
    /// Requires scope `scope` (403 `insufficient_scope` with `scope="..."` otherwise).
    pub fn scope(verifier: &Verifier, scope: impl Into<String>) -> Self {
        Self::with(verifier, Rule::Scope(scope.into()))
    }

    /// Requires role `role`.
    pub fn role(verifier: &Verifier, role: impl Into<String>) -> Self {
        Self::with(verifier, Rule::Role(role.into()))
    }

    /// Requires permission `permission`.
    pub fn permission(verifier: &Verifier, permission: impl Into<String>) -> Self {
        Self::with(verifier, Rule::Permission(permission.into()))
    }

    fn with(verifier: &Verifier, rule: Rule) -> Self {
        Self {
            verifier: verifier.clone(),
            rule: Arc::new(rule),
        }
    }
}

impl<S> tower::Layer<S> for Require {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireService {
            inner,
            verifier: self.verifier.clone(),
            rule: self.rule.clone(),
        }
    }
}

/// The service of a [`Require`] layer.
#[derive(Debug, Clone)]
pub struct RequireService<S> {
    inner: S,
    verifier: Verifier,
    rule: Arc<Rule>,
}

impl<S> tower::Service<Request> for RequireService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The clone that was polled ready handles this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let rule = self.rule.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let claims = match parts.extensions.get::<Verified>() {
                Some(Verified(claims)) => claims.clone(),
                None => match authenticate(&parts, &verifier).await {
                    Ok(claims) => claims,
                    Err(rejection) => return Ok(rejection.into_response()),
                },
            };
            if let Err(rejection) = rule.check(&claims, verifier.realm()) {
                return Ok(rejection.into_response());
            }
            parts.extensions.insert(Verified(claims));
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn challenge_values_cannot_break_out_of_their_quotes() {
        assert_eq!(quoted("a \"b\" \\ c\né"), "a ?b? ? c??");
    }
}
