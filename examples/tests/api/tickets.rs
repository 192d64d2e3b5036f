use crate::helpers::{auth_server, serve};
use auth_client::{ClientCredentials, TokenSource, UserDirectory, Verifier};
use auth_core::users::UserId;
use examples::tickets;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_account_buys_nothing_even_with_a_token_that_still_verifies() {
    let server = auth_server(|_| {}).await;
    let secret = server.service("tickets-service", "users:read").await;
    let pia = server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let tokens = TokenSource::builder(
        &server.issuer,
        ClientCredentials::new("tickets-service", secret),
    )
    .scope("users:read")
    .build()
    .await
    .unwrap();
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
    }))
    .await;
    let http = reqwest::Client::new();
    let service = server.service("events-service", "tickets:write").await;
    let opener: Value = http
        .post(server.url("/token"))
        .basic_auth("events-service", Some(&service))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let opened = http
        .post(format!("{base}/internal/events"))
        .bearer_auth(opener["access_token"].as_str().unwrap())
        .json(&json!({"event_id": "e1", "title": "Cup", "seats": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 201);
    let token = server.user_token("pia@example.com").await;
    assert_eq!(
        http.post(format!("{base}/events/e1/tickets"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );

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
        .send()
        .await
        .unwrap();
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
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
