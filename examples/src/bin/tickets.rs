//! `cargo run -p examples --bin tickets`: the tickets service on 127.0.0.1:8103.
//! Needs `TICKETS_CLIENT_SECRET` (the secret of `tickets-service`); `TICKETS_WEBHOOK_SECRET`
//! (a `whsec_...` secret also configured in the server's `[events]`) turns on the webhook.
//! Purchases the events service makes for users carry tokens for `TICKETS_AUDIENCE` (default
//! `http://127.0.0.1:8103`) acting as `EVENTS_CLIENT_ID` (default `events-service`).

use auth_client::Verifier;
use auth_client::webhooks::WebhookVerifier;
use examples::{settings, tickets};
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    examples::init_logging();
    let service =
        settings::Service::from_env("TICKETS", "127.0.0.1:8103", "tickets-service").await?;
    let on_behalf = tickets::OnBehalf {
        verifier: Verifier::new(&service.issuer, settings::tickets_audience()).await?,
        events_client: settings::var("EVENTS_CLIENT_ID")
            .unwrap_or_else(|| "events-service".to_owned()),
    };
    let directory = service.user_directory().await?;
    let webhooks = settings::var("TICKETS_WEBHOOK_SECRET")
        .map(|secret| WebhookVerifier::new(&secret).map(Arc::new))
        .transpose()?;
    let state = tickets::AppState {
        verifier: service.verifier,
        directory,
        webhooks,
        sales: tickets::Sales::default(),
        on_behalf: Some(on_behalf),
    };
    examples::run("tickets", service.bind, tickets::app(state)).await
}
