//! The JSON account API for first-party apps and sibling services, under `/api`, described by an
//! OpenAPI document at `/api/openapi.json` and a reference page at `/api/docs`.
//!
//! `/api/account/...` acts for the user of a bearer access token of this server whose subject is
//! an active user and which was issued with the `account` scope (reading) or `account:write`
//! (changing, and reading). `/api/users/...` is for services: a client-credentials token with
//! the `users:read` scope (or `admin`). The scopes of each route are in [`crate::access::ROUTES`].
//! Refusals are [`ApiError`]s ([`crate::error::json`]), token refusals RFC 6750 challenges.

pub mod account;
pub mod apps;
pub mod docs;
pub mod users;

use crate::access::{self, Routes, Rule};
use crate::bearer;
use crate::error::ApiError;
pub use crate::error::ApiErrorBody;
use crate::extract::ClientIp;
use crate::state::AppState;
use auth_core::protocol::claims::AccessTokenClaims;
use auth_core::userinfo::ResourceError;
use auth_core::users::{User, UserId};
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

/// Scope a service needs to look users up.
pub const USERS_READ: &str = crate::access::USERS_READ;

/// Adds the API routes, under `/api`. Who may call each is in [`crate::access::ROUTES`].
pub fn routes(routes: Routes) -> Routes {
    routes
        .post("/api/account/register", account::register)
        .get("/api/account/me", account::me)
        .add(Method::PATCH, "/api/account/me", account::update_me)
        .post("/api/account/password", account::change_password)
        .post("/api/account/password/forgot", account::forgot_password)
        .post("/api/account/password/reset", account::reset_password)
        .post("/api/account/otp/send", account::send_code)
        .post("/api/account/otp/verify", account::verify_code)
        .get("/api/account/sessions", account::sessions)
        .add(
            Method::DELETE,
            "/api/account/sessions/{id}",
            account::end_session,
        )
        .get("/api/account/apps", apps::list)
        .add(
            Method::DELETE,
            "/api/account/apps/{client_id}",
            apps::remove,
        )
        .get("/api/users/registered", users::is_registered)
        .get("/api/users/{id}", users::user)
        .get("/api/openapi.json", docs::openapi_json)
        .get("/api/docs", docs::page)
        .get("/api/docs/{file}", docs::asset)
}

/// The token's claims, if it is a valid access token of this server; otherwise the RFC 6750
/// refusal naming `scope`.
pub(crate) async fn verified_claims(
    parts: &Parts,
    state: &AppState,
    scope: &str,
) -> Result<AccessTokenClaims, Response> {
    let credential = match bearer::credential(&parts.headers) {
        Ok(Some(credential)) => credential,
        Ok(None) => return Err(bearer::refuse(ResourceError::Missing, scope)),
        Err(e) => return Err(bearer::refuse(e, scope)),
    };
    bearer::verified(
        state,
        &parts.headers,
        parts.method.as_str(),
        parts.uri.path(),
        &credential,
    )
    .await
    .map_err(|e| bearer::refuse_with_nonce(state, e, scope))
}

/// The scopes the route of this request demands of a token: those of its rule in
/// [`access::ROUTES`] (a route without a token rule there is refused: fail closed).
fn scopes_of_route(parts: &Parts, user: bool) -> Result<&'static [&'static str], Response> {
    match access::rule_of_request(parts) {
        Some(Rule::UserToken(scopes)) if user => Ok(scopes),
        Some(Rule::Token(scopes)) if !user => Ok(scopes),
        rule => Err(ApiError::internal(format!(
            "route {} {:?} has no token rule in access::ROUTES (found {rule:?})",
            parts.method,
            parts
                .extensions
                .get::<axum::extract::MatchedPath>()
                .map(axum::extract::MatchedPath::as_str)
        ))
        .into_response()),
    }
}

/// The `insufficient_scope` answer naming the scopes a route accepts (RFC 6750 section 3.1).
pub(crate) fn insufficient(scopes: &[&str], what: &str) -> Response {
    let names = scopes
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    bearer::refuse(
        ResourceError::InsufficientScope(format!("{what} needs a token with the {names} scope")),
        scopes.first().copied().unwrap_or_default(),
    )
}

/// The signed-in user of a bearer token issued with a scope the route accepts (its
/// [`Rule::UserToken`] in [`access::ROUTES`]): a token of another client for the same user,
/// issued for `openid` only, cannot read or change the account.
pub struct AccountUser {
    /// The user.
    pub user: User,
    /// The token's claims.
    pub claims: AccessTokenClaims,
    /// The caller's address.
    pub ip: String,
}

impl FromRequestParts<AppState> for AccountUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let scopes = scopes_of_route(parts, true)?;
        // The challenge names the scope a client should ask for: the first the route accepts.
        let named = scopes.first().copied().unwrap_or_default();
        let claims = verified_claims(parts, state, named).await?;
        let user = match UserId::parse(&claims.sub) {
            Some(id) => state
                .provider
                .store()
                .user(&id)
                .await
                .map_err(|e| ApiError::from(e).into_response())?,
            None => None,
        };
        let Some(user) = user.filter(User::is_active) else {
            return Err(bearer::refuse(
                ResourceError::InvalidToken("the token does not belong to an active user".into()),
                named,
            ));
        };
        if !claims.scopes().any(|s| scopes.contains(&s)) {
            return Err(insufficient(scopes, "this part of the account API"));
        }
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        Ok(Self { user, claims, ip })
    }
}

/// A service allowed to read users: a token with a scope of the route's [`Rule::Token`]
/// (`users:read` or `admin`).
pub struct UserReader {
    /// The token's subject (the service's client id).
    pub subject: String,
}

impl FromRequestParts<AppState> for UserReader {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let scopes = scopes_of_route(parts, false)?;
        let named = scopes.first().copied().unwrap_or_default();
        let claims = verified_claims(parts, state, named).await?;
        if !claims.scopes().any(|s| scopes.contains(&s)) {
            return Err(insufficient(scopes, "looking up users"));
        }
        Ok(Self {
            subject: claims.sub,
        })
    }
}
