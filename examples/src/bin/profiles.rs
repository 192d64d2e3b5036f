//! `cargo run -p examples --bin profiles`: the profiles service on 127.0.0.1:8101.
//! Needs `PROFILES_CLIENT_SECRET` (the secret of `profiles-service`).

use examples::{profiles, settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    examples::init_logging();
    let service =
        settings::Service::from_env("PROFILES", "127.0.0.1:8101", "profiles-service").await?;
    let directory = service.user_directory().await?;
    let state = profiles::AppState {
        verifier: service.verifier,
        directory,
    };
    examples::run("profiles", service.bind, profiles::app(state)).await
}
