use super::{AuthServer, auth_server, serve};
use auth_client::{UserDirectory, Verifier};
use auth_core::users::UserId;
use auth_testkit::Fetch as _;
use examples::tickets;
use serde_json::{Value, json};
use std::time::Duration;

/// Opens the sale of event `e1` (10 seats) at the tickets service at `base`, as the events
/// service (registered here) does.
async fn open_sale_of_e1(server: &AuthServer, base: &str) -> reqwest::Response {
    let http = reqwest::Client::new();
    let secret = server.service("events-service", "tickets:write").await;
    let opener: Value = http
        .post(server.url("/token"))
        .basic_auth("events-service", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .fetch_json()
        .await;
    http.post(format!("{base}/internal/events"))
        .bearer_auth(opener["access_token"].as_str().unwrap())
        .json(&json!({"event_id": "e1", "title": "Cup", "seats": 10}))
        .fetch()
        .await
}

/// pia@example.com signs in and buys a ticket to `e1` at `base`; returns her token.
async fn pia_buys_a_ticket_to_e1(server: &AuthServer, base: &str) -> String {
    let token = server.user_token("pia@example.com").await;
    assert_eq!(
        reqwest::Client::new()
            .post(format!("{base}/events/e1/tickets"))
            .bearer_auth(&token)
            .fetch_status()
            .await,
        201
    );
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_account_buys_nothing_even_with_a_token_that_still_verifies() {
    let server = auth_server(|_| {}).await;
    let secret = server.service("tickets-service", "users:read").await;
    let pia = server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let tokens = server
        .service_tokens("tickets-service", &secret, Some("users:read"))
        .await;
    let directory = UserDirectory::builder(&server.issuer, tokens)
        .ttl(Duration::from_millis(1))
        .build()
        .unwrap();
    let sales = tickets::Sales::default();
    let base = serve(tickets::app(tickets::AppState {
        verifier: verifier.clone(),
        directory,
        webhooks: None,
        sales,
        on_behalf: None,
    }))
    .await;
    let http = reqwest::Client::new();
    let opened = open_sale_of_e1(&server, &base).await;
    assert_eq!(opened.status(), 201);
    let token = pia_buys_a_ticket_to_e1(&server, &base).await;

    auth_core::users::set_disabled(&server.provider, &UserId::parse(&pia).unwrap(), true)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    verifier
        .verify(&token)
        .await
        .expect("offline, the token still verifies until it expires");
    let refused = http
        .post(format!("{base}/events/e1/tickets"))
        .bearer_auth(&token)
        .fetch()
        .await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("disabled"),
        "{body}"
    );
    assert_eq!(
        http.post(format!("{base}/events/e2/tickets"))
            .fetch_status()
            .await,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tickets_of_a_disabled_user_are_cancelled_by_the_servers_webhook() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = auth_server(|c| {
        c.events.webhooks = vec![auth_server::config::WebhookConfig {
            url: format!("{base}/webhooks/auth"),
            secret: secret.into(),
        }];
        c.events.poll_interval_secs = 1;
    })
    .await;
    let service = server.service("tickets-service", "users:read").await;
    let pia = server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let tokens = server
        .service_tokens("tickets-service", &service, None)
        .await;
    let sales = tickets::Sales::default();
    let app = tickets::app(tickets::AppState {
        verifier,
        directory: UserDirectory::new(&server.issuer, tokens).unwrap(),
        webhooks: Some(std::sync::Arc::new(
            auth_client::webhooks::WebhookVerifier::new(secret).unwrap(),
        )),
        sales,
        on_behalf: None,
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    open_sale_of_e1(&server, &base).await;
    let token = pia_buys_a_ticket_to_e1(&server, &base).await;

    let forged = http
        .post(format!("{base}/webhooks/auth"))
        .header("webhook-id", "x")
        .header("webhook-timestamp", "1")
        .header("webhook-signature", "v1,AAAA")
        .body("{}")
        .fetch()
        .await;
    assert_eq!(forged.status(), 400, "an unsigned delivery is refused");

    auth_core::users::set_disabled(&server.provider, &UserId::parse(&pia).unwrap(), true)
        .await
        .unwrap();
    let mut cancelled = false;
    for _ in 0..100 {
        let mine: Vec<Value> = http
            .get(format!("{base}/tickets/mine"))
            .bearer_auth(&token)
            .fetch_json()
            .await;
        if mine[0]["cancelled"] == true {
            cancelled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        cancelled,
        "the user.disabled event reached the tickets service"
    );
}
