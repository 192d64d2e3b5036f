//! The JSON account API for first-party apps and sibling services, under `/api`, described by an
//! OpenAPI document at `/api/openapi.json` and a reference page at `/api/docs`.
//!
//! `/api/account/...` acts for the user of a bearer access token (any token of this server whose
//! subject is an active user). `/api/users/...` is for services: a client-credentials token
//! with the `users:read` scope (or `admin`).

pub mod account;
pub mod docs;
pub mod users;

use crate::bearer;
use crate::error::no_store;
use crate::extract::ClientIp;
use crate::state::AppState;
use auth_core::protocol::claims::AccessTokenClaims;
use auth_core::tokens::access::ValidationFailure;
use auth_core::userinfo::ResourceError;
use auth_core::users::{User, UserId};
use axum::extract::FromRequestParts;
use axum::extract::rejection::JsonRejection;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

/// Scope a service needs to look users up.
pub const USERS_READ: &str = "users:read";

/// The API routes (nested under `/api`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/register", post(account::register))
        .route("/account/me", get(account::me).patch(account::update_me))
        .route("/account/password", post(account::change_password))
        .route("/account/password/forgot", post(account::forgot_password))
        .route("/account/password/reset", post(account::reset_password))
        .route("/account/otp/send", post(account::send_code))
        .route("/account/otp/verify", post(account::verify_code))
        .route("/account/sessions", get(account::sessions))
        .route(
            "/account/sessions/{id}",
            axum::routing::delete(account::end_session),
        )
        .route("/users/registered", get(users::is_registered))
        .route("/users/{id}", get(users::user))
        .route("/openapi.json", get(docs::openapi_json))
        .route("/docs", get(docs::page))
}

/// An API error: `{"error": ..., "error_description": ...}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// Machine-readable code: `invalid_request`, `invalid_token`, `insufficient_scope`,
    /// `not_found`, `too_many_requests`, `server_error`.
    pub error: String,
    /// What was wrong.
    pub error_description: String,
}

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    pub(crate) fn invalid(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub(crate) fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }

    pub(crate) fn throttled(throttled: &auth_core::throttle::Throttled) -> Self {
        Self {
            retry_after: Some(throttled.retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("too many requests; try again in {}", throttled.wait()),
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            error: self.code.to_owned(),
            error_description: self.description,
        };
        let mut response = (self.status, no_store(), Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::invalid(format!(
            "the request body is not the expected JSON: {}",
            rejection.body_text()
        ))
    }
}

impl From<auth_core::store::StoreError> for ApiError {
    fn from(e: auth_core::store::StoreError) -> Self {
        Self::internal(e)
    }
}

async fn verified_claims(
    parts: &Parts,
    state: &AppState,
    scope: &str,
) -> Result<AccessTokenClaims, Response> {
    let token = match bearer::from_header(&parts.headers) {
        Ok(Some(token)) => token,
        Ok(None) => return Err(bearer::refuse(ResourceError::Missing, scope)),
        Err(e) => return Err(bearer::refuse(e, scope)),
    };
    match state.provider.validate_access_token(&token).await {
        Ok(claims) => Ok(claims),
        Err(ValidationFailure::Invalid(e)) => Err(bearer::refuse(
            ResourceError::InvalidToken(e.to_string()),
            scope,
        )),
        Err(ValidationFailure::Internal(e)) => {
            Err(bearer::refuse(ResourceError::Internal(e), scope))
        }
    }
}

/// The signed-in user of a bearer token.
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
        let claims = verified_claims(parts, state, "openid").await?;
        let user = match UserId::parse(&claims.sub) {
            Some(id) => state
                .provider
                .store()
                .user(&id)
                .await
                .map_err(|e| ApiError::internal(e).into_response())?,
            None => None,
        };
        let Some(user) = user.filter(User::is_active) else {
            return Err(bearer::refuse(
                ResourceError::InvalidToken("the token does not belong to an active user".into()),
                "openid",
            ));
        };
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        Ok(Self { user, claims, ip })
    }
}

/// A service allowed to read users: a token with `users:read` or `admin`.
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
        let claims = verified_claims(parts, state, USERS_READ).await?;
        if !claims
            .scopes()
            .any(|s| s == USERS_READ || s == crate::admin::ADMIN_SCOPE)
        {
            return Err(bearer::refuse(
                ResourceError::InsufficientScope(format!(
                    "looking up users needs a token with the `{USERS_READ}` scope"
                )),
                USERS_READ,
            ));
        }
        Ok(Self {
            subject: claims.sub,
        })
    }
}
