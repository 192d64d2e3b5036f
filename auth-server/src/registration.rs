//! Dynamic client registration: `POST /register` (RFC 7591) and
//! `GET | PUT | DELETE /register/{client_id}` (RFC 7592).

use crate::bearer;
use crate::error::{OAuthErrorResponse, no_store};
use crate::extract::{ClientIp, is_json_media_type};
use crate::state::AppState;
use auth_core::OAuthError;
use auth_core::protocol::error::ErrorCode;
use auth_core::protocol::registration::ClientMetadata;
use auth_core::registration::{self, ManagementError};
use auth_core::throttle::{self, Account, Feature, Key, Network};
use auth_core::userinfo::ResourceError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

fn metadata(headers: &HeaderMap, body: &Bytes) -> Result<ClientMetadata, OAuthError> {
    if !is_json_media_type(headers) {
        return Err(OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            "the request body must be application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            format!("the client metadata is not valid JSON: {e}"),
        )
    })
}

fn token(headers: &HeaderMap) -> Result<Option<String>, Response> {
    bearer::from_header(headers).map_err(|e| bearer::refuse(e, ""))
}

/// `POST /register`
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let provider = &state.provider;
    // Its own counters (not sign-up's): per network, and all registrations together.
    if let Err(throttled) = throttle::hit(
        provider,
        &[
            &Key::network(Feature::ClientRegistration, &Network::of(&ip)),
            &Key::account(provider, Feature::ClientRegistration, Account::Everyone),
        ],
    )
    .await
    {
        return OAuthErrorResponse(OAuthError::throttled(
            &throttled,
            "registrations from your network",
        ))
        .into_response();
    }
    let presented = match token(&headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    // RFC 7591 section 3: an initial access token, when required, is a bearer token.
    if !registration::may_register(
        &state.provider,
        &state.web.registration.mode,
        presented.as_deref(),
    ) {
        let error = match presented {
            None => ResourceError::Missing,
            Some(_) => ResourceError::InvalidToken("the initial access token is not valid".into()),
        };
        return bearer::refuse(error, "");
    }
    let metadata = match metadata(&headers, &body) {
        Ok(metadata) => metadata,
        Err(e) => return OAuthErrorResponse(e).into_response(),
    };
    match registration::register(&state.provider, &state.web.registration, metadata).await {
        Ok(response) => {
            auth_core::audit::record(
                &state.provider,
                auth_core::audit::Entry::new("client_registered")
                    .client(&response.client_id)
                    .ip(&ip),
            )
            .await;
            (StatusCode::CREATED, no_store(), Json(response)).into_response()
        }
        Err(e) => OAuthErrorResponse(e).into_response(),
    }
}

fn management_error(error: ManagementError) -> Response {
    match error {
        // RFC 7592 section 2: an invalid token or unknown client is 401.
        ManagementError::Unauthorized => bearer::refuse(
            ResourceError::InvalidToken(
                "the registration access token is not valid for this client".into(),
            ),
            "",
        ),
        ManagementError::Invalid(e) => OAuthErrorResponse(e).into_response(),
    }
}

/// `GET /register/{client_id}`
pub async fn read(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let presented = match token(&headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    match registration::read(&state.provider, &client_id, presented.as_deref()).await {
        Ok(response) => (no_store(), Json(response)).into_response(),
        Err(e) => management_error(e),
    }
}

/// `PUT /register/{client_id}`
pub async fn update(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let presented = match token(&headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    let metadata = match metadata(&headers, &body) {
        Ok(metadata) => metadata,
        Err(e) => return OAuthErrorResponse(e).into_response(),
    };
    match registration::update(
        &state.provider,
        &state.web.registration,
        &client_id,
        presented.as_deref(),
        metadata,
    )
    .await
    {
        Ok(response) => (no_store(), Json(response)).into_response(),
        Err(e) => management_error(e),
    }
}

/// `DELETE /register/{client_id}`
pub async fn delete(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let presented = match token(&headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    match registration::delete(&state.provider, &client_id, presented.as_deref()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => management_error(e),
    }
}
