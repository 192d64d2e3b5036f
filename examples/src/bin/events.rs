//! `cargo run -p examples --bin events`: the events service on 127.0.0.1:8102.
//! Needs `EVENTS_CLIENT_SECRET` (the secret of `events-service`); calls the tickets service at
//! `TICKETS_URL` (default `http://127.0.0.1:8103`), for users with tokens exchanged for
//! `TICKETS_AUDIENCE` (default the same URL).

use auth_client::{ExchangeSource, TokenSource};
use examples::{events, settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    examples::init_logging();
    let settings::Service {
        issuer,
        bind,
        credentials,
        verifier,
    } = settings::Service::from_env("EVENTS", "127.0.0.1:8102", "events-service").await?;
    // Fetched now, so a wrong secret stops the service at start-up.
    let exchange = ExchangeSource::builder(&issuer, credentials.clone())
        .build()
        .await?;
    let tokens = TokenSource::builder(&issuer, credentials)
        .scope("tickets:write")
        .build()
        .await?;
    tokens.token().await?;
    let state = events::AppState {
        verifier,
        tokens,
        tickets_url: events::TicketsUrl(settings::url("TICKETS_URL", "http://127.0.0.1:8103")?),
        http: reqwest::Client::new(),
        events: events::Events::default(),
        on_behalf: Some(events::OnBehalf {
            exchange,
            tickets_audience: settings::tickets_audience(),
        }),
    };
    examples::run("events", bind, events::app(state)).await
}
