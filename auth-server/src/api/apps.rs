//! `/api/account/apps`: the applications with access to the user's account, for a first-party
//! app acting for its signed-in user (see [`auth_core::apps`]).

use super::{AccountUser, ApiErrorBody};
use crate::error::{ApiError, no_store};
use crate::state::AppState;
use auth_core::apps;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An application with access to the user's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppView {
    /// Client id.
    pub client_id: String,
    /// Display name (the client id when it has none).
    pub name: String,
    /// Home page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// Whether it registered itself (RFC 7591): its name is its own claim.
    pub self_registered: bool,
    /// The scopes the user consented to (or, without a consent, those of its live tokens).
    pub scopes: Vec<String>,
    /// When access was given (seconds since the epoch).
    pub granted_at: i64,
    /// When it was last given a token for the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
    /// Whether it holds an unexpired token of the user.
    pub has_tokens: bool,
}

/// The applications with access to the user's account, most recently used first.
#[utoipa::path(get, path = "/api/account/apps", tag = "account", security(("bearer" = ["account"]), ("bearer" = ["account:write"])),
    responses((status = 200, body = [AppView]), (status = 403, description = "The token lacks `account`", body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: AccountUser,
) -> Result<Response, ApiError> {
    let views: Vec<AppView> = apps::list(&state.provider, &caller.user.id)
        .await?
        .into_iter()
        .map(|a| AppView {
            client_id: a.client_id,
            name: a.name,
            client_uri: a.client_uri,
            self_registered: a.self_registered,
            scopes: a.scopes,
            granted_at: a.granted_at,
            last_used_at: a.last_used_at,
            has_tokens: a.has_tokens,
        })
        .collect();
    Ok((no_store(), Json(views)).into_response())
}

/// Removes an application's access: forgets the consent and revokes every token of the app for
/// the user (its refresh tokens fail, its access tokens read inactive at introspection).
#[utoipa::path(delete, path = "/api/account/apps/{client_id}", tag = "account", security(("bearer" = ["account:write"])),
    params(("client_id" = String, Path, description = "Client id")),
    responses((status = 204, description = "Removed"), (status = 403, description = "The token lacks `account:write`", body = ApiErrorBody), (status = 404, description = "The application has no access", body = ApiErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: AccountUser,
    Path(client_id): Path<String>,
) -> Result<Response, ApiError> {
    if !apps::remove(&state.provider, &caller.user.id, &client_id, &caller.ip).await? {
        return Err(ApiError::not_found(
            "that application has no access to the user's account",
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
