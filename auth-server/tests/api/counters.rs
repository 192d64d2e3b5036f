//! Counters a client can move, limited per account and per network; the client address behind trusted proxies (issue 19).

use crate::support::{
    Backend, PASSWORD, Pkce, TestApp, both_backends, browser, form_field, spawn_app_with,
};
use auth_core::clock::Clock;
use auth_core::otp::totp::code_for;
use auth_server::config::{Config, LimitConfig};
use auth_testkit::Fetch as _;
use auth_testkit::accounts::totp_secret;

/// The server's own address in the tests: the "proxy" in front of it.
fn behind_local_proxy(c: &mut Config) {
    c.http.trusted_proxies = vec!["127.0.0.1".into()];
}

fn limit(limit: u32) -> LimitConfig {
    LimitConfig {
        limit,
        window_secs: 900,
    }
}

/// Posts the login form with the given `X-Forwarded-For` lines (each sent as its own header
/// line, in order); the status.
async fn log_in_via(
    app: &TestApp,
    b: &reqwest::Client,
    lines: &[&str],
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = b.get(app.url("/login")).fetch_text().await;
    let mut request = b.post(app.url("/login"));
    for line in lines {
        request = request.header("x-forwarded-for", *line);
    }
    request
        .form(&[
            (
                "csrf_token",
                form_field(&page, "csrf_token").unwrap().as_str(),
            ),
            ("email", email),
            ("password", password),
        ])
        .fetch()
        .await
}

/// Signs `email` in in `b` and sets up an authenticator app; its secret.
async fn enrol_totp(app: &TestApp, b: &reqwest::Client, email: &str) -> String {
    assert_eq!(app.login(b, email, PASSWORD).await.status(), 303);
    let enrol = app.on_account(b, "/account/totp", &[]).await;
    let secret = totp_secret(&enrol.text().await.unwrap());
    let code = code_for(&secret, now(app)).unwrap();
    let done = app
        .on_account(b, "/account/totp/confirm", &[("code", &code)])
        .await;
    assert_eq!(done.status(), 200);
    secret
}

fn now(app: &TestApp) -> u64 {
    u64::try_from(app.clock.unix()).unwrap()
}

/// A code of `secret` that is not valid now (an hour away; a chance collision is ~1e-6).
fn wrong_code(app: &TestApp, secret: &str) -> String {
    let valid: Vec<String> = [0, 30, 60]
        .iter()
        .map(|d| code_for(secret, now(app) - 30 + d).unwrap())
        .collect();
    let mut at = now(app) + 3600;
    loop {
        let code = code_for(secret, at).unwrap();
        if !valid.contains(&code) {
            return code;
        }
        at += 30;
    }
}

/// A login with a wrong password, sent with the `X-Forwarded-For` `lines` (see
/// [`log_in_via`]); the status.
async fn wrong_password_via(
    app: &TestApp,
    b: &reqwest::Client,
    lines: &[&str],
    email: &str,
) -> reqwest::StatusCode {
    let answer = log_in_via(app, b, lines, email, "wrong password!").await;
    answer.status()
}

/// A fresh password login from `address` (through the trusted proxy); the second-factor form.
async fn challenge_from(
    app: &TestApp,
    address: &str,
    email: &str,
) -> (reqwest::Client, String, String) {
    let b = browser();
    let page = log_in_via(app, &b, &[address], email, PASSWORD).await;
    assert_eq!(
        page.status(),
        200,
        "the password opens a second-factor challenge"
    );
    let page = page.text().await.unwrap();
    (
        b,
        form_field(&page, "csrf_token").unwrap(),
        form_field(&page, "challenge").unwrap(),
    )
}

/// A fresh password login of Ann from 198.51.100.1, answered with the code of `secret` at
/// `at`; the status.
async fn right_code_at(app: &TestApp, secret: &str, at: u64) -> u16 {
    let address = "198.51.100.1";
    let (b, csrf, challenge) = challenge_from(app, address, "ann@example.com").await;
    let code = code_for(secret, at).unwrap();
    second_factor(app, &b, address, &csrf, &challenge, "code", &code).await
}

async fn second_factor(
    app: &TestApp,
    b: &reqwest::Client,
    address: &str,
    csrf: &str,
    challenge: &str,
    field: &str,
    code: &str,
) -> u16 {
    b.post(app.url("/login/second-factor"))
        .header("x-forwarded-for", address)
        .form(&[
            ("csrf_token", csrf),
            ("challenge", challenge),
            ("method", "totp"),
            (field, code),
        ])
        .fetch_status()
        .await
        .as_u16()
}

#[both_backends]
async fn a_forwarded_for_line_sent_by_the_client_does_not_choose_its_address(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        behind_local_proxy(c);
        c.login.max_failures_per_ip = 3;
    })
    .await;
    let b = browser();
    // The client sends a line of its own each time; the proxy appends its own line.
    for (i, chosen) in ["6.6.6.1", "6.6.6.2", "6.6.6.3"].iter().enumerate() {
        let email = format!("nobody{i}@example.com");
        assert_eq!(
            wrong_password_via(&app, &b, &[*chosen, "203.0.113.7"], &email).await,
            401
        );
    }
    let lines = ["6.6.6.4", "203.0.113.7"];
    let limited = wrong_password_via(&app, &b, &lines, "nobody9@example.com").await;
    assert_eq!(
        limited, 429,
        "the address the proxy saw is throttled, whatever the client wrote"
    );

    // The session list and the audit log hold that address too.
    let user = app.user("ann@example.com").await;
    assert_eq!(
        log_in_via(
            &app,
            &browser(),
            &["6.6.6.6", "198.51.100.4"],
            "ann@example.com",
            PASSWORD
        )
        .await
        .status(),
        303
    );
    let sessions = app.live_sessions(&user.id).await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].ip, "198.51.100.4");
}

#[both_backends]
async fn forwarded_headers_from_a_peer_that_is_not_a_trusted_proxy_are_ignored(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.http.trusted_proxies = vec!["10.0.0.0/8".into()];
        c.http.client_ip_header = Some("x-forwarded-for".into());
        c.login.max_failures_per_ip = 3;
    })
    .await;
    let b = browser();
    for i in 0..3 {
        let chosen = format!("6.6.6.{i}");
        assert_eq!(
            wrong_password_via(&app, &b, &[&chosen], &format!("n{i}@example.com")).await,
            401
        );
    }
    assert_eq!(
        wrong_password_via(&app, &b, &["6.6.6.9"], "n9@example.com").await,
        429
    );
}

#[both_backends]
async fn the_rfc_7239_forwarded_header_can_name_the_client(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        behind_local_proxy(c);
        c.http.client_ip_header = Some("forwarded".into());
    })
    .await;
    let user = app.user("ann@example.com").await;
    let b = browser();
    let page = b.get(app.url("/login")).fetch_text().await;
    let response = b
        .post(app.url("/login"))
        .header("forwarded", "for=6.6.6.6")
        .header("forwarded", r#"for="[2001:db8:1::7]:4711";proto=https"#)
        .header("x-forwarded-for", "6.6.6.7")
        .form(&[
            (
                "csrf_token",
                form_field(&page, "csrf_token").unwrap().as_str(),
            ),
            ("email", "ann@example.com"),
            ("password", PASSWORD),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 303);
    let sessions = app.live_sessions(&user.id).await;
    assert_eq!(sessions[0].ip, "2001:db8:1::7");
}

#[both_backends]
async fn the_addresses_of_one_ipv6_64_share_their_counters(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        behind_local_proxy(c);
        c.login.max_failures_per_ip = 3;
    })
    .await;
    let b = browser();
    for (i, address) in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"]
        .iter()
        .enumerate()
    {
        assert_eq!(
            wrong_password_via(&app, &b, &[address], &format!("n{i}@example.com")).await,
            401
        );
    }
    assert_eq!(
        wrong_password_via(&app, &b, &["2001:db8:1:2:abcd::9"], "n9@example.com").await,
        429
    );
    assert_eq!(
        wrong_password_via(&app, &b, &["2001:db8:1:3::1"], "n9@example.com").await,
        401,
        "the next /64 is another network"
    );
}

#[both_backends]
async fn wrong_second_factors_across_fresh_logins_and_addresses_lock_the_account(backend: Backend) {
    let app = spawn_app_with(backend, behind_local_proxy).await;
    app.user("ann@example.com").await;
    let secret = enrol_totp(&app, &browser(), "ann@example.com").await;
    // Default: 10 wrong second factors per account per 15 minutes. Each password login
    // opens a fresh challenge of 5 tries; the account's count goes on across them.
    let mut statuses = Vec::new();
    for address in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        for _ in 0..2 {
            let (b, csrf, challenge) = challenge_from(&app, address, "ann@example.com").await;
            for attempt in 0..4 {
                let (field, code) = if attempt == 0 {
                    ("recovery_code", "aaaaa-bbbbb".to_owned())
                } else {
                    ("code", wrong_code(&app, &secret))
                };
                statuses
                    .push(second_factor(&app, &b, address, &csrf, &challenge, field, &code).await);
            }
        }
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    assert!(
        statuses[10..].iter().all(|s| *s == 429),
        "past 10 wrong codes the account is closed to guesses: {statuses:?}"
    );

    // The right code waits too, until the window ends.
    assert_eq!(right_code_at(&app, &secret, now(&app) + 30).await, 429);
    app.clock.advance(time::Duration::seconds(901));
    assert_eq!(right_code_at(&app, &secret, now(&app)).await, 303);
}

#[both_backends]
async fn every_check_of_the_current_password_is_throttled_like_a_login(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.login.max_failures_per_account = 4).await;
    app.user("ann@example.com").await;
    let b = browser();
    enrol_totp(&app, &b, "ann@example.com").await;
    let wrong = "wrong password!";
    for (action, fields) in [
        ("/account/recovery-codes", vec![("current_password", wrong)]),
        ("/account/recovery-codes", vec![("current_password", wrong)]),
        (
            "/account/password",
            vec![
                ("current_password", wrong),
                ("new_password", "another long password"),
            ],
        ),
        (
            "/account/totp/disable",
            vec![("current_password", wrong), ("code", "123456")],
        ),
    ] {
        assert_eq!(
            app.on_account(&b, action, &fields).await.status(),
            422,
            "{action}"
        );
    }
    let limited = app
        .on_account(
            &b,
            "/account/recovery-codes",
            &[("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(
        limited.status(),
        429,
        "four wrong passwords anywhere close the account to a fifth guess"
    );
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        app.login(&browser(), "ann@example.com", PASSWORD)
            .await
            .status(),
        429,
        "and to logins: the same secret"
    );
}

#[both_backends]
async fn forty_wrong_passwords_at_recovery_codes_end_in_429(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let b = browser();
    enrol_totp(&app, &b, "ann@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(
            app.submit(
                &b,
                "/account",
                "/account/recovery-codes",
                &[("current_password", "wrong password!")],
            )
            .await
            .status()
            .as_u16(),
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        5,
        "the per-account-and-address limit (5) comes first: {statuses:?}"
    );
}

#[both_backends]
async fn setting_up_an_authenticator_app_needs_a_recent_sign_in_or_the_password(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let b = app.signed_in_browser("ann@example.com").await;
    // A session signed in six minutes ago: a stolen cookie, say.
    app.clock.advance(time::Duration::seconds(360));
    for fields in [vec![], vec![("current_password", "wrong password!")]] {
        let refused = app.on_account(&b, "/account/totp", &fields).await;
        assert_eq!(refused.status(), 422);
        let page = refused.text().await.unwrap();
        assert!(
            !page.contains("totp-secret"),
            "no secret without the password"
        );
    }
    let confirm = app
        .on_account(&b, "/account/totp/confirm", &[("code", "123456")])
        .await;
    assert_eq!(confirm.status(), 422);
    assert!(!confirm.text().await.unwrap().contains("totp-secret"));
    let user = app.stored_user("ann@example.com").await;
    assert!(
        app.provider.store().totp(&user.id).await.unwrap().is_none(),
        "nothing was stored"
    );

    let enrol = app
        .on_account(&b, "/account/totp", &[("current_password", PASSWORD)])
        .await;
    assert_eq!(enrol.status(), 200);
    let secret = totp_secret(&enrol.text().await.unwrap());
    let code = code_for(&secret, now(&app)).unwrap();
    assert_eq!(
        app.on_account(&b, "/account/totp/confirm", &[("code", &code)])
            .await
            .status(),
        422,
        "confirming needs it too"
    );
    let done = app
        .on_account(
            &b,
            "/account/totp/confirm",
            &[("code", &code), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("recovery-codes"));
}

#[both_backends]
async fn anonymous_authorization_requests_are_limited_per_network_and_in_total(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        behind_local_proxy(c);
        c.rate_limits.pending_authorizations_per_ip = limit(3);
        c.rate_limits.pending_authorizations_total = limit(5);
    })
    .await;
    app.code_client("webapp").await;
    let start = |address: &'static str| {
        let request = browser()
            .get(app.authorize_url("webapp", &Pkce::new(), &[]))
            .header("x-forwarded-for", address);
        async move { request.fetch().await }
    };
    for _ in 0..3 {
        let started = start("203.0.113.7").await;
        assert_eq!(started.status(), 303);
        assert!(
            started.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?request=")
        );
    }
    let limited = start("203.0.113.7").await;
    assert_eq!(limited.status(), 429, "this network stored enough");
    assert!(
        limited.headers().get("location").is_none(),
        "an error page, not a redirect"
    );
    assert!(limited.headers().contains_key("retry-after"));
    assert!(limited.text().await.unwrap().contains("Try again in"));
    assert_eq!(start("198.51.100.1").await.status(), 303);
    assert_eq!(start("198.51.100.2").await.status(), 303);
    assert_eq!(
        start("198.51.100.3").await.status(),
        429,
        "everyone together stored enough"
    );
    app.clock.advance(time::Duration::seconds(901));
    assert_eq!(start("203.0.113.7").await.status(), 303);
}

#[both_backends]
async fn sign_up_and_client_registration_have_counters_of_their_own(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open;
        c.rate_limits.signup_per_ip = limit(1);
        c.rate_limits.client_registration_per_ip = limit(1);
    })
    .await;
    let signed_up = app
        .submit(
            &browser(),
            "/signup",
            "/signup",
            &[
                ("email", "new@example.com"),
                ("password", "a long enough password"),
                ("name", "New"),
            ],
        )
        .await;
    assert_eq!(signed_up.status(), 200);
    let register = || {
        app.http
            .post(app.url("/register"))
            .json(&serde_json::json!({"redirect_uris": ["https://app.example.com/cb"]}))
            .send()
    };
    assert_eq!(
        register().await.unwrap().status(),
        201,
        "the sign-up did not use the registration's count"
    );
    assert_eq!(register().await.unwrap().status(), 429);
}

#[test]
fn a_client_ip_header_without_trusted_proxies_is_refused_with_the_reason() {
    let mut config = Config::default();
    config.http.client_ip_header = Some("x-forwarded-for".into());
    let error = format!("{:#}", config.validate().unwrap_err());
    assert!(error.contains("http.trusted_proxies"), "{error}");
    config.http.trusted_proxies = vec!["10.0.0.0/8".into(), "fd00::/8".into()];
    assert!(config.validate().is_ok());
    config.http.trusted_proxies = vec!["10.0.0.0/40".into()];
    let error = format!("{:#}", config.validate().unwrap_err());
    assert!(
        error.contains("http.trusted_proxies") && error.contains("10.0.0.0/40"),
        "{error}"
    );
}
