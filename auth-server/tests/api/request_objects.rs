//! JWT-secured authorization requests (RFC 9101): a request object signed with the client's
//! key, at `/authorize` and pushed; only its parameters count; the refusals: another key, a
//! replay, another audience or issuer, out of its time, another client's id, `alg: none`.

use crate::support::{
    Backend, Pkce, SigningClient, TestApp, both_backends, browser, code_request, query_of,
    spawn_app,
};
use auth_core::clients::GrantType;
use auth_core::keys::SigningAlgorithm;
use auth_testkit::Fetch as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// A signing client `keyed` registered for the code flow, and a user.
async fn keyed_client(app: &TestApp) -> SigningClient {
    let client = app.signing_client("keyed", SigningAlgorithm::Es256);
    app.register_key_client(
        &client,
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        None,
    )
    .await;
    app.user("ann@example.com").await;
    client
}

/// `/authorize?client_id=...&request=...` plus `extra` query parameters.
fn authorize_url(app: &TestApp, client: &str, object: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client)
        .append_pair("request", object);
    for (name, value) in extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    url.into()
}

/// Exchanges `code` for tokens, authenticating with a fresh assertion.
async fn exchange(app: &TestApp, client: &SigningClient, code: &str, verifier: &str) -> Value {
    let mut form: Vec<(String, String)> = vec![
        ("grant_type".into(), "authorization_code".into()),
        ("code".into(), code.into()),
        ("redirect_uri".into(), auth_testkit::REDIRECT_URI.into()),
        ("code_verifier".into(), verifier.into()),
    ];
    form.extend(client.auth());
    app.http
        .post(app.url("/token"))
        .form(&form)
        .fetch_json()
        .await
}

#[both_backends]
async fn a_signed_request_object_completes_the_code_flow(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = keyed_client(&app).await;
    let pkce = Pkce::new();
    let object = client.request_object(&code_request("keyed", &pkce.challenge));
    // Parameters outside the object are ignored (RFC 9101 section 6.3).
    let url = authorize_url(
        &app,
        "keyed",
        &object,
        &[("state", "outside"), ("scope", "openid")],
    );
    let callback = app.authorize_as(&browser(), &url, "ann@example.com").await;
    let query = query_of(&callback);
    assert_eq!(query["state"], "state-123");
    let tokens = exchange(&app, &client, &query["code"], &pkce.verifier).await;
    assert_eq!(tokens["scope"], "email openid profile", "{tokens}");

    // The same object again is a replay.
    let response = browser().get(&url).fetch().await;
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains("used before"), "{page}");
}

#[both_backends]
async fn a_pushed_request_object_completes_the_code_flow(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = keyed_client(&app).await;
    let pkce = Pkce::new();
    let object = client.request_object(&code_request("keyed", &pkce.challenge));
    let mut form: Vec<(String, String)> = vec![
        ("client_id".into(), "keyed".into()),
        ("request".into(), object),
    ];
    form.extend(client.auth());
    let response = app.http.post(app.url("/par")).form(&form).fetch().await;
    assert_eq!(response.status(), 201);
    let pushed: Value = response.json().await.unwrap();
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "keyed")
        .append_pair("request_uri", pushed["request_uri"].as_str().unwrap());
    let callback = app
        .authorize_as(&browser(), url.as_str(), "ann@example.com")
        .await;
    let tokens = exchange(&app, &client, &query_of(&callback)["code"], &pkce.verifier).await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
}

#[both_backends]
async fn request_objects_that_break_a_rule_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = keyed_client(&app).await;
    let pkce = Pkce::new();
    let issuer = client.issuer.clone();
    let signed = |change: &dyn Fn(&mut Value)| {
        let object = client.request_object(&code_request("keyed", &pkce.challenge));
        let payload = object.split('.').nth(1).unwrap();
        let mut claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        change(&mut claims);
        client.sign("oauth-authz-req+jwt", &claims)
    };
    let mut stranger = SigningClient::new("keyed", SigningAlgorithm::Es256, &issuer);
    stranger.now = client.now;
    let unsigned = {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string());
        let claims = URL_SAFE_NO_PAD
            .encode(json!({"iss": "keyed", "aud": issuer, "exp": client.now + 60}).to_string());
        format!("{header}.{claims}.")
    };
    let cases: Vec<(String, &str)> = vec![
        (
            stranger.request_object(&code_request("keyed", &pkce.challenge)),
            "unknown key",
        ),
        (
            signed(&|c| c["aud"] = json!("https://other.example")),
            "aud",
        ),
        (signed(&|c| c["iss"] = json!("other")), "iss"),
        (signed(&|c| c["client_id"] = json!("other")), "client_id"),
        (signed(&|c| c["exp"] = json!(client.now - 1)), "expired"),
        (
            signed(&|c| c["nbf"] = json!(client.now + 600)),
            "not valid yet",
        ),
        (
            signed(&|c| {
                c["nbf"] = json!(client.now);
                c["exp"] = json!(client.now + 7200)
            }),
            "at most",
        ),
        (unsigned, "algorithm"),
    ];
    for (object, why) in cases {
        let response = browser()
            .get(authorize_url(&app, "keyed", &object, &[]))
            .fetch()
            .await;
        assert_eq!(response.status(), 400, "{why}");
        assert!(
            response.headers().get("location").is_none(),
            "never redirected: {why}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(why), "the page should say {why}: {page}");
    }
    // A verified object whose request breaks a rule goes back to the registered redirect URI,
    // as a plain request would.
    let nested = signed(&|c| c["request_uri"] = json!("urn:ietf:params:oauth:request_uri:x"));
    let location = app
        .follow(&browser(), &authorize_url(&app, "keyed", &nested, &[]))
        .await;
    let query = query_of(&location);
    assert_eq!(query["error"], "invalid_request", "{location}");
    assert!(query["error_description"].contains("cannot appear inside"));
    // A request object at the PAR endpoint is checked the same way, answered in JSON.
    let mut form: Vec<(String, String)> = vec![
        ("client_id".into(), "keyed".into()),
        (
            "request".into(),
            signed(&|c| c["aud"] = json!("https://other.example")),
        ),
    ];
    form.extend(client.auth());
    let response = app.http.post(app.url("/par")).form(&form).fetch().await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request_object");
}
