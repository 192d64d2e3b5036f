//! The OAuth endpoints clients call with their credentials: token, pushed authorization
//! requests, device authorization, introspection, revocation.

use crate::error::{OAuthErrorResponse, no_store};
use crate::extract::{ClientIp, OAuthForm};
use crate::paths;
use crate::state::AppState;
use auth_core::authorize::pushed;
use auth_core::dpop::Presented;
use auth_core::{device, grants, introspection, revocation};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `POST /token` (RFC 6749 section 3.2), with a DPoP proof if the client sends one (RFC 9449
/// section 5).
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    form: OAuthForm,
) -> Response {
    let url = state.provider.settings().issuer.endpoint(paths::TOKEN);
    let dpop = form
        .dpop
        .as_deref()
        .map(|proof| Presented { proof, url: &url });
    let issued = grants::token(
        &state.provider,
        form.authorization.as_deref(),
        &form.params,
        &ip,
        dpop,
    )
    .await;
    let response = match issued {
        Ok(issued) => {
            metrics::counter!("auth_tokens_issued_total", "grant" => issued.grant.as_str())
                .increment(1);
            // RFC 6749 section 5.1: the response MUST carry Cache-Control: no-store.
            (no_store(), Json(issued.response)).into_response()
        }
        Err(e) => OAuthErrorResponse(e).into_response(),
    };
    with_dpop_nonce(&state, response)
}

/// Adds the server's DPoP nonce (RFC 9449 section 8) when proofs must carry one: on the
/// `use_dpop_nonce` error that asks for it, and on every other answer so the next proof can.
fn with_dpop_nonce(state: &AppState, mut response: Response) -> Response {
    if state.provider.settings().dpop.require_nonce
        && let Ok(nonce) = HeaderValue::from_str(&auth_core::dpop::nonce(&state.provider))
    {
        response.headers_mut().insert("dpop-nonce", nonce);
    }
    response
}

/// `POST /par` (RFC 9126 section 2), with a DPoP proof binding the code to come (RFC 9449
/// section 10.1).
pub async fn push(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    form: OAuthForm,
) -> Response {
    let url = state.provider.settings().issuer.endpoint(paths::PAR);
    let dpop = form
        .dpop
        .as_deref()
        .map(|proof| Presented { proof, url: &url });
    let pushed = pushed::push(
        &state.provider,
        form.authorization.as_deref(),
        &form.params,
        &ip,
        dpop,
    )
    .await;
    // Section 2.2: 201 Created with the request_uri; like every answer carrying a credential,
    // not to be cached.
    let response = match pushed {
        Ok(pushed) => (StatusCode::CREATED, no_store(), Json(pushed)).into_response(),
        Err(e) => OAuthErrorResponse(e).into_response(),
    };
    with_dpop_nonce(&state, response)
}

/// `POST /device_authorization` (RFC 8628 section 3.1).
pub async fn device_authorization(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    form: OAuthForm,
) -> Result<Response, OAuthErrorResponse> {
    let started = device::start(
        &state.provider,
        form.authorization.as_deref(),
        &form.params,
        &ip,
    )
    .await?;
    // Section 3.2: 200 with the codes; they are credentials, not to be cached.
    Ok((no_store(), Json(started)).into_response())
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
