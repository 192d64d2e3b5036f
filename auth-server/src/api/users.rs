//! `/api/users/...`: what sibling services may ask about users.

use super::{ApiErrorBody, UserReader};
use crate::error::{ApiError, no_store};
use crate::state::AppState;
use auth_core::users::{User, UserId};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A user as services see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfo {
    /// User id.
    pub id: String,
    /// E-mail address.
    pub email: String,
    /// Whether it is confirmed.
    pub email_verified: bool,
    /// Full name.
    pub name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Whether the account is disabled.
    pub disabled: bool,
}

/// Looks a user up by id.
#[utoipa::path(get, path = "/api/users/{id}", tag = "users", security(("bearer" = ["users:read"]), ("bearer" = ["admin"])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserInfo), (status = 403, description = "Token lacks users:read", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn user(
    State(state): State<AppState>,
    _: UserReader,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found(format!("no user has id `{id}`"));
    let user_id = UserId::parse(&id).ok_or_else(missing)?;
    let user = state
        .provider
        .store()
        .user(&user_id)
        .await?
        .ok_or_else(missing)?;
    let grants = state.provider.store().user_grants(&user.id).await?;
    Ok((no_store(), Json(info(&user, grants.roles))).into_response())
}

fn info(user: &User, roles: Vec<String>) -> UserInfo {
    UserInfo {
        id: user.id.to_string(),
        email: user.email.as_str().to_owned(),
        email_verified: user.email_verified,
        name: user.profile.name.clone(),
        roles,
        disabled: user.disabled_at.is_some(),
    }
}

/// Which user to check: exactly one of `id` and `email`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegisteredQuery {
    /// User id.
    pub id: Option<String>,
    /// E-mail address (case-insensitive).
    pub email: Option<String>,
}

/// Whether a user is registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// Whether an account exists.
    pub registered: bool,
    /// Whether it is disabled (only when registered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// The user id (only when registered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Whether a user id or e-mail address is registered.
#[utoipa::path(get, path = "/api/users/registered", tag = "users", security(("bearer" = ["users:read"]), ("bearer" = ["admin"])),
    params(RegisteredQuery),
    responses((status = 200, body = Registered), (status = 400, description = "Neither or both of id and email", body = ApiErrorBody),
        (status = 403, description = "Token lacks users:read", body = ApiErrorBody)))]
pub async fn is_registered(
    State(state): State<AppState>,
    _: UserReader,
    query: Result<Query<RegisteredQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let store = state.provider.store();
    let user = match (&query.id, &query.email) {
        (Some(id), None) => match UserId::parse(id) {
            Some(id) => store.user(&id).await?,
            None => None,
        },
        (None, Some(email)) => store.user_by_email(&email.trim().to_lowercase()).await?,
        _ => return Err(ApiError::invalid("give exactly one of `id` and `email`")),
    };
    let answer = match user {
        Some(user) => Registered {
            registered: true,
            disabled: Some(user.disabled_at.is_some()),
            id: Some(user.id.to_string()),
        },
        None => Registered {
            registered: false,
            disabled: None,
            id: None,
        },
    };
    Ok((no_store(), Json(answer)).into_response())
}
