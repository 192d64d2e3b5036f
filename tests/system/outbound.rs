//! What the server reaches for a client: the URLs clients register (`jwks_uri`,
//! `sector_identifier_uri`, `backchannel_logout_uri`) are fetched directly, never through a
//! proxy named in the environment, which would resolve an internal name for them.

use crate::support::{Backend, ServerProcess, TestDb, cli_command};
use auth_testkit::Fetch as _;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test]
async fn a_production_server_ignores_proxies_from_the_environment_for_client_urls() {
    // A "proxy" that counts the connections it is asked to make.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = proxy.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    let db = TestDb::create(Backend::Sqlite).await;
    let (_, kek) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    let mut command = cli_command(&db.url, &kek);
    command
        // An https issuer: the production rules for client URLs.
        .env("AUTH_ISSUER", "https://id.example.test")
        .env("AUTH_REGISTRATION__MODE", "open")
        .env("HTTPS_PROXY", &proxy_url)
        .env("https_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url);
    let server = ServerProcess::start(command);

    // Registration fetches the sector identifier document (OIDC Core section 8.1) at once.
    let answer = reqwest::Client::new()
        .post(server.url("/register"))
        .json(&json!({
            "redirect_uris": ["https://app.example.test/cb"],
            "subject_type": "pairwise",
            "sector_identifier_uri": "https://internal-only.corp.example.test/sector.json",
        }))
        .fetch()
        .await;
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the proxy was asked to reach the client's URL"
    );
}
