//! Steps that several suites take the same way. Of the code flow: a code in a browser that
//! keeps its session, a consent decision, the tokens for it, a refresh read as JSON, a public
//! client's code exchange, a redirect after logout, a token checked against the published keys
//! and userinfo for a token. Of the command line: a run that must succeed and the JSON it
//! prints.

use crate::support::{
    Pkce, REDIRECT_URI, ReadJson as _, TestApp, form_field, query_of, verify_with_jwks,
};
use auth_core::clients::{AuthMethod, ClientId, GrantType, RedirectUri};
use auth_testkit::Fetch as _;
use serde_json::Value;

/// The code `client` receives when `email` authorizes it in `browser` (logging in and
/// consenting where the browser has not yet), and the PKCE pair it was asked with.
pub async fn code_in(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &str,
    email: &str,
) -> (String, Pkce) {
    let pkce = Pkce::new();
    let callback = app
        .authorize_as(browser, &app.authorize_url(client, &pkce, &[]), email)
        .await;
    (query_of(&callback)["code"].clone(), pkce)
}

/// Opens the consent page at `consent_url` in `browser` and presses `decision` (`allow` or
/// `deny`); the answer (a redirect to the client).
pub async fn decide_consent(
    app: &TestApp,
    browser: &reqwest::Client,
    consent_url: &str,
    decision: &str,
) -> reqwest::Response {
    let page = browser.get(consent_url).fetch_text().await;
    browser
        .post(app.url("/consent"))
        .form(&[
            ("csrf_token", form_field(&page, "csrf_token").unwrap()),
            ("request", form_field(&page, "request").unwrap()),
            ("decision", decision.to_owned()),
        ])
        .fetch()
        .await
}

/// The token response for the code of [`code_in`], exchanged by the confidential `client`.
pub async fn tokens_in(
    app: &TestApp,
    browser: &reqwest::Client,
    (client, secret): (&str, &str),
    email: &str,
) -> Value {
    let (code, pkce) = code_in(app, browser, client, email).await;
    let response = app.exchange(client, secret, &code, &pkce.verifier).await;
    assert_eq!(response.status(), 200);
    response.read_json().await
}

/// The answer to refreshing the refresh token of `tokens` as `client`, without a scope.
pub async fn refreshed(app: &TestApp, client: &str, secret: &str, tokens: &Value) -> Value {
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    app.refresh(client, secret, refresh_token, None)
        .await
        .read_json()
        .await
}

/// Registers `uri` as where `client` may send browsers after a logout.
pub async fn allow_post_logout_redirect(app: &TestApp, client: &str, uri: &str) {
    let mut client = app
        .provider
        .store()
        .client(&ClientId::parse(client).unwrap())
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    client.post_logout_redirect_uris = vec![RedirectUri::parse(uri).unwrap()];
    app.provider.store().update_client(&client).await.unwrap();
}

/// A client-credentials access token of the client `id`.
pub async fn service_token(app: &TestApp, id: &str, secret: &str, scope: Option<&str>) -> String {
    app.client_credentials_token(id, secret, scope).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The header and claims of `token` if it verifies against `app`'s published keys, as issued
/// by `app` for `audience`, by a JWT library this project did not write.
pub async fn verify_at(
    app: &TestApp,
    token: &str,
    audience: &str,
) -> Result<(jsonwebtoken::Header, Value), jsonwebtoken::errors::Error> {
    verify_with_jwks(&app.base_url, &app.http, token, &app.base_url, audience).await
}

/// `GET /userinfo` with the bearer `token`.
pub async fn userinfo(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .fetch()
        .await
}

/// Registers the public code-flow client `id` (no secret; PKCE alone) with `scope`.
pub async fn public_client(app: &TestApp, id: &str, scope: &str) {
    app.client_with(
        id,
        scope,
        AuthMethod::None,
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        &[REDIRECT_URI],
    )
    .await;
}

/// The public `client` exchanges `code` with `pkce`, sending the DPoP `proof` where given.
pub async fn public_exchange(
    app: &TestApp,
    client: &str,
    code: &str,
    pkce: &Pkce,
    proof: Option<String>,
) -> reqwest::Response {
    let mut request = app.http.post(app.url("/token")).form(&[
        ("grant_type", "authorization_code"),
        ("client_id", client),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &pkce.verifier),
    ]);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    request.fetch().await
}

/// Asserts that a run of the binary succeeded, showing what it wrote to stderr if not.
pub fn assert_succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What a successful run of the binary with `--json` printed.
pub fn json_printed(output: &std::process::Output) -> Value {
    assert_succeeded(output);
    serde_json::from_slice(&output.stdout).unwrap()
}
