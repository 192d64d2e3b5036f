//! The events service: coaches create events, everyone signed in lists them.
//!
//! - `GET /events`: any valid token.
//! - `POST /events` `{"title", "seats"}`: users whose roles grant `events:create` (checked on
//!   the claims in the handler, since `GET` on the same path is open to all). The sale
//!   is opened at the tickets service first, with this service's own client-credentials
//!   token (`tickets:write`); only then is the event stored, so a failed call leaves nothing
//!   half-made.

use crate::error::ApiError;
use auth_client::axum::Authenticated;
use auth_client::{TokenSource, Verifier};
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, PoisonError};

/// What the handlers share.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Verifies bearer tokens.
    pub verifier: Verifier,
    /// This service's token for calling the tickets service.
    pub tokens: TokenSource,
    /// The tickets service's base URL.
    pub tickets_url: TicketsUrl,
    /// HTTP client for the tickets service.
    pub http: reqwest::Client,
    /// The events (in memory: this is an example).
    pub events: Events,
}

/// The tickets service's base URL.
#[derive(Clone)]
pub struct TicketsUrl(pub String);

/// The events, in memory.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<Event>>>);

/// An event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Seats for sale.
    pub seats: u32,
    /// The user who created it.
    pub created_by: String,
}

/// `POST /events` body.
#[derive(Debug, Deserialize)]
pub struct NewEvent {
    /// Title.
    pub title: String,
    /// Seats for sale.
    pub seats: u32,
}

/// The routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/events", get(list).post(create))
        .with_state(state)
}

async fn list(State(events): State<Events>, _: Authenticated) -> Json<Vec<Event>> {
    Json(
        events
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
    )
}

async fn create(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Json(new): Json<NewEvent>,
) -> Result<(StatusCode, Json<Event>), ApiError> {
    if !claims.has_permission("events:create") {
        return Err(ApiError::forbidden(
            "creating events needs the `events:create` permission",
        ));
    }
    if new.title.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "the title is empty",
        ));
    }
    let event = Event {
        id: uuid::Uuid::new_v4().to_string(),
        title: new.title.trim().to_owned(),
        seats: new.seats,
        created_by: claims.sub.clone(),
    };
    open_sale(&state, &event).await?;
    state
        .events
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(event.clone());
    Ok((StatusCode::CREATED, Json(event)))
}

/// Calls the tickets service as this service. A `401` means the token was revoked or the
/// keys rotated under it: the token is dropped and the call made once more with a new one.
async fn open_sale(state: &AppState, event: &Event) -> Result<(), ApiError> {
    let body =
        serde_json::json!({"event_id": event.id, "title": event.title, "seats": event.seats});
    for attempt in 0..2 {
        let token = state
            .tokens
            .token()
            .await
            .map_err(|e| ApiError::upstream("getting this service's token", e))?;
        let response = state
            .http
            .post(format!("{}/internal/events", state.tickets_url.0))
            .header("authorization", token.bearer_header())
            .json(&body)
            .send()
            .await
            .map_err(|e| ApiError::upstream("the tickets service", e))?;
        match response.status() {
            status if status.is_success() => return Ok(()),
            StatusCode::UNAUTHORIZED if attempt == 0 => state.tokens.invalidate(&token),
            status => {
                return Err(ApiError::upstream(
                    "the tickets service",
                    format!("it answered {status}"),
                ));
            }
        }
    }
    Err(ApiError::upstream(
        "the tickets service",
        "it refused a fresh token",
    ))
}
