//! `cargo run -p examples --bin tickets-cli`: lists your tickets from the command line.
//!
//! Signs you in with the device authorization grant (RFC 8628): it prints a link and a code,
//! you open the link on any device where you can sign in, check the code and allow access, and
//! the CLI then calls the tickets service (`TICKETS_URL`, default `http://127.0.0.1:8103`) with
//! the access token it got. The client is `TICKETS_CLI_CLIENT_ID` (default `tickets-cli`, a
//! public client `auth-server seed` creates); the server is `AUTH_ISSUER`.

use examples::device_login::DeviceLogin;
use examples::settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let issuer = settings::issuer();
    let tickets = settings::url("TICKETS_URL", "http://127.0.0.1:8103")?;
    let client_id = settings::var("TICKETS_CLI_CLIENT_ID").unwrap_or_else(|| "tickets-cli".into());
    let login = DeviceLogin::discover(&issuer, &client_id).await?;
    let started = login.start("openid profile").await?;
    eprintln!(
        "To sign in, open {}\nand check that it shows the code {} (or go to {} and enter it).",
        started
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&started.verification_uri),
        started.user_code,
        started.verification_uri,
    );
    eprintln!(
        "Waiting for you to allow access (the code expires in {} minutes)...",
        started.expires_in / 60
    );
    let tokens = login.wait_for_tokens(&started).await?;
    eprintln!("Signed in.");
    let response = reqwest::Client::new()
        .get(format!("{tickets}/tickets/mine"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    if !status.is_success() {
        anyhow::bail!("the tickets service answered {status}: {body}");
    }
    println!("{}", serde_json::to_string_pretty(&body)?);
    Ok(())
}
