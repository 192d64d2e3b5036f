use super::{auth_server, serve};
use crate::support::{PASSWORD, browser, form_field};
use auth_client::Verifier;
use auth_core::clients::{self, AuthMethod, ClientId, GrantType, NewClient};
use auth_core::scope::Scope;
use auth_testkit::Fetch as _;
use examples::device_login::DeviceLogin;
use examples::tickets;
use serde_json::Value;

/// The user's side of the device flow, as a browser without JavaScript: sign in, enter the
/// code, and press `decision` (`approve` or `deny`) on the page naming the client.
async fn decide(issuer: &str, email: &str, user_code: &str, decision: &str) {
    let b = browser();
    let csrf_of = |page: &str| form_field(page, "csrf_token").unwrap();
    let login = b.get(format!("{issuer}/login")).fetch_text().await;
    let signed_in = b
        .post(format!("{issuer}/login"))
        .form(&[
            ("csrf_token", csrf_of(&login).as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .fetch()
        .await;
    assert_eq!(signed_in.status(), 303);
    let page = b.get(format!("{issuer}/device")).fetch_text().await;
    let consent = b
        .post(format!("{issuer}/device"))
        .form(&[
            ("csrf_token", csrf_of(&page).as_str()),
            ("user_code", user_code),
        ])
        .fetch_text()
        .await;
    assert!(consent.contains("Tickets CLI"), "{consent}");
    let done = b
        .post(format!("{issuer}/device/decision"))
        .form(&[
            ("csrf_token", csrf_of(&consent).as_str()),
            ("user_code", user_code),
            ("decision", decision),
        ])
        .fetch()
        .await;
    assert_eq!(done.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tickets_cli_signs_in_with_the_device_grant_and_lists_the_users_tickets() {
    let server = auth_server(|c| c.device.interval_secs = 1).await;
    let secret = server.service("tickets-service", "users:read").await;
    server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    let mut cli = NewClient::new(
        "Tickets CLI",
        AuthMethod::None,
        vec![GrantType::DeviceCode, GrantType::RefreshToken],
    );
    cli.id = Some(ClientId::parse("tickets-cli").unwrap());
    cli.scope = Scope::parse("openid profile offline_access").unwrap();
    clients::register(&server.provider, cli).await.unwrap();
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let directory = server.directory("tickets-service", &secret).await;
    let base = serve(tickets::app(tickets::AppState {
        verifier,
        directory,
        webhooks: None,
        on_behalf: None,
        sales: tickets::Sales::default(),
    }))
    .await;

    // What `tickets-cli` does, with the user's approval in between.
    let login = DeviceLogin::discover(&server.issuer, "tickets-cli")
        .await
        .unwrap();
    let started = login.start("openid profile").await.unwrap();
    assert_eq!(
        started.verification_uri_complete.as_deref(),
        Some(format!("{}/device?user_code={}", server.issuer, started.user_code).as_str())
    );
    decide(
        &server.issuer,
        "pia@example.com",
        &started.user_code,
        "approve",
    )
    .await;
    let tokens = login.wait_for_tokens(&started).await.unwrap();
    let mine: Value = reqwest::Client::new()
        .get(format!("{base}/tickets/mine"))
        .bearer_auth(&tokens.access_token)
        .fetch_json()
        .await;
    assert_eq!(mine, serde_json::json!([]));

    // A denied request ends the CLI's wait with an error saying so.
    let started = login.start("openid").await.unwrap();
    decide(
        &server.issuer,
        "pia@example.com",
        &started.user_code,
        "deny",
    )
    .await;
    let denied = login.wait_for_tokens(&started).await.unwrap_err();
    assert!(denied.to_string().contains("denied"), "{denied}");
}
