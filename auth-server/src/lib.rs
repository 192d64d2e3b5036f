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

pub mod access;
pub mod admin;
pub mod api;
pub mod authorize;
pub mod backup;
pub mod bearer;
pub mod cli;
pub mod config;
pub mod connection;
pub mod console;
pub mod discovery;
pub mod error;
pub mod extract;
pub mod i18n;
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
    let (app, _) = routes(&state.web.registration.mode);
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
        .layer(axum::middleware::from_fn(telemetry::record_metrics))
        // A page error needs the state to be rendered (see `error::page`).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::page::render_pending,
        ));
    app.layer(edge).with_state(state)
}

/// Every route of the server, built through [`access::Routes`] so each has a rule in
/// [`access::ROUTES`]; also returns the list of routes added, for the test that compares it
/// with the table.
pub fn routes(registration: &RegistrationMode) -> (Router<AppState>, access::Built) {
    use access::Routes;
    // Endpoints that browser-based clients call from their own origin. They take no cookies,
    // so any origin may call them (without credentials).
    let machine = Routes::new()
        .post(paths::TOKEN, oauth::token)
        .post(paths::PAR, oauth::push)
        .post(paths::DEVICE_AUTHORIZATION, oauth::device_authorization)
        .post(paths::INTROSPECT, oauth::introspect)
        .post(paths::REVOKE, oauth::revoke)
        .get(paths::USERINFO, userinfo::get)
        .post(paths::USERINFO, userinfo::post)
        .get(paths::OPENID_CONFIGURATION, discovery::metadata)
        .get(paths::OAUTH_METADATA, discovery::metadata)
        .get(paths::JWKS, discovery::jwks)
        .map(|router| {
            router.layer(
                CorsLayer::new()
                    .allow_origin(Any)
                    .allow_methods([Method::GET, Method::POST])
                    .allow_headers([
                        header::AUTHORIZATION,
                        header::CONTENT_TYPE,
                        HeaderName::from_static("dpop"),
                    ])
                    // RFC 9449 section 8: browser clients read the nonce and the challenge.
                    .expose_headers([
                        HeaderName::from_static("dpop-nonce"),
                        header::WWW_AUTHENTICATE,
                    ])
                    .max_age(Duration::from_secs(3600)),
            )
        });
    let mut app = Routes::new()
        .merge(machine)
        .get(paths::AUTHORIZE, authorize::start)
        .get(paths::AUTHORIZE_CONTINUE, authorize::resume)
        .get(paths::LOGIN, pages::login::show)
        .post(paths::LOGIN, pages::login::submit)
        .get(paths::SIGNUP, pages::signup::show)
        .post(paths::SIGNUP, pages::signup::submit)
        .get(paths::CONSENT, pages::consent::show)
        .post(paths::CONSENT, pages::consent::submit)
        .get(paths::DEVICE, pages::device::show)
        .post(paths::DEVICE, pages::device::submit)
        .post(paths::DEVICE_DECISION, pages::device::decide)
        .get(paths::LOGOUT, pages::logout::get)
        .post(paths::LOGOUT, pages::logout::post)
        .get(paths::ACCOUNT, pages::account::show)
        .post("/account/profile", pages::account::profile)
        .post("/account/password", pages::account::password)
        .post("/account/code", pages::account::send_code)
        .post("/account/email", pages::account::email)
        .post("/account/totp", pages::account::totp_begin)
        .post("/account/totp/confirm", pages::account::totp_confirm)
        .post("/account/totp/disable", pages::account::totp_disable)
        .post("/account/recovery-codes", pages::account::recovery_codes)
        .post("/account/sessions/end", pages::account::end_session)
        .get(pages::apps::PATH, pages::apps::show)
        .post("/account/apps/remove", pages::apps::remove)
        .post(paths::SECOND_FACTOR, pages::login::second_factor)
        .post(
            "/account/passkeys/register/options",
            pages::passkeys::register_options,
        )
        .post("/account/passkeys/register", pages::passkeys::register)
        .post("/account/passkeys/rename", pages::passkeys::rename)
        .post("/account/passkeys/remove", pages::passkeys::remove)
        .post("/login/passkey/options", pages::passkeys::sign_in_options)
        .post("/login/passkey", pages::passkeys::sign_in)
        .post(
            "/login/second-factor/passkey/options",
            pages::passkeys::second_factor_options,
        )
        .post(
            "/login/second-factor/passkey",
            pages::passkeys::second_factor,
        )
        .get("/static/passkeys.js", pages::passkeys::script)
        .post("/login/upstream/{id}", pages::upstream::start)
        .get("/login/upstream/{id}/callback", pages::upstream::callback)
        .post("/login/upstream-continue", pages::upstream::finish)
        .post("/account/upstream/{id}/link", pages::upstream::link)
        .post("/account/upstream/{id}/unlink", pages::upstream::unlink)
        .get(paths::VERIFY_EMAIL, pages::verify::show)
        .post(paths::VERIFY_EMAIL, pages::verify::verify)
        .get(paths::RESEND_VERIFICATION, pages::verify::resend_show)
        .post(paths::RESEND_VERIFICATION, pages::verify::resend)
        .get(paths::FORGOT_PASSWORD, pages::password::forgot_show)
        .post(paths::FORGOT_PASSWORD, pages::password::forgot)
        .get(paths::RESET_PASSWORD, pages::password::reset_show)
        .post(paths::RESET_PASSWORD, pages::password::reset)
        .get(paths::STYLESHEET, pages::stylesheet)
        .get(paths::HEALTHZ, ops::live)
        .get(paths::READYZ, ops::ready)
        .get(paths::METRICS, ops::metrics);
    app = admin::routes(app);
    app = console::routes(app);
    app = api::routes(app);
    if !matches!(registration, RegistrationMode::Disabled) {
        app = app
            .post(paths::REGISTER, registration::register)
            .get("/register/{client_id}", registration::read)
            .add(Method::PUT, "/register/{client_id}", registration::update)
            .add(
                Method::DELETE,
                "/register/{client_id}",
                registration::delete,
            );
    }
    app.finish()
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
    let logouts = tokio::spawn(deliver_logouts(state.clone()));
    let limits = state.web.http;
    let result = connection::run(listener, router(state), limits, shutdown).await;
    background.abort();
    mail.abort();
    events.abort();
    logouts.abort();
    result
}

/// Runs the back-channel logout worker (OIDC Back-Channel Logout section 2.5). It reaches
/// private addresses only when the server itself runs on http (loopback, development).
async fn deliver_logouts(state: AppState) {
    let allow_private = !state.provider.settings().issuer.is_https();
    match auth_core::backchannel::delivery::LogoutSender::new(
        allow_private,
        state.backchannel_timeout,
    ) {
        Ok(sender) => {
            auth_core::backchannel::delivery::run(
                state.provider.clone(),
                sender,
                state.backchannel_poll_interval,
            )
            .await
        }
        Err(e) => tracing::error!(error = %e, "cannot start sending back-channel logouts"),
    }
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
