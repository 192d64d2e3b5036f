//! The device authorization grant (RFC 8628) end to end: a Rust client plays the device (it
//! starts the request and polls the token endpoint, keeping the interval), while the user, in
//! headless Chromium with JavaScript off, opens `verification_uri_complete`, signs in, checks
//! the code and allows the device. The device's access token is then verified by `auth-client`.

use crate::browser::{chrome, click, expect, screenshot, sign_in, text_of};
use crate::support::{Backend, PASSWORD, TestApp, both_backends, spawn_app_with, verify_with_jwks};
use auth_client::Verifier;
use auth_core::clients::{AuthMethod, GrantType};
use auth_testkit::Fetch as _;
use fantoccini::Locator;
use serde_json::Value;
use std::time::{Duration, Instant};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The device: polls `/token` every `interval` seconds (5 more after each `slow_down`) until it
/// gets tokens. The server's clock is the test's and stands still, so the device moves it by
/// the interval it waits, as time would; the real wait between polls gives the browser its
/// turn. Gives up after two minutes.
async fn poll_until_approved(app: &TestApp, device_code: &str, interval: u64) -> Value {
    let http = reqwest::Client::new();
    let mut interval = interval;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        app.clock
            .advance(time::Duration::seconds(i64::try_from(interval).unwrap()));
        let response = http
            .post(app.url("/token"))
            .form(&[
                ("grant_type", DEVICE_GRANT),
                ("client_id", "tv"),
                ("device_code", device_code),
            ])
            .fetch()
            .await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if status == 200 {
            return body;
        }
        match body["error"].as_str() {
            Some("authorization_pending") => {}
            Some("slow_down") => interval += 5,
            _ => panic!("the device was refused: {status} {body}"),
        }
        assert!(
            Instant::now() < deadline,
            "the user did not approve the device in time"
        );
        tokio::time::sleep(Duration::from_secs(interval)).await;
    }
}

#[both_backends]
async fn a_device_signs_in_while_the_user_approves_in_a_real_browser(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.device.interval_secs = 1).await;
    let user = app.user("ann@example.com").await;
    app.client_with(
        "tv",
        "openid profile offline_access",
        AuthMethod::None,
        &[GrantType::DeviceCode, GrantType::RefreshToken],
        &[],
    )
    .await;

    let started: Value = reqwest::Client::new()
        .post(app.url("/device_authorization"))
        .form(&[("client_id", "tv"), ("scope", "openid profile")])
        .fetch_json()
        .await;
    let device_code = started["device_code"].as_str().unwrap().to_owned();
    let user_code = started["user_code"].as_str().unwrap().to_owned();
    let interval = started["interval"].as_u64().unwrap();
    assert_eq!(interval, 1);
    let device = poll_until_approved(&app, &device_code, interval);
    let user_side = async {
        let chrome = chrome().await;
        let b = &chrome.client;
        b.goto(started["verification_uri_complete"].as_str().unwrap())
            .await
            .unwrap();
        // Not signed in: the login page first, then back to the code.
        assert_eq!(b.current_url().await.unwrap().path(), "/login");
        sign_in(b, "ann@example.com", PASSWORD).await;
        expect(b, "#user_code", "device-page").await;
        let url = b.current_url().await.unwrap();
        assert_eq!(url.path(), "/device");
        let field = b.find(Locator::Id("user_code")).await.unwrap();
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some(user_code.as_str()),
            "the code of the link is filled in"
        );
        screenshot(b, "device-code").await;
        // Opening the link approved nothing (RFC 8628 section 5.4).
        let pending = crate::support::db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM device_authorizations WHERE status = 'pending'",
        )
        .await;
        assert_eq!(pending, 1);
        click(b, "button[type=submit]").await;
        expect(b, "#user-code", "device-consent").await;
        assert_eq!(text_of(b, "#user-code").await, user_code);
        assert_eq!(text_of(b, "h1").await, "Allow Client tv on your device?");
        screenshot(b, "device-consent").await;
        click(b, "button[value=approve]").await;
        expect(b, "#notice", "device-approved").await;
        assert!(text_of(b, "#notice").await.contains("now has access"));
    };
    let (tokens, ()) = tokio::join!(device, user_side);

    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile");
    let issuer = app.provider.settings().issuer.as_str().to_owned();
    let verifier = Verifier::new(&issuer, &issuer).await.unwrap();
    let claims = verifier
        .verify(tokens["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.client_id, "tv");
    assert_eq!(claims.user_id(), Some(user.id.as_str()));
    assert!(claims.scopes.contains("profile"));
    let (_, id_token) = verify_with_jwks(
        &app.base_url,
        &app.http,
        tokens["id_token"].as_str().unwrap(),
        &issuer,
        "tv",
    )
    .await
    .unwrap();
    assert_eq!(id_token["sub"], user.id.to_string());
}
