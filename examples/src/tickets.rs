//! The tickets service: sells tickets for events.
//!
//! - `POST /internal/events` `{"event_id", "title", "seats"}`: opens the sale of an event. Only
//!   services may call it: the token needs the `tickets:write` scope (the events service has
//!   it; no user token does).
//! - `POST /events/{id}/tickets`: a player or parent buys a ticket. The buyer must be a
//!   registered, active account: the service asks the authorization server (cached), so a
//!   token still valid for a few minutes after its user was disabled buys nothing.
//! - `POST /on-behalf/events/{id}/tickets`: the events service buys a ticket for a user who
//!   registered there, with a token it obtained by token exchange (RFC 8693): verified for
//!   this service's own audience, it names the user as `sub` and the events service as
//!   `act.sub`; a token of any other actor, or none, is refused. The same rules as a user's
//!   own purchase then apply.
//! - `GET /tickets/mine`: the caller's tickets.
//! - `POST /webhooks/auth`: the server's events (Standard Webhooks signature); the tickets of
//!   a disabled or deleted user are cancelled. Deliveries may repeat; each event is applied once.

use crate::error::ApiError;
use auth_client::axum::{Authenticated, Require};
use auth_client::webhooks::{EventType, WebhookVerifier};
use auth_client::{UserDirectory, Verifier};
use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

/// What the handlers share.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Verifies bearer tokens.
    pub verifier: Verifier,
    /// Asks whether buyers are registered.
    pub directory: UserDirectory,
    /// Verifies event deliveries; `None` turns the webhook route off.
    pub webhooks: Option<Arc<WebhookVerifier>>,
    /// The sales (in memory: this is an example).
    pub sales: Sales,
    /// Purchases the events service makes for users; `None` turns the route off.
    pub on_behalf: Option<OnBehalf>,
}

/// Who may buy tickets for a user, and how their tokens are checked.
#[derive(Clone)]
pub struct OnBehalf {
    /// Verifies tokens for this service's own audience (what token exchange narrows to).
    pub verifier: Verifier,
    /// The client id of the events service: the only actor accepted.
    pub events_client: String,
}

/// The state of the on-behalf route: its own verifier.
#[derive(Clone, FromRef)]
struct OnBehalfState {
    verifier: Verifier,
    events_client: EventsClient,
    directory: UserDirectory,
    sales: Sales,
}

#[derive(Clone)]
struct EventsClient(String);

/// Events on sale and the tickets sold, in memory.
#[derive(Clone, Default)]
pub struct Sales(Arc<Mutex<SalesInner>>);

#[derive(Default)]
struct SalesInner {
    events: BTreeMap<String, OnSale>,
    tickets: Vec<Ticket>,
    applied_events: HashSet<String>,
}

struct OnSale {
    title: String,
    seats_left: u32,
}

impl Sales {
    fn with<T>(&self, f: impl FnOnce(&mut SalesInner) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    /// Ticket id.
    pub id: String,
    /// The event.
    pub event_id: String,
    /// The event's title.
    pub title: String,
    /// The buyer's user id.
    pub holder: String,
    /// Cancelled, because the holder's account was disabled or deleted.
    pub cancelled: bool,
}

/// `POST /internal/events` body.
#[derive(Debug, Deserialize)]
pub struct OpenSale {
    /// The event's id at the events service.
    pub event_id: String,
    /// Its title.
    pub title: String,
    /// Seats for sale.
    pub seats: u32,
}

/// The routes.
pub fn app(state: AppState) -> Router {
    let internal = Router::new()
        .route("/internal/events", post(open_sale))
        .route_layer(Require::scope(&state.verifier, "tickets:write"));
    let on_behalf = state.on_behalf.clone().map(|on_behalf| {
        Router::new()
            .route("/on-behalf/events/{id}/tickets", post(buy_on_behalf))
            .with_state(OnBehalfState {
                verifier: on_behalf.verifier,
                events_client: EventsClient(on_behalf.events_client),
                directory: state.directory.clone(),
                sales: state.sales.clone(),
            })
    });
    Router::new()
        .merge(internal)
        .route("/events/{id}/tickets", post(buy))
        .route("/tickets/mine", get(mine))
        .route("/webhooks/auth", post(webhook))
        .with_state(state)
        .merge(on_behalf.unwrap_or_default())
}

async fn open_sale(
    State(sales): State<Sales>,
    Json(sale): Json<OpenSale>,
) -> (StatusCode, Json<serde_json::Value>) {
    let id = sale.event_id.clone();
    sales.with(|s| {
        s.events.insert(
            sale.event_id,
            OnSale {
                title: sale.title,
                seats_left: sale.seats,
            },
        )
    });
    (
        StatusCode::CREATED,
        Json(serde_json::json!({"event_id": id, "on_sale": true})),
    )
}

async fn buy(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(event_id): Path<String>,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    sell(&state.directory, &state.sales, &claims, event_id).await
}

/// A purchase by the events service for its user. The token was verified for this service's
/// audience; RFC 8693 section 4.1: the outermost `act` is the party calling now.
async fn buy_on_behalf(
    State(state): State<OnBehalfState>,
    Authenticated(claims): Authenticated,
    Path(event_id): Path<String>,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    if claims.actor() != Some(state.events_client.0.as_str()) {
        return Err(ApiError::forbidden(format!(
            "only the events service (`{}`) buys tickets for users here, with a token it exchanged",
            state.events_client.0
        )));
    }
    sell(&state.directory, &state.sales, &claims, event_id).await
}

/// Sells a ticket of `event_id` to the user of `claims`.
async fn sell(
    directory: &UserDirectory,
    sales: &Sales,
    claims: &auth_client::Claims,
    event_id: String,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    let buyer = claims
        .user_id()
        .ok_or_else(|| ApiError::forbidden("tickets are sold to users, not to services"))?
        .to_owned();
    if !(claims.has_role("player") || claims.has_role("parent")) {
        return Err(ApiError::forbidden(
            "only players and parents buy tickets (role `player` or `parent`)",
        ));
    }
    let registration = directory
        .is_registered(&buyer)
        .await
        .map_err(|e| ApiError::upstream("the registration check", e))?;
    if !registration.is_active() {
        return Err(ApiError::forbidden(
            "the buyer's account is not registered or is disabled",
        ));
    }
    sales.with(|s| {
        let sale = s
            .events
            .get_mut(&event_id)
            .ok_or_else(|| ApiError::not_found(format!("event `{event_id}` is not on sale")))?;
        if sale.seats_left == 0 {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "sold_out",
                format!("event `{event_id}` is sold out"),
            ));
        }
        sale.seats_left -= 1;
        let ticket = Ticket {
            id: uuid::Uuid::new_v4().to_string(),
            event_id: event_id.clone(),
            title: sale.title.clone(),
            holder: buyer,
            cancelled: false,
        };
        s.tickets.push(ticket.clone());
        Ok((StatusCode::CREATED, Json(ticket)))
    })
}

async fn mine(
    State(sales): State<Sales>,
    Authenticated(claims): Authenticated,
) -> Json<Vec<Ticket>> {
    let tickets = sales.with(|s| {
        s.tickets
            .iter()
            .filter(|t| t.holder == claims.sub)
            .cloned()
            .collect()
    });
    Json(tickets)
}

async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let verifier = state
        .webhooks
        .as_ref()
        .ok_or_else(|| ApiError::not_found("no webhook secret is configured"))?;
    let event = verifier
        .verify(&headers, &body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_delivery", e.to_string()))?;
    state.sales.with(|s| {
        if !s.applied_events.insert(event.id.clone()) {
            return; // a redelivery: already applied
        }
        if matches!(event.kind, EventType::UserDisabled | EventType::UserDeleted)
            && let Some(user) = &event.data.user_id
        {
            for ticket in s.tickets.iter_mut().filter(|t| &t.holder == user) {
                ticket.cancelled = true;
            }
        }
    });
    Ok(StatusCode::NO_CONTENT)
}
