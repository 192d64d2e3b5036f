//! `cargo run -p examples --bin webapp`: a third-party web app on http://127.0.0.1:8090.
//! Needs `WEBAPP_CLIENT_SECRET` (the secret of `demo-web`, whose redirect URI is
//! `http://127.0.0.1:8090/callback`); lists events from `EVENTS_URL`.

use examples::{settings, webapp};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    examples::init_logging();
    let bind = settings::bind("WEBAPP", "127.0.0.1:8090")?;
    let credentials = settings::credentials("WEBAPP", "demo-web")?;
    let app = webapp::App::new(webapp::Settings {
        issuer: settings::issuer(),
        client_id: credentials.id().to_owned(),
        client_secret: settings::var("WEBAPP_CLIENT_SECRET").unwrap_or_default(),
        base_url: settings::url("WEBAPP_URL", &format!("http://{bind}"))?,
        events_url: settings::url("EVENTS_URL", "http://127.0.0.1:8102")?,
    })
    .await?;
    examples::run("webapp", bind, webapp::app(app)).await
}
