//! Back-channel logout tokens: the server's own are accepted once by the axum endpoint, which
//! ends the service's sessions; forged (another key, issuer or audience) and replayed ones are
//! refused with 400.

use crate::support::{TestServer, client_clock, decode_part, encode_part, spawn_server};
use auth_client::axum::{EndSessions, backchannel_logout};
use auth_client::{LogoutToken, LogoutTokenError, LogoutVerifier, VerifyError};
use auth_core::keys::{KeyMaterial, SigningAlgorithm};
use auth_testkit::{Fetch as _, Pkce, REDIRECT_URI, ReadJson as _, browser, query_of};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The service's sessions: `(session id at the service, sid of its ID token)`.
#[derive(Clone, Default)]
struct Sessions(Arc<Mutex<Vec<(String, String)>>>);

impl EndSessions for Sessions {
    async fn end_sessions(&self, logout: &LogoutToken) -> Result<(), String> {
        let mut sessions = self.0.lock().unwrap();
        sessions.retain(|(_, sid)| Some(sid) != logout.sid.as_ref());
        Ok(())
    }
}

/// The service: its endpoint on loopback; returns its URL.
async fn service(logouts: LogoutVerifier, sessions: Sessions) -> String {
    let router = axum::Router::new().route("/bc", backchannel_logout(logouts, sessions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/bc", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url
}

/// Claims of a logout token for `aud` from `iss`, issued at `now`.
fn claims(iss: &str, aud: &str, now: i64) -> Value {
    json!({
        "iss": iss, "aud": aud, "iat": now, "exp": now + 120,
        "jti": auth_core::secrets::new_id(),
        "events": { EVENT: {} }, "sid": "s-1", "sub": "u-1",
    })
}

/// `claims` signed by the server's active key, as `logout+jwt`.
fn signed_by_server(server: &TestServer, claims: &Value) -> String {
    let now = server.provider.clock().unix();
    let ring = server.provider.keys().ring();
    let key = ring.signing_key(now).unwrap();
    auth_core::tokens::jws::sign(key, "logout+jwt", claims).unwrap()
}

async fn post(http: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    http.post(url)
        .form(&[("logout_token", token)])
        .fetch()
        .await
}

#[tokio::test]
async fn the_servers_logout_token_ends_the_session_through_the_axum_endpoint() {
    let server = spawn_server().await;
    let verifier = server.verifier(&client_clock()).await;
    let sessions = Sessions::default();
    let url = service(LogoutVerifier::new(verifier, "webapp"), sessions.clone()).await;
    let app = server.app();
    let secret = app.code_client("webapp").await;
    let mut client = app
        .provider
        .store()
        .client(&auth_core::clients::ClientId::parse("webapp").unwrap())
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    client.backchannel.uri = Some(url.clone());
    app.provider.store().update_client(&client).await.unwrap();
    app.user("ann@example.com").await;
    // Ann signs in to the service, which keeps a session under the ID token's `sid`.
    let ann = browser();
    let pkce = Pkce::new();
    let callback = app
        .authorize_as(
            &ann,
            &app.authorize_url("webapp", &pkce, &[]),
            "ann@example.com",
        )
        .await;
    assert!(callback.starts_with(REDIRECT_URI));
    let tokens: Value = app
        .exchange(
            "webapp",
            &secret,
            &query_of(&callback)["code"],
            &pkce.verifier,
        )
        .await
        .read_json()
        .await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let sid = decode_part(id_token.split('.').nth(1).unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    sessions.0.lock().unwrap().extend([
        ("ann".to_owned(), sid),
        ("bob".to_owned(), "other".to_owned()),
    ]);

    // She signs out at the server; the server tells the service, which ends her session only.
    let mut logout = url::Url::parse(&app.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token);
    ann.get(logout.as_str()).fetch().await;
    for _ in 0..300 {
        if sessions.0.lock().unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        *sessions.0.lock().unwrap(),
        [("bob".to_owned(), "other".to_owned())]
    );
    for _ in 0..300 {
        if server.provider.store().pending_logouts().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        server.provider.store().pending_logouts().await.unwrap(),
        0,
        "the endpoint answered 2xx"
    );
}

#[tokio::test]
async fn a_replayed_logout_token_is_refused_with_400() {
    let server = spawn_server().await;
    let verifier = server.verifier(&client_clock()).await;
    let url = service(LogoutVerifier::new(verifier, "webapp"), Sessions::default()).await;
    let now = server.provider.clock().unix();
    let token = signed_by_server(&server, &claims(&server.issuer, "webapp", now));
    let http = reqwest::Client::new();

    let first = post(&http, &url, &token).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let again = post(&http, &url, &token).await;

    assert_eq!(again.status(), 400);
    assert_eq!(again.headers()["cache-control"], "no-store");
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("received before"),
        "{body}"
    );
}

#[tokio::test]
async fn forged_logout_tokens_are_refused() {
    let server = spawn_server().await;
    let verifier = server.verifier(&client_clock()).await;
    let logouts = LogoutVerifier::new(verifier, "webapp");
    let now = server.provider.clock().unix();
    let good = claims(&server.issuer, "webapp", now);

    // Another key, unknown to the issuer's key set.
    let (stranger, _) = KeyMaterial::generate(SigningAlgorithm::Rs256, 2048).unwrap();
    let foreign = auth_jose::jws::sign(&stranger, "logout+jwt", &good).unwrap();
    assert!(matches!(
        logouts.verify(&foreign).await.unwrap_err(),
        LogoutTokenError::Token(VerifyError::UnknownKey(_))
    ));
    // The same, claiming the issuer's key.
    let ours = signed_by_server(&server, &good);
    let parts: Vec<&str> = foreign.split('.').collect();
    let mut header = decode_part(parts[0]);
    header["kid"] = decode_part(ours.split('.').next().unwrap())["kid"].clone();
    let impostor = format!("{}.{}.{}", encode_part(&header), parts[1], parts[2]);
    assert!(matches!(
        logouts.verify(&impostor).await.unwrap_err(),
        LogoutTokenError::Token(VerifyError::BadSignature)
    ));
    // The issuer's key, but another issuer, another audience, a nonce, no event, no subject.
    let mut refused = Vec::new();
    for change in [
        json!({"iss": "http://127.0.0.1:9"}),
        json!({"aud": "another-app"}),
        json!({"nonce": "n-1"}),
        json!({"events": {}}),
        json!({"sid": null, "sub": null}),
    ] {
        let mut forged = good.clone();
        for (name, value) in change.as_object().unwrap() {
            if value.is_null() {
                forged.as_object_mut().unwrap().remove(name);
            } else {
                forged[name] = value.clone();
            }
        }
        refused.push(
            logouts
                .verify(&signed_by_server(&server, &forged))
                .await
                .unwrap_err(),
        );
    }
    assert!(matches!(
        &refused[0],
        LogoutTokenError::Token(VerifyError::WrongIssuer { .. })
    ));
    assert!(matches!(
        &refused[1],
        LogoutTokenError::Token(VerifyError::WrongAudience { .. })
    ));
    for error in &refused[2..] {
        assert!(matches!(error, LogoutTokenError::Invalid(_)), "{error:?}");
    }
    // An ID token or an access token is no logout token, whatever its claims.
    let as_id_token = auth_core::tokens::jws::sign(
        server.provider.keys().ring().signing_key(now).unwrap(),
        "JWT",
        &good,
    )
    .unwrap();
    assert!(matches!(
        logouts.verify(&as_id_token).await.unwrap_err(),
        LogoutTokenError::WrongType
    ));
    // And the genuine one passes, once.
    assert_eq!(
        logouts.verify(&ours).await.unwrap().sid.as_deref(),
        Some("s-1")
    );
    assert!(matches!(
        logouts.verify(&ours).await.unwrap_err(),
        LogoutTokenError::Replayed
    ));
}

#[tokio::test]
async fn the_endpoint_refuses_a_request_without_a_form_token() {
    let server = spawn_server().await;
    let verifier = server.verifier(&client_clock()).await;
    let url = service(LogoutVerifier::new(verifier, "webapp"), Sessions::default()).await;
    let http = reqwest::Client::new();
    let json_body = http
        .post(&url)
        .json(&json!({"logout_token": "x"}))
        .fetch()
        .await;
    assert_eq!(json_body.status(), 400);
    let missing = http.post(&url).form(&[("other", "x")]).fetch().await;
    assert_eq!(missing.status(), 400);
    let garbage = post(&http, &url, "not.a.token").await;
    assert_eq!(garbage.status(), 400);
    let body: Value = garbage.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}
