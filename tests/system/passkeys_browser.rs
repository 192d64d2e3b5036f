//! Passkeys in real headless Chromium with JavaScript on, against Chromium's virtual
//! authenticator (W3C WebAuthn L3 section 11, "WebDriver Extensions"): register a passkey on
//! the account page, sign in with it without typing an e-mail address and finish an
//! `/authorize` code flow, use it as the second step after a password, remove it (it then no
//! longer signs in), and refuse a cloned authenticator whose signature counter went backwards.
//!
//! A relying party id must be a domain, so the server's issuer is `http://localhost:PORT`
//! (Chromium counts localhost as a secure context).

use crate::browser::{
    chrome_with_javascript, click, expect, fill, register_shop, screenshot, sign_in, text_of,
};
use crate::support::{Backend, Pkce, TestApp, both_backends, query_of, spawn_app_on_localhost};
use auth_core::store::AuditFilter;
use auth_testkit::ReadJson as _;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::time::Duration;

/// A command of the WebDriver extension for WebAuthn (W3C WebAuthn L3 section 11).
#[derive(Debug)]
struct WebAuthnCommand {
    method: http::Method,
    /// The path after `/session/{id}/webauthn/`.
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(Value::to_string),
        )
    }
}

async fn webauthn(b: &Client, method: http::Method, path: &str, body: Option<Value>) -> Value {
    b.issue_cmd(WebAuthnCommand {
        method,
        path: path.to_owned(),
        body,
    })
    .await
    .unwrap_or_else(|e| panic!("WebAuthn command {path}: {e}"))
}

/// Adds a virtual platform authenticator (section 11.3) that holds discoverable credentials
/// and verifies its user; returns its id.
async fn add_authenticator(b: &Client) -> String {
    let id = webauthn(
        b,
        http::Method::POST,
        "authenticator",
        Some(json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        })),
    )
    .await;
    id.as_str().expect("an authenticator id").to_owned()
}

/// The credentials of an authenticator (section 11.7), with their private keys.
async fn credentials(b: &Client, authenticator: &str) -> Vec<Value> {
    let listed = webauthn(
        b,
        http::Method::GET,
        &format!("authenticator/{authenticator}/credentials"),
        None,
    )
    .await;
    listed.as_array().cloned().unwrap_or_default()
}

/// A relying party's callback: a page the browser lands on.
async fn callback_server() -> String {
    let app = axum::Router::new().fallback(|| async {
        axum::response::Html(
            "<!doctype html><title>Client app</title><p id=done>Back at the app</p>",
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Waits until the browser is at `path` on the server (polling its URL, 15 s at most).
async fn expect_path(b: &Client, path: &str, step: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if b.current_url().await.unwrap().path() == path {
            return;
        }
        if std::time::Instant::now() > deadline {
            screenshot(b, step).await;
            panic!(
                "{step}: not at {path} but {}:\n{}",
                b.current_url().await.unwrap(),
                b.source().await.unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sign_out(b: &Client, app: &TestApp) {
    b.goto(&app.url("/account")).await.unwrap();
    expect(b, "#sign-out", "account before signing out").await;
    click(b, "#sign-out").await;
    expect(b, "nav.links a[href='/login']", "signed out").await;
}

async fn password_sign_in(b: &Client, app: &TestApp, email: &str) {
    b.goto(&app.url("/login")).await.unwrap();
    expect(b, "#password", "login page").await;
    sign_in(b, email, crate::support::PASSWORD).await;
}

async fn add_passkey(b: &Client, name: &str) {
    expect(b, "#add-passkey", "account page with passkeys").await;
    fill(b, "passkey_name", name).await;
    click(b, "#add-passkey").await;
    expect(b, "li[data-passkey]", "passkey added").await;
    assert!(text_of(b, "ul.passkeys").await.contains(name));
}

/// Clicks the login page's passkey button.
async fn passkey_button(b: &Client, app: &TestApp, url: Option<&str>) {
    b.goto(url.unwrap_or(&app.url("/login"))).await.unwrap();
    expect(b, "#sign-in-with-passkey", "login page with passkeys").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#passkey-sign-in:not([hidden])"))
        .await
        .unwrap();
    click(b, "#sign-in-with-passkey").await;
}

async fn expect_passkey_error(b: &Client, step: &str) -> String {
    expect(b, "#passkey-error:not([hidden])", step).await;
    text_of(b, "#passkey-error").await
}

async fn audit_count(app: &TestApp, event: &str) -> usize {
    app.provider
        .store()
        .audit_events(&AuditFilter {
            event: Some(event.into()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .len()
}

fn claims_of(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[both_backends]
async fn a_passkey_is_registered_signs_in_serves_as_second_step_and_is_removed(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    let user = app.user("ann@example.com").await;
    let callback = format!("{}/callback", callback_server().await);
    let secret = register_shop(&app, &callback).await;
    let chrome = chrome_with_javascript(true).await;
    let b = &chrome.client;
    let authenticator = add_authenticator(b).await;

    // Register a passkey (a fresh sign-in is the re-authentication).
    password_sign_in(b, &app, "ann@example.com").await;
    expect_path(b, "/account", "signed in with the password").await;
    add_passkey(b, "Virtual key").await;
    assert!(text_of(b, "#notice").await.contains("passkey is added"));
    screenshot(b, "passkey-added").await;
    sign_out(b, &app).await;

    // Sign in with it, no e-mail typed, inside an /authorize code flow.
    let pkce = Pkce::new();
    let authorize = app.authorize_url("shop", &pkce, &[]).replace(
        &url::form_urlencoded::byte_serialize(crate::support::REDIRECT_URI.as_bytes())
            .collect::<String>(),
        &url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>(),
    );
    b.goto(&authorize).await.unwrap();
    let login = b.current_url().await.unwrap().to_string();
    assert!(login.contains("/login?request="), "{login}");
    passkey_button(b, &app, Some(&login)).await;
    expect(b, "button[value=allow]", "consent after the passkey").await;
    click(b, "button[value=allow]").await;
    expect(b, "#done", "callback").await;
    let landed = b.current_url().await.unwrap().to_string();
    let query = query_of(&landed);
    let tokens: Value = app
        .exchange_with(
            "shop",
            &secret,
            &query["code"],
            &pkce.verifier,
            Some(callback.as_str()),
        )
        .await
        .read_json()
        .await;
    let claims = claims_of(tokens["id_token"].as_str().expect("an ID token"));
    assert_eq!(claims["sub"], user.id.as_str());
    let amr: Vec<&str> = claims["amr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    // A virtual platform authenticator's credential is not backup eligible: hardware-bound.
    assert!(
        amr.contains(&"hwk") && amr.contains(&"user") && amr.contains(&"mfa"),
        "{amr:?}"
    );
    assert!(!amr.contains(&"pwd"), "{amr:?}");
    let now = app.provider.clock().unix();
    assert!(claims["auth_time"].as_i64().unwrap() <= now);
    sign_out(b, &app).await;

    // The passkey as the second step after the password (the account has an authenticator
    // app, so a second step is asked).
    let enrolment = auth_core::otp::totp::begin(&app.provider, &user)
        .await
        .unwrap();
    let code = auth_core::otp::totp::code_for(
        &enrolment.secret_base32,
        u64::try_from(app.provider.clock().unix()).unwrap(),
    )
    .unwrap();
    auth_core::otp::totp::confirm(&app.provider, &user, &code)
        .await
        .unwrap();
    // Typing in the e-mail field starts the autofill request (conditional mediation), which
    // the virtual authenticator answers at once; while the user is not verified, that answer
    // is refused (user verification is required) and the password goes on.
    let uv_path = format!("authenticator/{authenticator}/uv");
    let verified = |on: bool| {
        webauthn(
            b,
            http::Method::POST,
            &uv_path,
            Some(json!({ "isUserVerified": on })),
        )
    };
    verified(false).await;
    password_sign_in(b, &app, "ann@example.com").await;
    expect(b, "#use-passkey", "second step with a passkey").await;
    verified(true).await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#passkey-second-factor:not([hidden])"))
        .await
        .unwrap();
    click(b, "#use-passkey").await;
    expect_path(b, "/account", "signed in with password and passkey").await;
    let now = app.provider.clock().unix();
    let sessions = app
        .provider
        .store()
        .user_sessions(&user.id, now)
        .await
        .unwrap();
    let newest = sessions.iter().max_by_key(|s| s.created_at).unwrap();
    assert!(
        newest.amr.iter().any(|m| m == "pwd") && newest.amr.iter().any(|m| m == "hwk"),
        "{:?}",
        newest.amr
    );

    // Remove it (signed in moments ago: no password needed); it then signs in no more.
    expect(b, ".remove-passkey", "account page with the passkey").await;
    click(b, ".remove-passkey").await;
    expect(b, "#no-passkeys", "passkey removed").await;
    sign_out(b, &app).await;
    passkey_button(b, &app, None).await;
    let error = expect_passkey_error(b, "removed passkey refused").await;
    assert!(error.contains("not accepted"), "{error}");
    assert_eq!(b.current_url().await.unwrap().path(), "/login");
    assert_eq!(audit_count(&app, "passkey_removed").await, 1);
}

#[both_backends]
async fn a_cloned_authenticator_whose_counter_goes_backwards_is_refused(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let chrome = chrome_with_javascript(true).await;
    let b = &chrome.client;
    let original = add_authenticator(b).await;
    password_sign_in(b, &app, "ann@example.com").await;
    expect_path(b, "/account", "signed in with the password").await;
    add_passkey(b, "Original").await;
    sign_out(b, &app).await;

    // Copy the credential (with its private key) as it is now.
    let copied = credentials(b, &original).await;
    assert_eq!(copied.len(), 1, "{copied:?}");
    let copy = copied[0].clone();

    // The original signs in, moving the counter on.
    passkey_button(b, &app, None).await;
    expect_path(b, "/account", "signed in with the original").await;
    sign_out(b, &app).await;

    // A clone made before that sign-in: its counter is behind the one the server stored.
    webauthn(
        b,
        http::Method::DELETE,
        &format!("authenticator/{original}"),
        None,
    )
    .await;
    let clone = add_authenticator(b).await;
    assert!(copy["privateKey"].is_string(), "{copy}");
    webauthn(
        b,
        http::Method::POST,
        &format!("authenticator/{clone}/credential"),
        Some(copy),
    )
    .await;
    passkey_button(b, &app, None).await;
    let error = expect_passkey_error(b, "clone refused").await;
    assert!(error.contains("counter"), "{error}");
    assert_eq!(b.current_url().await.unwrap().path(), "/login");
    assert_eq!(audit_count(&app, "passkey_refused").await, 1);
}
