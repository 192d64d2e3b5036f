//! `cargo run -p examples --bin profiles`: the profiles service on 127.0.0.1:8101.
//! Needs `PROFILES_CLIENT_SECRET` (the secret of `profiles-service`).

use auth_client::{TokenSource, UserDirectory, Verifier};
use examples::{profiles, settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    examples::init_logging();
    let issuer = settings::issuer();
    let bind = settings::bind("PROFILES", "127.0.0.1:8101")?;
    let credentials = settings::credentials("PROFILES", "profiles-service")?;
    let verifier = Verifier::new(&issuer, settings::audience()).await?;
    let tokens = TokenSource::builder(&issuer, credentials)
        .scope("users:read")
        .build()
        .await?;
    let directory = UserDirectory::new(&issuer, tokens)?;
    // Fail now, with the reason, if the directory cannot be asked.
    directory.ensure_ready().await?;
    let state = profiles::AppState {
        verifier,
        directory,
    };
    examples::run("profiles", bind, profiles::app(state)).await
}
