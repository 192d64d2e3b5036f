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

/// A refusal of these endpoints: an RFC 7591 error ([`OAuthErrorResponse`]) or an RFC 6750
/// bearer challenge ([`bearer::refuse`]), ready to send.
type Refusal = Response;

fn metadata(headers: &HeaderMap, body: &Bytes) -> Result<ClientMetadata, Refusal> {
    let invalid = |description: String| {
        OAuthErrorResponse(OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            description,
        ))
        .into_response()
    };
    if !is_json_media_type(headers) {
        return Err(invalid(
            "the request body must be application/json".to_owned(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| invalid(format!("the client metadata is not valid JSON: {e}")))
}

fn token(headers: &HeaderMap) -> Result<Option<String>, Refusal> {
    bearer::from_header(headers).map_err(|e| bearer::refuse(e, ""))
}

/// `POST /register`
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let provider = &state.provider;
    // Its own counters (not sign-up's): per network, and all registrations together.
    throttle::hit(
        provider,
        &[
            &Key::network(Feature::ClientRegistration, &Network::of(&ip)),
            &Key::account(provider, Feature::ClientRegistration, Account::Everyone),
        ],
    )
    .await
    .map_err(|throttled| {
        OAuthErrorResponse(OAuthError::throttled(
            &throttled,
            "registrations from your network",
        ))
        .into_response()
    })?;
    let presented = token(&headers)?;
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
        return Err(bearer::refuse(error, ""));
    }
    let metadata = metadata(&headers, &body)?;
    let response = registration::register(&state.provider, &state.web.registration, metadata)
        .await
        .map_err(|e| OAuthErrorResponse(e).into_response())?;
    auth_core::audit::record(
        &state.provider,
        auth_core::audit::Entry::new("client_registered")
            .client(&response.client_id)
            .ip(&ip),
    )
    .await;
    Ok((StatusCode::CREATED, no_store(), Json(response)).into_response())
}

fn management_error(error: ManagementError) -> Refusal {
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
) -> Result<Response, Refusal> {
    let presented = token(&headers)?;
    let response = registration::read(&state.provider, &client_id, presented.as_deref())
        .await
        .map_err(management_error)?;
    Ok((no_store(), Json(response)).into_response())
}

/// `PUT /register/{client_id}`
pub async fn update(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let presented = token(&headers)?;
    let metadata = metadata(&headers, &body)?;
    let response = registration::update(
        &state.provider,
        &state.web.registration,
        &client_id,
        presented.as_deref(),
        metadata,
    )
    .await
    .map_err(management_error)?;
    Ok((no_store(), Json(response)).into_response())
}

/// `DELETE /register/{client_id}`
pub async fn delete(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let presented = token(&headers)?;
    registration::delete(&state.provider, &client_id, presented.as_deref())
        .await
        .map_err(management_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
