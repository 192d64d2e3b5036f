//! Example services of a platform that trusts the authorization server, each a small axum app
//! built on `auth-client`:
//!
//! - [`profiles`]: user profiles; routes guarded by a permission, users looked up in the
//!   server's directory, and a start-up check that the directory answers.
//! - [`events`]: events created by coaches (permission `events:create`); creating one calls the
//!   tickets service with the events service's own client-credentials token.
//! - [`tickets`]: ticket sales; an internal route only services with `tickets:write` may call,
//!   a user route that first checks the buyer is registered and active, and a webhook that
//!   cancels the tickets of disabled or deleted users.
//! - [`webapp`]: a third-party web app signing users in with the authorization code flow and
//!   PKCE through the `openidconnect` crate, then calling the events service for them.
//! - [`device_login`]: signing in on a device without a browser (the device authorization
//!   grant), for `tickets-cli`, which then lists the user's tickets.
//!
//! Each has a binary (`cargo run -p examples --bin <name>`) configured by environment
//! variables ([`settings`]); `docs/integrations/example-services.md` walks through them.

pub mod device_login;
pub mod error;
pub mod events;
pub mod profiles;
pub mod settings;
pub mod tickets;
pub mod webapp;

/// Serves `app` on `bind` until Ctrl-C.
pub async fn run(name: &str, bind: std::net::SocketAddr, app: axum::Router) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    tracing::info!("{name} listening on http://{bind}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Logs to stderr at `info` (or `RUST_LOG`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
}
