use crate::support::{Backend, TestApp, both_backends, spawn_app};
use auth_core::clients::{AuthMethod, GrantType};
use auth_testkit::Fetch as _;
use serde_json::Value;

/// A client `events` with `scope`, its secret, and a live client_credentials token of it.
async fn events_token(app: &TestApp, scope: &str) -> (String, String) {
    let secret = app.confidential_client("events", scope).await;
    let token = app.client_credentials_token("events", &secret, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    (secret, token)
}

/// `POST /revoke` of `token` by `events`.
async fn revoke_as_events(app: &TestApp, secret: &str, token: &str) -> reqwest::Response {
    app.http
        .post(app.url("/revoke"))
        .basic_auth("events", Some(secret))
        .form(&[("token", token)])
        .fetch()
        .await
}

#[both_backends]
async fn a_live_token_introspects_as_active_with_its_claims(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("events", "users:read").await;
    let rs_secret = app.confidential_client("tickets", "").await;
    let token = app.client_credentials_token("events", &secret, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("tickets", Some(&rs_secret))
        .form(&[
            ("token", token.as_str()),
            ("token_type_hint", "access_token"),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], "events");
    assert_eq!(body["sub"], "events");
    assert_eq!(body["scope"], "users:read");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["iss"], app.base_url);
}

#[both_backends]
async fn a_revoked_token_introspects_as_inactive(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, token) = events_token(&app, "users:read").await;
    let revoke = revoke_as_events(&app, &secret, &token).await;
    assert_eq!(revoke.status(), 200);
    assert_eq!(revoke.headers()["cache-control"], "no-store");
    let body: Value = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("events", Some(&secret))
        .form(&[("token", token.as_str())])
        .fetch_json()
        .await;
    assert_eq!(body, serde_json::json!({"active": false}));
    // Revoking again, or revoking garbage, is still a success (RFC 7009 section 2.2).
    for token in [token.as_str(), "not-a-token"] {
        assert_eq!(revoke_as_events(&app, &secret, token).await.status(), 200);
    }
}

#[both_backends]
async fn a_token_introspected_before_is_inactive_once_revoked(backend: Backend) {
    // The second and later introspections find the token's signature check remembered;
    // revocation must still be seen, by this replica and through userinfo too.
    let app = spawn_app(backend).await;
    let (secret, token) = events_token(&app, "users:read").await;
    let introspect = || {
        let request = app
            .http
            .post(app.url("/introspect"))
            .basic_auth("events", Some(&secret))
            .form(&[("token", token.as_str())]);
        async move { request.fetch().await.json::<Value>().await.unwrap() }
    };
    for _ in 0..3 {
        assert_eq!(introspect().await["active"], true);
    }
    assert!(!app.provider.verified_tokens().is_empty());
    assert_eq!(revoke_as_events(&app, &secret, &token).await.status(), 200);
    assert_eq!(introspect().await, serde_json::json!({"active": false}));
}

#[both_backends]
async fn an_expired_or_foreign_token_is_inactive(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, token) = events_token(&app, "").await;
    let introspect = |token: String| {
        let request = app
            .http
            .post(app.url("/introspect"))
            .basic_auth("events", Some(&secret))
            .form(&[("token", token)]);
        async move { request.fetch().await.json::<Value>().await.unwrap() }
    };
    let mut tampered = token.clone();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    assert_eq!(introspect(tampered).await["active"], false);
    assert_eq!(introspect("a.b.c".into()).await["active"], false);
    assert_eq!(introspect(token.clone()).await["active"], true);
    app.clock.advance(time::Duration::seconds(601));
    assert_eq!(introspect(token).await["active"], false);
}

#[both_backends]
async fn introspection_requires_a_confidential_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("events", "").await;
    app.client_with(
        "spa",
        "openid",
        AuthMethod::None,
        &[GrantType::AuthorizationCode],
        &["https://spa.example.com/cb"],
    )
    .await;
    let token = app.client_credentials_token("events", &secret, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let anonymous = app
        .http
        .post(app.url("/introspect"))
        .form(&[("token", token.as_str())])
        .fetch()
        .await;
    assert_eq!(anonymous.status(), 401);
    let public = app
        .http
        .post(app.url("/introspect"))
        .form(&[("token", token.as_str()), ("client_id", "spa")])
        .fetch()
        .await;
    assert_eq!(public.status(), 401);
    let body: Value = public.json().await.unwrap();
    assert_eq!(
        body["error_description"],
        "client `spa` is public; this endpoint requires a confidential client"
    );
}

#[both_backends]
async fn a_client_cannot_revoke_another_clients_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let events = app.confidential_client("events", "").await;
    let tickets = app.confidential_client("tickets", "").await;
    let token = app.client_credentials_token("events", &events, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .http
        .post(app.url("/revoke"))
        .basic_auth("tickets", Some(&tickets))
        .form(&[("token", token.as_str())])
        .fetch()
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");
    assert_eq!(
        body["error_description"],
        "the token was not issued to client `tickets`"
    );
    let still: Value = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("events", Some(&events))
        .form(&[("token", token.as_str())])
        .fetch_json()
        .await;
    assert_eq!(still["active"], true);
}
