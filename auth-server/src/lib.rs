//! The authorization server over HTTP.
//!
//! `main` loads the configuration and calls [`cli::run`]; [`serve`] runs the server on a bound
//! listener until `shutdown` completes, so tests run it in-process on port 0.
//!
//! Layout: one module per group of endpoints ([`oauth`]: token, introspection, revocation;
//! [`authorize`]; [`userinfo`]; [`registration`]; [`pages`]: login, sign-up, consent, logout,
//! account; [`admin`]; [`discovery`]; [`ops`]), request plumbing ([`extract`], [`bearer`]),
//! the error mapping ([`error`]), configuration ([`config`]), start-up ([`startup`]), the CLI
//! ([`cli`]), shared JSON views ([`views`]) and telemetry ([`telemetry`]).

#![allow(
    clippy::result_large_err,
    reason = "handlers return a ready `Response` as their error; boxing it only adds an allocation"
)]

pub mod admin;
pub mod api;
pub mod authorize;
pub mod backup;
pub mod bearer;
pub mod cli;
pub mod config;
pub mod connection;
pub mod discovery;
pub mod error;
pub mod extract;
pub mod mail;
pub mod oauth;
pub mod ops;
pub mod pages;
pub mod paths;
pub mod registration;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod userinfo;
pub mod views;

use crate::state::AppState;
use auth_core::registration::RegistrationMode;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::response::Response;
use axum::routing::{get, post};
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The application's routes and middleware.
pub fn router(state: AppState) -> Router {
    // RFC 9700 section 4.13 / RFC 6797: with an https issuer, browsers must never fall back
    // to plain HTTP (which would expose session cookies and codes). The TLS-terminating proxy
    // in front of the server may set its own header; this one is only added when absent.
    let hsts = state
        .provider
        .settings()
        .issuer
        .is_https()
        .then(|| HeaderValue::from_static("max-age=31536000"));
    // Endpoints that browser-based clients call from their own origin. They take no cookies,
    // so any origin may call them (without credentials).
    let machine = Router::new()
        .route(paths::TOKEN, post(oauth::token))
        .route(paths::INTROSPECT, post(oauth::introspect))
        .route(paths::REVOKE, post(oauth::revoke))
        .route(paths::USERINFO, get(userinfo::get).post(userinfo::post))
        .route(paths::OPENID_CONFIGURATION, get(discovery::metadata))
        .route(paths::OAUTH_METADATA, get(discovery::metadata))
        .route(paths::JWKS, get(discovery::jwks))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(Duration::from_secs(3600)),
        );
    let mut app = Router::new()
        .merge(machine)
        .route(paths::AUTHORIZE, get(authorize::start))
        .route(paths::AUTHORIZE_CONTINUE, get(authorize::resume))
        .route(
            paths::LOGIN,
            get(pages::login::show).post(pages::login::submit),
        )
        .route(
            paths::SIGNUP,
            get(pages::signup::show).post(pages::signup::submit),
        )
        .route(
            paths::CONSENT,
            get(pages::consent::show).post(pages::consent::submit),
        )
        .route(
            paths::LOGOUT,
            get(pages::logout::get).post(pages::logout::post),
        )
        .route(paths::ACCOUNT, get(pages::account::show))
        .route("/account/profile", post(pages::account::profile))
        .route("/account/password", post(pages::account::password))
        .route("/account/code", post(pages::account::send_code))
        .route("/account/email", post(pages::account::email))
        .route("/account/totp", post(pages::account::totp_begin))
        .route("/account/totp/confirm", post(pages::account::totp_confirm))
        .route("/account/totp/disable", post(pages::account::totp_disable))
        .route(
            "/account/recovery-codes",
            post(pages::account::recovery_codes),
        )
        .route("/account/sessions/end", post(pages::account::end_session))
        .route(paths::SECOND_FACTOR, post(pages::login::second_factor))
        .route(paths::VERIFY_EMAIL, get(pages::verify::verify))
        .route(
            paths::RESEND_VERIFICATION,
            get(pages::verify::resend_show).post(pages::verify::resend),
        )
        .route(
            paths::FORGOT_PASSWORD,
            get(pages::password::forgot_show).post(pages::password::forgot),
        )
        .route(
            paths::RESET_PASSWORD,
            get(pages::password::reset_show).post(pages::password::reset),
        )
        .route(paths::STYLESHEET, get(pages::stylesheet))
        .route(paths::HEALTHZ, get(ops::live))
        .route(paths::READYZ, get(ops::ready))
        .route(paths::METRICS, get(ops::metrics))
        .nest("/admin", admin::routes())
        .nest(paths::API, api::routes());
    if !matches!(state.web.registration.mode, RegistrationMode::Disabled) {
        app = app
            .route(paths::REGISTER, post(registration::register))
            .route(
                "/register/{client_id}",
                get(registration::read)
                    .put(registration::update)
                    .delete(registration::delete),
            );
    }
    let body_limit = state.web.http.max_body_bytes;
    // One `layer` call for the whole stack: axum boxes each layered route once per call and
    // clones that box for every request, so a single stack is cheaper than one call per layer.
    // Outermost first.
    let edge = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            telemetry::REQUEST_ID,
            MakeRequestUuid,
        ))
        .layer(PropagateRequestIdLayer::new(telemetry::REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        // Inside the trace layer, whose response body type differs from axum's.
        .layer(MapResponseLayer::new(move |mut response: Response| {
            add_security_headers(response.headers_mut(), hsts.as_ref());
            response
        }))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::read_body,
        ))
        .layer(axum::middleware::from_fn(telemetry::record_metrics));
    app.layer(edge).with_state(state)
}

/// Adds the security headers a response lacks (a header its handler set is kept), in one pass
/// that grows the header map at most once, instead of one middleware layer per header.
fn add_security_headers(headers: &mut HeaderMap, hsts: Option<&HeaderValue>) {
    const FIXED: [(HeaderName, &str); 3] = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    // The four headers here and the request id the layer around this one adds.
    headers.reserve(FIXED.len() + 2);
    if let Some(hsts) = hsts {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert_with(|| hsts.clone());
    }
    for (name, value) in FIXED {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
}

/// Serves `state` on `listener` until `shutdown` completes, with the background work of a
/// replica (re-reading signing keys, purging expired revocations) running alongside.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let background = tokio::spawn(background_work(state.clone()));
    let mail = tokio::spawn(auth_core::mail::outbox::run(
        state.provider.clone(),
        state.mail.transport.clone(),
        state.mail.from.clone(),
        state.mail.poll_interval,
    ));
    let events = tokio::spawn(deliver_events(state.clone()));
    let limits = state.web.http;
    let result = connection::run(listener, router(state), limits, shutdown).await;
    background.abort();
    mail.abort();
    events.abort();
    result
}

/// Runs the event delivery worker, when events have somewhere to go.
async fn deliver_events(state: AppState) {
    if state.events.destinations.is_empty() {
        return;
    }
    match startup::event_sinks(&state.events).await {
        Ok(sinks) => {
            auth_core::events::delivery::run(
                state.provider.clone(),
                sinks,
                state.events.poll_interval,
            )
            .await
        }
        Err(e) => tracing::error!(error = %e, "cannot start delivering events"),
    }
}

async fn background_work(state: AppState) {
    let provider = &state.provider;
    let mut key_refresh = tokio::time::interval(state.key_refresh_interval);
    let mut purge = tokio::time::interval(Duration::from_secs(3600));
    key_refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = key_refresh.tick() => {
                if let Err(e) = provider.keys().refresh().await {
                    tracing::error!(error = %e, "cannot re-read the signing keys");
                }
            }
            _ = purge.tick() => {
                match provider.store().purge_expired(provider.clock().unix()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "purged expired rows"),
                    Err(e) => tracing::error!(error = %e, "cannot purge expired rows"),
                }
            }
        }
    }
}
