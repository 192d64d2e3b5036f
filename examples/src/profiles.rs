//! The profiles service: who a user is, for the user and for team managers.
//!
//! - `GET /me`: any user token; the caller's account as the authorization server knows it.
//! - `GET /profiles/{id}`: users whose roles grant `teams:manage` (coaches, managers).
//!
//! At start-up it checks that the server's user directory answers with its client
//! credentials (`users:read`), so a wrong secret stops it at once rather than on the first
//! request.

use crate::error::ApiError;
use auth_client::axum::{Authenticated, Require};
use auth_client::{UserDirectory, Verifier};
use axum::extract::{FromRef, Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// What the handlers share.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Verifies bearer tokens.
    pub verifier: Verifier,
    /// Looks users up at the authorization server.
    pub directory: UserDirectory,
}

/// A profile as this service shows it.
#[derive(Debug, Serialize)]
pub struct Profile {
    /// User id.
    pub id: String,
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Roles.
    pub roles: Vec<String>,
}

/// The routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/profiles/{id}", get(profile))
        .route_layer(Require::permission(&state.verifier, "teams:manage"))
        .route("/me", get(me))
        .with_state(state)
}

async fn me(
    State(directory): State<UserDirectory>,
    Authenticated(claims): Authenticated,
) -> Result<Json<Profile>, ApiError> {
    let id = claims
        .user_id()
        .ok_or_else(|| ApiError::forbidden("this route needs a user's token, not a service's"))?;
    lookup(&directory, id).await
}

async fn profile(
    State(directory): State<UserDirectory>,
    Path(id): Path<String>,
) -> Result<Json<Profile>, ApiError> {
    lookup(&directory, &id).await
}

async fn lookup(directory: &UserDirectory, id: &str) -> Result<Json<Profile>, ApiError> {
    let user = directory
        .user(id)
        .await
        .map_err(|e| ApiError::upstream("the user directory", e))?
        .ok_or_else(|| ApiError::not_found(format!("no user has id `{id}`")))?;
    Ok(Json(Profile {
        id: user.id,
        name: user.name,
        email: user.email,
        roles: user.roles,
    }))
}
