//! Dynamic client registration (RFC 7591) and its management (RFC 7592).

use crate::support::{Backend, TestApp, both_backends, spawn_app_with};
use auth_testkit::Fetch as _;
use serde_json::{Value, json};

/// A server with `registration.mode = "open"` (the default is `disabled`).
async fn open_registration(backend: Backend) -> TestApp {
    spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open
    })
    .await
}

#[both_backends]
async fn a_client_registers_reads_updates_and_deletes_itself(backend: Backend) {
    let app = open_registration(backend).await;
    let response = app
        .http
        .post(app.url("/register"))
        .json(&json!({
            "client_name": "Photo app",
            "redirect_uris": ["https://photos.example.com/cb"],
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "openid email",
            "contacts": ["dev@photos.example.com"],
        }))
        .fetch()
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let registered: Value = response.json().await.unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    assert!(
        registered["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("cs_")
    );
    assert_eq!(registered["client_secret_expires_at"], 0);
    assert_eq!(
        registered["token_endpoint_auth_method"],
        "client_secret_basic"
    );
    assert_eq!(registered["response_types"], json!(["code"]));
    let token = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = registered["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(uri, app.url(&format!("/register/{client_id}")));

    let read: Value = app.http.get(&uri).bearer_auth(&token).fetch_json().await;
    assert_eq!(read["client_name"], "Photo app");
    assert!(read.get("client_secret").is_none());

    let updated = app
        .http
        .put(&uri)
        .bearer_auth(&token)
        .json(&json!({
            "client_id": client_id,
            "client_name": "Photo app 2",
            "redirect_uris": ["https://photos.example.com/callback"],
            "grant_types": ["authorization_code"],
        }))
        .fetch()
        .await;
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(
        updated["redirect_uris"],
        json!(["https://photos.example.com/callback"])
    );

    let wrong = app.http.get(&uri).bearer_auth("rat_wrong").fetch().await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    assert_eq!(
        app.http
            .delete(&uri)
            .bearer_auth(&token)
            .fetch_status()
            .await,
        204
    );
    assert_eq!(
        app.http.get(&uri).bearer_auth(&token).fetch_status().await,
        401
    );
}

#[both_backends]
async fn invalid_metadata_is_refused_with_the_rfc7591_error(backend: Backend) {
    let app = open_registration(backend).await;
    let cases = [
        (
            json!({"redirect_uris": ["http://photos.example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "scope": "openid admin"}),
            "invalid_client_metadata",
        ),
        (
            json!({
                "redirect_uris": ["https://a.example/cb"],
                "token_endpoint_auth_method": "private_key_jwt"
            }),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "response_types": ["token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"grant_types": ["authorization_code"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({
                "redirect_uris": ["https://a.example/cb"],
                "token_endpoint_auth_method": "private_key_jwt"
            }),
            "invalid_client_metadata",
        ),
        (
            json!({
                "redirect_uris": ["https://a.example/cb"],
                "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}
            }),
            "invalid_client_metadata",
        ),
    ];
    for (body, code) in cases {
        let response = app
            .http
            .post(app.url("/register"))
            .json(&body)
            .fetch()
            .await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], code, "{body}: {error}");
        assert!(!error["error_description"].as_str().unwrap().is_empty());
    }
    let not_json = app.http.post(app.url("/register")).body("x").fetch().await;
    assert_eq!(not_json.status(), 400);
    assert!(app.provider.store().clients().await.unwrap().is_empty());
}

#[both_backends]
async fn registration_can_require_an_initial_access_token(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Token;
        c.registration.initial_access_token = Some("iat-0123456789abcdefghij".into());
    })
    .await;
    let body = json!({"redirect_uris": ["https://a.example/cb"]});
    let anonymous = app
        .http
        .post(app.url("/register"))
        .json(&body)
        .fetch()
        .await;
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .http
        .post(app.url("/register"))
        .bearer_auth("iat-wrong")
        .json(&body)
        .fetch()
        .await;
    assert_eq!(wrong.status(), 401);
    let right = app
        .http
        .post(app.url("/register"))
        .bearer_auth("iat-0123456789abcdefghij")
        .json(&body)
        .fetch()
        .await;
    assert_eq!(right.status(), 201);
}
