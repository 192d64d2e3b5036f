//! Text-message codes through the HMAC-signed webhook.

use crate::support::{Backend, spawn_app_with};
use auth_testkit::Fetch as _;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// (signature header, body) of each webhook call.
type Calls = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_go_by_text_message_through_a_signed_webhook() {
    let seen: Calls = Arc::default();
    let recorder = seen.clone();
    let webhook = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let recorder = recorder.clone();
                async move {
                    let signature = headers["x-signature"].to_str().unwrap().to_owned();
                    recorder.lock().unwrap().push((signature, body.to_vec()));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, webhook).await });
    let secret = "a webhook secret of some length";
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.sms.webhook_url = Some(url.clone());
        c.sms.webhook_secret = Some(secret.into());
    })
    .await;
    let secret_client = crate::route_rules::first_party_client(&app, "webapp").await;
    let user = app.user("ann@example.com").await;
    app.provider
        .store()
        .set_phone_number(&user.id, Some("+447700900123"), 0)
        .await
        .unwrap();
    let tokens =
        crate::route_rules::first_party_tokens(&app, "webapp", &secret_client, "ann@example.com")
            .await;
    let access = tokens["access_token"].as_str().unwrap();
    let sent = app
        .http
        .post(app.url("/api/account/otp/send"))
        .bearer_auth(access)
        .json(&json!({"channel": "sms"}))
        .fetch()
        .await;
    assert_eq!(sent.status(), 202);

    let (signature, body) = seen
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("the webhook received the message");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    assert_eq!(
        signature,
        auth_core::otp::sms::signature(&key, &body),
        "signed with the shared secret"
    );
    let message: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(message["to"], "+447700900123");
    let code = message["text"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned();
    let verified = app
        .http
        .post(app.url("/api/account/otp/verify"))
        .bearer_auth(access)
        .json(&json!({"code": code}))
        .fetch()
        .await;
    assert_eq!(verified.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_fails_is_reported_as_unavailable_not_as_a_bad_request() {
    let webhook = axum::Router::new().route(
        "/sms",
        axum::routing::post(|| async { (axum::http::StatusCode::BAD_GATEWAY, "provider down") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, webhook).await });
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.sms.webhook_url = Some(url.clone());
        c.sms.webhook_secret = Some("a webhook secret of some length".into());
    })
    .await;
    let secret_client = crate::route_rules::first_party_client(&app, "webapp").await;
    let user = app.user("ann@example.com").await;
    let tokens =
        crate::route_rules::first_party_tokens(&app, "webapp", &secret_client, "ann@example.com")
            .await;
    let access = tokens["access_token"].as_str().unwrap();
    let send = |channel: &'static str| {
        app.http
            .post(app.url("/api/account/otp/send"))
            .bearer_auth(access)
            .json(&json!({ "channel": channel }))
            .send()
    };

    let no_phone = send("sms").await.unwrap();
    assert_eq!(
        no_phone.status(),
        400,
        "no phone number is the caller's problem"
    );
    let body: Value = no_phone.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("no phone number"),
        "{body}"
    );

    app.provider
        .store()
        .set_phone_number(&user.id, Some("+447700900123"), 0)
        .await
        .unwrap();
    let down = send("sms").await.unwrap();
    assert_eq!(down.status(), 503);
    let body: Value = down.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    assert!(
        !body.to_string().contains("provider down"),
        "the provider's answer is not passed on"
    );
}
