//! Operations endpoints: liveness, readiness, Prometheus metrics.
//!
//! Metrics are not public: their counters move with what callers do to accounts, so they need
//! the configured `metrics.token` or an access token with the `metrics` or `admin` scope.

use crate::access;
use crate::bearer;
use crate::paths;
use crate::state::AppState;
use auth_core::userinfo::ResourceError;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;
use std::time::Duration;

/// `GET /healthz`: the process is up.
pub async fn live() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// `GET /readyz`: the database answers within two seconds.
pub async fn ready(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.provider.store().ping()).await {
        Ok(Ok(())) => Json(json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            unavailable("the database is unreachable")
        }
        Err(_) => unavailable("the database did not answer within 2 seconds"),
    }
}

fn unavailable(reason: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "unavailable", "reason": reason})),
    )
        .into_response()
}

/// Whether the request may read the metrics: the configured token (compared as keyed hashes, in
/// constant time), or an access token of this server with the `metrics` or `admin` scope.
async fn may_read_metrics(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    let credential = match bearer::credential(headers) {
        Ok(Some(credential)) => credential,
        Ok(None) => return Err(bearer::refuse(ResourceError::Missing, access::METRICS)),
        Err(e) => return Err(bearer::refuse(e, access::METRICS)),
    };
    if let Some(expected) = &state.web.metrics_token
        && !credential.dpop
        && state
            .provider
            .hasher()
            .verify(&SecretString::from(credential.token.clone()), expected)
    {
        return Ok(());
    }
    let claims = bearer::verified(state, headers, "GET", paths::METRICS, &credential)
        .await
        .map_err(|e| bearer::refuse_with_nonce(state, e, access::METRICS))?;
    if claims
        .scopes()
        .any(|s| s == access::METRICS || s == access::ADMIN)
    {
        Ok(())
    } else {
        Err(bearer::refuse(
            ResourceError::InsufficientScope(
                "metrics need the metrics token or a token with the `metrics` scope".into(),
            ),
            access::METRICS,
        ))
    }
}

/// `GET /metrics`: Prometheus text format, for the metrics token or a `metrics` scope.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = may_read_metrics(&state, &headers).await {
        return refused;
    }
    state.metrics.run_upkeep();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
