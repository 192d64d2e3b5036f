//! Whole journeys in real headless Chromium, driven over WebDriver, with JavaScript turned off:
//! sign up with e-mail verification, consent, code, token exchange, ID token, userinfo,
//! refresh, logout; and TOTP enrolment, login with TOTP, a recovery code, a password reset.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/test` installs them).
//! `AUTH_TEST_SKIP_BROWSER=1` makes `scripts/test` leave this module out by name, so its tests
//! are reported as skipped (never in CI).

use crate::support::{
    Backend, Pkce, SmtpSink, TestApp, both_backends, query_of, spawn_app_with_mail,
    verify_with_jwks,
};
use auth_core::clients::{AuthMethod, ClientId, GrantType, RedirectUri};
use auth_core::clock::Clock;
use auth_core::otp::totp::code_for;
use auth_testkit::Fetch as _;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Chromium driven by chromedriver, both stopped on drop.
pub(crate) struct Chrome {
    pub(crate) client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Chromium with JavaScript off: the hosted pages must work without it.
pub(crate) async fn chrome() -> Chrome {
    chrome_with(false, None).await
}

/// Chromium with JavaScript on or off.
pub(crate) async fn chrome_with_javascript(javascript: bool) -> Chrome {
    chrome_with(javascript, None).await
}

/// Chromium with JavaScript off whose interface language and `Accept-Language` are `language`
/// (`--lang`, `--accept-lang` and the `intl.accept_languages` preference).
pub(crate) async fn chrome_in(language: Option<&str>) -> Chrome {
    chrome_with(false, language).await
}

/// Chromium with JavaScript on or off, in `language` or Chromium's own default.
async fn chrome_with(javascript: bool, language: Option<&str>) -> Chrome {
    let chromedriver =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromedriver).exists() && std::path::Path::new(&chromium).exists(),
        "Chromium and chromedriver are required ({chromium}, {chromedriver}); scripts/test installs them \
         (AUTH_TEST_SKIP_BROWSER=1 skips, never in CI)"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1000,900".to_owned(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    // 1 allows JavaScript, 2 blocks it: the hosted pages must work without it.
    let mut prefs = json!({"profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 }});
    if let Some(language) = language {
        args.push(format!("--lang={language}"));
        args.push(format!("--accept-lang={language}"));
        prefs["intl.accept_languages"] = json!(language);
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"binary": chromium, "args": args, "prefs": prefs}),
    );
    // Two rustls crypto providers are linked into this test binary; pick one for WebDriver.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    Chrome {
        client: client.expect("a WebDriver session with Chromium"),
        driver,
        _profile: profile,
    }
}

/// A relying party's callback endpoint: records what the browser brought back.
async fn callback_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = seen.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let recorder = recorder.clone();
        async move {
            recorder.lock().unwrap().push(uri.to_string());
            axum::response::Html(
                "<!doctype html><title>Client app</title><p id=done>Back at the app</p>",
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

/// Registers `shop`, the relying party the browser tests sign in to: a confidential code-flow
/// client with refresh tokens, sending the browser back to `callback`. Returns its secret.
pub(crate) async fn register_shop(app: &TestApp, callback: &str) -> String {
    app.client_with(
        "shop",
        "openid profile email offline_access",
        AuthMethod::ClientSecretBasic,
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        &[callback],
    )
    .await
    .unwrap()
}

pub(crate) async fn screenshot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    if let Ok(png) = client.screenshot().await {
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

pub(crate) async fn fill(b: &Client, id: &str, text: &str) {
    let field = b
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub(crate) async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Waits for `css` on the next page; on failure shows where the browser is and what it shows.
pub(crate) async fn expect(b: &Client, css: &str, step: &str) {
    if b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .is_err()
    {
        screenshot(b, step).await;
        panic!(
            "{step}: no {css} at {}:\n{}",
            b.current_url().await.unwrap(),
            b.source().await.unwrap()
        );
    }
}

/// Waits until the browser's address contains `part` (the next page has loaded, where the
/// page before had the same elements); on failure shows where the browser is.
pub(crate) async fn expect_url(b: &Client, part: &str, step: &str) {
    for _ in 0..100 {
        if b.current_url()
            .await
            .is_ok_and(|u| u.as_str().contains(part))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(b, step).await;
    panic!("{step}: still at {}", b.current_url().await.unwrap());
}

pub(crate) async fn text_of(b: &Client, css: &str) -> String {
    b.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Signs up on the page in front of the browser and confirms the address from the mail.
async fn sign_up_and_verify(
    app: &crate::support::TestApp,
    b: &Client,
    mail: &SmtpSink,
    email: &str,
    password: &str,
) -> String {
    fill(b, "name", "Browser User").await;
    fill(b, "email", email).await;
    fill(b, "password", password).await;
    click(b, "button[type=submit]").await;
    expect(b, "#continue", "check-email").await;
    assert_eq!(text_of(b, "h1").await, "Check your e-mail");
    let continue_to = b
        .find(Locator::Id("continue"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let link = mail
        .wait_for(email, "Confirm your e-mail address")
        .await
        .link(&app.url("/verify-email?token="));
    b.goto(&link).await.unwrap();
    click(b, "button[type=submit]").await;
    expect(b, "#notice", "verified").await;
    assert!(text_of(b, "#notice").await.contains("is confirmed"));
    app.url(&continue_to)
}

/// Only the signed-out page links to the login page (the account page, where sign-out is
/// clicked, has an `h1` too).
const SIGNED_OUT: &str = "nav.links a[href='/login']";

pub(crate) async fn sign_in(b: &Client, email: &str, password: &str) {
    fill(b, "email", email).await;
    fill(b, "password", password).await;
    click(b, "button[type=submit]").await;
}

#[both_backends]
async fn a_user_signs_up_consents_and_logs_out_in_a_real_browser(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let (client_base, seen) = callback_server().await;
    let callback = format!("{client_base}/callback");
    let signed_out = format!("{client_base}/signed-out");
    let secret = register_shop(&app, &callback).await;
    let mut client = app
        .provider
        .store()
        .client(&ClientId::parse("shop").unwrap())
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    client.post_logout_redirect_uris = vec![RedirectUri::parse(&signed_out).unwrap()];
    app.provider.store().update_client(&client).await.unwrap();

    let chrome = chrome().await;
    let b = &chrome.client;
    let pkce = Pkce::new();
    let authorize = app.authorize_url("shop", &pkce, &[]).replace(
        &url::form_urlencoded::byte_serialize(crate::support::REDIRECT_URI.as_bytes())
            .collect::<String>(),
        &url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>(),
    );
    b.goto(&authorize).await.unwrap();
    assert!(b.current_url().await.unwrap().path().starts_with("/login"));
    screenshot(b, "login").await;

    b.find(Locator::LinkText("Create an account"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    expect(b, "#name", "signup").await;
    let continue_to = sign_up_and_verify(
        &app,
        b,
        &mail,
        "browser@example.com",
        "a long browser password",
    )
    .await;
    b.goto(&continue_to).await.unwrap();
    expect(b, "#password", "login-after-verification").await;
    sign_in(b, "browser@example.com", "a long browser password").await;

    expect(b, "button[value=allow]", "consent").await;
    assert_eq!(b.current_url().await.unwrap().path(), "/consent");
    assert_eq!(
        text_of(b, "h1").await,
        "Allow Client shop to access your account?"
    );
    screenshot(b, "consent").await;
    click(b, "button[value=allow]").await;

    expect(b, "#done", "callback").await;
    let landed = b.current_url().await.unwrap().to_string();
    assert!(landed.starts_with(&callback), "{landed}");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|u| u.starts_with("/callback?code="))
    );
    let query = query_of(&landed);
    assert_eq!(query["state"], "state-123");
    assert_eq!(query["iss"], app.base_url);

    // The relying party's back channel.
    let response = app
        .exchange_with(
            "shop",
            &secret,
            &query["code"],
            &pkce.verifier,
            Some(callback.as_str()),
        )
        .await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let (_, id) = verify_with_jwks(&app.base_url, &app.http, id_token, &app.base_url, "shop")
        .await
        .unwrap();
    assert_eq!(id["email"], "browser@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["name"], "Browser User");
    assert_eq!(id["nonce"], "nonce-456");
    let info: Value = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .fetch_json()
        .await;
    assert_eq!(info["sub"], id["sub"]);
    let refreshed = app
        .refresh(
            "shop",
            &secret,
            tokens["refresh_token"].as_str().unwrap(),
            None,
        )
        .await;
    assert_eq!(refreshed.status(), 200);

    let mut logout = url::Url::parse(&app.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("post_logout_redirect_uri", &signed_out)
        .append_pair("state", "bye");
    b.goto(logout.as_str()).await.unwrap();
    expect(b, "#done", "signed-out").await;
    assert_eq!(
        b.current_url().await.unwrap().to_string(),
        format!("{signed_out}?state=bye")
    );

    // Signed out: the next authorization asks for the password again.
    b.goto(&authorize).await.unwrap();
    assert!(b.current_url().await.unwrap().path().starts_with("/login"));
    chrome.client.clone().close().await.unwrap();
}

#[both_backends]
async fn a_user_secures_the_account_with_totp_and_recovers_it_in_a_real_browser(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let chrome = chrome().await;
    let b = &chrome.client;
    let email = "secure@example.com";
    let now = || u64::try_from(app.clock.unix()).unwrap();

    b.goto(&app.url("/signup")).await.unwrap();
    let sign_in_page = sign_up_and_verify(&app, b, &mail, email, "first long password").await;
    b.goto(&sign_in_page).await.unwrap();
    sign_in(b, email, "first long password").await;
    expect(b, "#signed-in-as", "account").await;

    // Enrol an authenticator app; the test is the app, computing codes from the shown key.
    click(b, "#set-up-totp").await;
    expect(b, "#totp-secret", "enrol").await;
    screenshot(b, "totp-enrol").await;
    let secret = text_of(b, "#totp-secret").await;
    fill(b, "code", &code_for(&secret, now()).unwrap()).await;
    click(b, "button[type=submit]").await;
    expect(b, "#recovery-codes", "recovery-codes").await;
    let codes: Vec<String> = {
        let mut codes = Vec::new();
        for element in b
            .find_all(Locator::Css("#recovery-codes code"))
            .await
            .unwrap()
        {
            codes.push(element.text().await.unwrap());
        }
        codes
    };
    assert_eq!(codes.len(), 10);
    click(b, "#done").await;
    expect(b, "#sign-out", "account-with-totp").await;
    click(b, "#sign-out").await;
    expect(b, SIGNED_OUT, "signed-out").await;
    assert_eq!(text_of(b, "h1").await, "You are signed out");

    // Password, then a TOTP code (of the next time step: the enrolment spent the current one).
    b.goto(&app.url("/login")).await.unwrap();
    sign_in(b, email, "first long password").await;
    expect(b, "#code", "second-factor").await;
    app.clock.advance(time::Duration::seconds(30));
    fill(b, "code", &code_for(&secret, now()).unwrap()).await;
    click(b, "button[type=submit]").await;
    expect(b, "#signed-in-as", "account-after-totp").await;
    click(b, "#sign-out").await;
    // Wait for the sign-out to land: a /login still signed in would skip the form.
    expect(b, SIGNED_OUT, "signed-out-after-totp").await;

    // Lost device: a recovery code.
    b.goto(&app.url("/login")).await.unwrap();
    sign_in(b, email, "first long password").await;
    expect(b, "details summary", "second-factor-recovery").await;
    click(b, "details summary").await;
    fill(b, "recovery_code", &codes[3]).await;
    click(b, "button[type=submit]").await;
    expect(b, "#signed-in-as", "account-after-recovery").await;
    click(b, "#sign-out").await;
    // Wait for the sign-out to land: a /login still signed in would skip the form.
    expect(b, SIGNED_OUT, "signed-out-after-recovery").await;

    // Forgotten password: the e-mailed link sets a new one.
    b.goto(&app.url("/forgot-password")).await.unwrap();
    fill(b, "email", email).await;
    click(b, "button[type=submit]").await;
    expect(b, "#notice", "forgot-sent").await;
    let link = mail
        .wait_for(email, "Reset your")
        .await
        .link(&app.url("/reset-password?token="));
    b.goto(&link).await.unwrap();
    fill(b, "password", "second long password").await;
    click(b, "button[type=submit]").await;
    expect(b, "#notice", "reset-done").await;
    assert!(
        text_of(b, "#notice")
            .await
            .contains("Your password is changed")
    );
    click(b, "#continue").await;
    expect(b, "#password", "login-after-reset").await;
    sign_in(b, email, "second long password").await;
    expect(b, "#code", "second-factor-after-reset").await;
    app.clock.advance(time::Duration::seconds(30));
    fill(b, "code", &code_for(&secret, now()).unwrap()).await;
    click(b, "button[type=submit]").await;
    expect(b, "#signed-in-as", "account-after-reset").await;
    assert_eq!(text_of(b, "#signed-in-as").await, email);
    chrome.client.clone().close().await.unwrap();
}

#[both_backends]
async fn prompt_none_after_logout_brings_login_required_back_to_a_self_registered_client_in_a_real_browser(
    backend: Backend,
) {
    let (app, _mail) = spawn_app_with_mail(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open
    })
    .await;
    app.user("ann@example.com").await;
    let (client_base, seen) = callback_server().await;
    let callback = format!("{client_base}/callback");
    let signed_out = format!("{client_base}/signed-out");
    let registered: Value = app
        .http
        .post(app.url("/register"))
        .json(&json!({
            "client_name": "Chrome App",
            "redirect_uris": [callback],
            "post_logout_redirect_uris": [signed_out],
            "token_endpoint_auth_method": "none"
        }))
        .fetch_json()
        .await;
    let id = registered["client_id"].as_str().unwrap().to_owned();
    let authorize = |prompt: Option<&str>, state: &str| {
        let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs([
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", callback.as_str()),
            ("scope", "openid"),
            ("state", state),
            ("code_challenge", Pkce::new().challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]);
        if let Some(prompt) = prompt {
            url.query_pairs_mut().append_pair("prompt", prompt);
        }
        url.to_string()
    };

    let chrome = chrome().await;
    let b = &chrome.client;
    b.goto(&authorize(None, "first")).await.unwrap();
    expect(b, "#password", "login").await;
    sign_in(b, "ann@example.com", crate::support::PASSWORD).await;
    expect(b, "button[value=allow]", "consent").await;
    click(b, "button[value=allow]").await;
    expect(b, "#done", "callback").await;
    assert!(query_of(b.current_url().await.unwrap().as_ref()).contains_key("code"));

    // Signed in, prompt=none answers with a code.
    b.goto(&authorize(Some("none"), "silent-in")).await.unwrap();
    expect(b, "#done", "silent-while-signed-in").await;
    assert!(query_of(b.current_url().await.unwrap().as_ref()).contains_key("code"));

    // The app signs the user out (confirmed on the server's page), and comes back.
    let mut logout = url::Url::parse(&app.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("client_id", &id)
        .append_pair("post_logout_redirect_uri", &signed_out);
    b.goto(logout.as_str()).await.unwrap();
    expect(
        b,
        "form[action='/logout'] button[type=submit]",
        "confirm-logout",
    )
    .await;
    click(b, "form[action='/logout'] button[type=submit]").await;
    expect(b, "#done", "signed-out").await;
    assert!(
        b.current_url()
            .await
            .unwrap()
            .to_string()
            .starts_with(&signed_out)
    );

    // OIDC Core 3.1.2.6: login_required goes back to the registered redirect URI, with state.
    b.goto(&authorize(Some("none"), "silent-out"))
        .await
        .unwrap();
    expect(b, "#done", "silent-after-logout").await;
    let landed = b.current_url().await.unwrap().to_string();
    assert!(landed.starts_with(&callback), "{landed}");
    let query = query_of(&landed);
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("login_required", "silent-out"),
        "{landed}"
    );
    assert_eq!(query["iss"], app.base_url);
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|u| u.contains("error=login_required"))
    );
    chrome.client.clone().close().await.unwrap();
}
