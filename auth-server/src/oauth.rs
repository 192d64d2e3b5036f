//! The OAuth endpoints clients call with their credentials: token, pushed authorization
//! requests, introspection, revocation.

use crate::error::{OAuthErrorResponse, no_store};
use crate::extract::{ClientIp, OAuthForm};
use crate::state::AppState;
use auth_core::authorize::pushed;
use auth_core::{grants, introspection, revocation};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `POST /token` (RFC 6749 section 3.2).
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    form: OAuthForm,
) -> Result<Response, OAuthErrorResponse> {
    let issued = grants::token(
        &state.provider,
        form.authorization.as_deref(),
        &form.params,
        &ip,
    )
    .await?;
    metrics::counter!("auth_tokens_issued_total", "grant" => issued.grant.as_str()).increment(1);
    // RFC 6749 section 5.1: the response MUST carry Cache-Control: no-store.
    Ok((no_store(), Json(issued.response)).into_response())
}

/// `POST /par` (RFC 9126 section 2).
pub async fn push(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    form: OAuthForm,
) -> Result<Response, OAuthErrorResponse> {
    let pushed = pushed::push(
        &state.provider,
        form.authorization.as_deref(),
        &form.params,
        &ip,
    )
    .await?;
    // Section 2.2: 201 Created with the request_uri; like every answer carrying a credential,
    // not to be cached.
    Ok((StatusCode::CREATED, no_store(), Json(pushed)).into_response())
}

/// `POST /introspect` (RFC 7662 section 2).
pub async fn introspect(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    form: OAuthForm,
) -> Result<Response, OAuthErrorResponse> {
    let answer = introspection::introspect(
        &state.provider,
        form.authorization.as_deref(),
        &form.params,
        &ip,
    )
    .await?;
    Ok((no_store(), Json(answer)).into_response())
}

/// `POST /revoke` (RFC 7009 section 2).
pub async fn revoke(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    form: OAuthForm,
) -> Result<Response, OAuthErrorResponse> {
    revocation::revoke(
        &state.provider,
        form.authorization.as_deref(),
        &form.params,
        &ip,
    )
    .await?;
    // RFC 7009 section 2.2: 200 whether or not the token was valid.
    Ok(no_store().into_response())
}
