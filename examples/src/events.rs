//! The events service: coaches create events, everyone signed in lists them.
//!
//! - `GET /events`: any valid token.
//! - `POST /events` `{"title", "seats"}`: users whose roles grant `events:create` (checked on
//!   the claims in the handler, since `GET` on the same path is open to all). The sale
//!   is opened at the tickets service first, with this service's own client-credentials
//!   token (`tickets:write`); only then is the event stored, so a failed call leaves nothing
//!   half-made.
//! - `POST /events/{id}/register`: a user registers for an event, and this service buys their
//!   ticket at the tickets service **on their behalf**: it exchanges the user's token (RFC 8693)
//!   for one to the tickets service, which names the user as `sub` and this service as
//!   `act.sub`, with a scope no wider than the user's.

use crate::error::ApiError;
use auth_client::axum::Authenticated;
use auth_client::{AccessToken, ExchangeSource, ExchangeTarget, TokenSource, Verifier};
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
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
    /// Tokens to the tickets service on users' behalf; `None` turns registration off.
    pub on_behalf: Option<OnBehalf>,
}

/// How this service calls the tickets service for a user.
#[derive(Clone)]
pub struct OnBehalf {
    /// Exchanges users' tokens (RFC 8693), cached per user token.
    pub exchange: ExchangeSource,
    /// The audience the tickets service verifies.
    pub tickets_audience: String,
}

/// The scope the tickets service is called with for a user: the least it needs.
pub const ON_BEHALF_SCOPE: &str = "profile";

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
        .route("/events/{id}/register", post(register))
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

/// Calls the tickets service as this service; a `401` is tried once more with a new token.
async fn open_sale(state: &AppState, event: &Event) -> Result<(), ApiError> {
    let body =
        serde_json::json!({"event_id": event.id, "title": event.title, "seats": event.seats});
    let response = call_tickets(
        move || async move {
            state
                .tokens
                .token()
                .await
                .map_err(|e| ApiError::upstream("getting this service's token", e))
        },
        |token| state.tokens.invalidate(token),
        |token| {
            state
                .http
                .post(format!("{}/internal/events", state.tickets_url.0))
                .header("authorization", token.bearer_header())
                .json(&body)
        },
    )
    .await?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(ApiError::upstream(
            "the tickets service",
            format!("it answered {status}"),
        )),
    }
}

/// Sends the request `request` makes with a token from `token`. A `401` means the token was
/// revoked or the keys rotated under it: the token is dropped (`invalidate`) and the call made
/// once more with a new one. The answer is the last call's.
async fn call_tickets<T, F>(
    token: T,
    invalidate: impl Fn(&AccessToken),
    request: impl Fn(&AccessToken) -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, ApiError>
where
    T: Fn() -> F,
    F: Future<Output = Result<AccessToken, ApiError>>,
{
    let first = token().await?;
    let response = send_to_tickets(request(&first)).await?;
    if response.status() != StatusCode::UNAUTHORIZED {
        return Ok(response);
    }
    invalidate(&first);
    send_to_tickets(request(&token().await?)).await
}

async fn send_to_tickets(request: reqwest::RequestBuilder) -> Result<reqwest::Response, ApiError> {
    request
        .send()
        .await
        .map_err(|e| ApiError::upstream("the tickets service", e))
}

/// A user registers for an event: their ticket is bought at the tickets service with a token
/// exchanged from theirs. A `401` there means the exchanged token was revoked or the keys
/// rotated: it is dropped and the call made once more.
async fn register(
    State(state): State<AppState>,
    _: Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let on_behalf = state
        .on_behalf
        .as_ref()
        .ok_or_else(|| ApiError::not_found("registration is not configured"))?;
    let known = state
        .events
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .any(|event| event.id == id);
    if !known {
        return Err(ApiError::not_found(format!("no event has id `{id}`")));
    }
    // The token the `Authenticated` extractor verified: the user's, to exchange.
    let user_token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::forbidden("registering needs the user's bearer token"))?;
    let target = &ExchangeTarget::audience(&on_behalf.tickets_audience);
    let response = call_tickets(
        move || async move {
            on_behalf
                .exchange
                .exchange(user_token, target, Some(ON_BEHALF_SCOPE))
                .await
                .map_err(|e| ApiError::upstream("exchanging the user's token", e))
        },
        |token| on_behalf.exchange.invalidate(token),
        |token| {
            state
                .http
                .post(format!(
                    "{}/on-behalf/events/{id}/tickets",
                    state.tickets_url.0
                ))
                .header("authorization", token.bearer_header())
        },
    )
    .await?;
    match response.status() {
        StatusCode::CREATED => {
            let ticket: serde_json::Value = response
                .json()
                .await
                .map_err(|e| ApiError::upstream("the tickets service", e))?;
            Ok((StatusCode::CREATED, Json(ticket)))
        }
        status if status.is_client_error() => {
            // The tickets service refused the user (sold out, not a player...): its answer
            // is theirs.
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            Err(ApiError::new(
                status,
                "refused_by_tickets",
                body["error_description"]
                    .as_str()
                    .unwrap_or("the tickets service refused")
                    .to_owned(),
            ))
        }
        status => Err(ApiError::upstream(
            "the tickets service",
            format!("it answered {status}"),
        )),
    }
}
