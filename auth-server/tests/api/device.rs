//! The device authorization grant (RFC 8628): a device asks for codes at
//! `/device_authorization`, a signed-in user enters the user code on `/device` and decides, and
//! the device polls `/token` until it gets tokens, is told to slow down, or is refused.

use crate::support::{
    Backend, PASSWORD, TestApp, both_backends, browser, db_count, form_field, spawn_app,
    spawn_app_with, verify_with_jwks,
};
use auth_core::clients::{AuthMethod, GrantType};
use auth_core::device::UserCode;
use auth_server::config::LimitConfig;
use auth_testkit::Fetch as _;
use futures::future::join_all;
use serde_json::Value;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const SCOPE: &str = "openid profile offline_access";

/// A public client `id` that may use the device grant and refresh.
async fn device_client(app: &TestApp, id: &str) {
    app.client_with(
        id,
        "openid profile email offline_access",
        AuthMethod::None,
        &[GrantType::DeviceCode, GrantType::RefreshToken],
        &[],
    )
    .await;
}

/// Starts a device authorization as the public client `client`; returns status and body.
async fn start(app: &TestApp, client: &str, scope: &str) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/device_authorization"))
        .form(&[("client_id", client), ("scope", scope)])
        .fetch()
        .await;
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

/// Starts one that must succeed; returns the response.
async fn started(app: &TestApp, client: &str) -> Value {
    let (status, body) = start(app, client, SCOPE).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Polls the token endpoint as the public client `client`; returns status and body.
async fn poll(app: &TestApp, client: &str, device_code: &str) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client),
            ("device_code", device_code),
        ])
        .fetch()
        .await;
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

/// The error code of a refused poll (400), or panics.
async fn poll_error(app: &TestApp, client: &str, device_code: &str) -> (String, String) {
    let (status, body) = poll(app, client, device_code).await;
    assert_eq!(status, 400, "{body}");
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// A browser signed in as `email` (the user exists).
async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let browser = browser();
    let response = app
        .log_in(&browser, &app.url("/login"), email, PASSWORD)
        .await;
    assert_eq!(response.status(), 303, "login failed");
    browser
}

/// Posts `user_code` on the `/device` page; returns status and page.
async fn enter_code(app: &TestApp, browser: &reqwest::Client, user_code: &str) -> (u16, String) {
    let response = app
        .submit(browser, "/device", "/device", &[("user_code", user_code)])
        .await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Enters `user_code` and presses `decision` (`approve` or `deny`) on the page that follows;
/// returns status and page of the answer.
async fn decide(
    app: &TestApp,
    browser: &reqwest::Client,
    user_code: &str,
    decision: &str,
) -> (u16, String) {
    let (status, page) = enter_code(app, browser, user_code).await;
    assert_eq!(status, 200, "{page}");
    press(app, browser, &page, decision).await
}

/// Presses `decision` (`approve` or `deny`) on the device consent `page`; returns status and
/// page of the answer.
async fn press(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    decision: &str,
) -> (u16, String) {
    let form = [
        ("csrf_token", form_field(page, "csrf_token").unwrap()),
        ("user_code", form_field(page, "user_code").unwrap()),
        ("decision", decision.to_owned()),
    ];
    let response = browser
        .post(app.url("/device/decision"))
        .form(&form)
        .fetch()
        .await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Refreshes `tokens` as the public client `client`.
async fn refresh_public(app: &TestApp, client: &str, tokens: &Value) -> reqwest::Response {
    app.http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", client),
            ("refresh_token", text(tokens, "refresh_token")),
        ])
        .fetch()
        .await
}

/// The claims of `token`, checked against the server's JWKS for `audience` (the issuer when
/// `None`, as for access tokens).
async fn verified(app: &TestApp, token: &str, audience: Option<&str>) -> Value {
    let issuer = app.provider.settings().issuer.as_str().to_owned();
    let audience = audience.unwrap_or(&issuer);
    let (_, claims) = verify_with_jwks(&app.base_url, &app.http, token, &issuer, audience)
        .await
        .unwrap();
    claims
}

/// A server with the device client `tv` and the user ann, and a browser ann is signed in with.
async fn ann_signed_in(backend: Backend) -> (TestApp, reqwest::Client) {
    let app = spawn_app(backend).await;
    device_client(&app, "tv").await;
    app.user("ann@example.com").await;
    let browser = signed_in(&app, "ann@example.com").await;
    (app, browser)
}

fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field].as_str().unwrap()
}

fn limit(limit: u32) -> LimitConfig {
    LimitConfig {
        limit,
        window_secs: 900,
    }
}

#[both_backends]
async fn a_device_gets_tokens_after_the_user_signs_in_and_approves_on_the_device_page(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    device_client(&app, "tv").await;
    app.user("ann@example.com").await;

    let body = started(&app, "tv").await;
    let device_code = text(&body, "device_code");
    let user_code = text(&body, "user_code");
    assert!(device_code.starts_with("dc_"));
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(UserCode::parse(user_code).is_some(), "{user_code}");
    assert_eq!(text(&body, "verification_uri"), app.url("/device"));
    let complete = text(&body, "verification_uri_complete");
    assert_eq!(
        complete,
        format!("{}?user_code={user_code}", app.url("/device"))
    );
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["interval"], 5);
    assert_eq!(
        poll_error(&app, "tv", device_code).await.0,
        "authorization_pending"
    );

    // The link, opened without a session, goes through the login and comes back with the
    // code filled in; nothing is approved by that alone (RFC 8628 section 5.4).
    let browser = browser();
    let location = app.follow(&browser, complete).await;
    assert!(location.ends_with("/login"), "{location}");
    let response = app
        .log_in(&browser, &location, "ann@example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), 303);
    let back = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, format!("/device?user_code={user_code}"));
    let page = browser.get(app.url(&back)).fetch_text().await;
    assert!(page.contains(&format!("value=\"{user_code}\"")), "{page}");
    app.clock.advance(time::Duration::seconds(5));
    assert_eq!(
        poll_error(&app, "tv", device_code).await.0,
        "authorization_pending"
    );

    // The code, typed in lower case without the dash, leads to a page naming the client and
    // its scopes; allowing it lets the device in.
    let typed = user_code.replace('-', "").to_lowercase();
    let (status, consent) = enter_code(&app, &browser, &typed).await;
    assert_eq!(status, 200);
    assert!(
        consent.contains("Allow Client tv on your device?"),
        "{consent}"
    );
    assert!(consent.contains(user_code), "{consent}");
    for scope in ["openid", "profile", "offline_access"] {
        assert!(consent.contains(scope), "{scope}: {consent}");
    }
    let (status, done) = press(&app, &browser, &consent, "approve").await;
    assert_eq!(status, 200);
    assert!(done.contains("Device connected"), "{done}");
    let (status, tokens) = poll(&app, "tv", device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "offline_access openid profile");
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("rt_"));
    let claims = verified(&app, text(&tokens, "access_token"), None).await;
    assert_eq!(claims["client_id"], "tv");
    let ann = app.provider.store().user_by_email("ann@example.com").await;
    assert_eq!(claims["sub"], ann.unwrap().unwrap().id.to_string());
    let id_claims = verified(&app, text(&tokens, "id_token"), Some("tv")).await;
    assert!(id_claims["sid"].is_string(), "{id_claims}");

    // Used once.
    let (error, _) = poll_error(&app, "tv", device_code).await;
    assert_eq!(error, "invalid_grant");
    // The refresh token works like the code flow's.
    let refreshed = refresh_public(&app, "tv", &tokens).await;
    assert_eq!(refreshed.status(), 200);
}

#[both_backends]
async fn a_decided_code_is_no_longer_accepted_on_the_page(backend: Backend) {
    let (app, browser) = ann_signed_in(backend).await;
    let body = started(&app, "tv").await;
    let user_code = text(&body, "user_code");
    let (status, _) = decide(&app, &browser, user_code, "approve").await;
    assert_eq!(status, 200);
    let (status, page) = enter_code(&app, &browser, user_code).await;
    assert_eq!(status, 422);
    assert!(page.contains("not valid or has expired"), "{page}");
    let (status, tokens) = poll(&app, "tv", text(&body, "device_code")).await;
    assert_eq!(status, 200, "{tokens}");
    let audited = db_count(
        &app.db.url,
        "SELECT COUNT(*) FROM audit_events WHERE event = 'device_approved' AND client_id = 'tv'",
    )
    .await;
    assert_eq!(audited, 1);
}

#[both_backends]
async fn polling_faster_than_the_interval_slows_the_device_down(backend: Backend) {
    let app = spawn_app(backend).await;
    device_client(&app, "tv").await;
    let body = started(&app, "tv").await;
    let code = text(&body, "device_code");
    assert_eq!(
        poll_error(&app, "tv", code).await.0,
        "authorization_pending"
    );
    // At once again: slow_down, and the interval grows by 5 seconds (section 3.5).
    let (error, description) = poll_error(&app, "tv", code).await;
    assert_eq!(error, "slow_down");
    assert!(description.contains("10 seconds"), "{description}");
    // 5 seconds later is still too soon for the grown interval: it grows again.
    app.clock.advance(time::Duration::seconds(5));
    let (error, description) = poll_error(&app, "tv", code).await;
    assert_eq!(error, "slow_down");
    assert!(description.contains("15 seconds"), "{description}");
    // Keeping the interval it was given, the device hears authorization_pending again, and
    // the interval stays what it grew to.
    app.clock.advance(time::Duration::seconds(15));
    assert_eq!(
        poll_error(&app, "tv", code).await.0,
        "authorization_pending"
    );
    app.clock.advance(time::Duration::seconds(14));
    assert_eq!(poll_error(&app, "tv", code).await.0, "slow_down");
    let stored = db_count(
        &app.db.url,
        "SELECT MAX(interval_secs) FROM device_authorizations",
    )
    .await;
    assert_eq!(stored, 20, "kept in the database, for every replica");
}

#[both_backends]
async fn an_expired_device_code_answers_expired_token_and_its_user_code_is_refused(
    backend: Backend,
) {
    let (app, browser) = ann_signed_in(backend).await;
    let body = started(&app, "tv").await;
    app.clock.advance(time::Duration::seconds(601));
    let (error, _) = poll_error(&app, "tv", text(&body, "device_code")).await;
    assert_eq!(error, "expired_token");
    let (status, page) = enter_code(&app, &browser, text(&body, "user_code")).await;
    assert_eq!(status, 422);
    assert!(page.contains("not valid or has expired"), "{page}");
}

#[both_backends]
async fn a_denied_request_answers_access_denied(backend: Backend) {
    let (app, browser) = ann_signed_in(backend).await;
    let body = started(&app, "tv").await;
    let (status, page) = decide(&app, &browser, text(&body, "user_code"), "deny").await;
    assert_eq!(status, 200);
    assert!(page.contains("Access denied"), "{page}");
    let (error, _) = poll_error(&app, "tv", text(&body, "device_code")).await;
    assert_eq!(error, "access_denied");
    // A denial is final: the code cannot be approved afterwards.
    let (status, _) = enter_code(&app, &browser, text(&body, "user_code")).await;
    assert_eq!(status, 422);
    // Recorded in the audit log, with the client and the user.
    let audited = db_count(
        &app.db.url,
        "SELECT COUNT(*) FROM audit_events WHERE event = 'device_denied' AND client_id = 'tv' \
         AND user_id IS NOT NULL",
    )
    .await;
    assert_eq!(audited, 1);
}

#[both_backends]
async fn wrong_user_codes_get_a_clear_message_and_approve_nothing(backend: Backend) {
    let (app, browser) = ann_signed_in(backend).await;
    let body = started(&app, "tv").await;
    let (status, page) = enter_code(&app, &browser, "ABC").await;
    assert_eq!(status, 422);
    assert!(page.contains("A code has 8 letters"), "{page}");
    // Well formed but unknown: the issued code with its first letter changed.
    let real = text(&body, "user_code");
    let wrong: String = real
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            (0, 'B') => 'C',
            (0, _) => 'B',
            (_, c) => c,
        })
        .collect();
    let (status, page) = enter_code(&app, &browser, &wrong).await;
    assert_eq!(status, 422);
    assert!(page.contains("not valid or has expired"), "{page}");
    assert!(
        page.contains(&format!("value=\"{wrong}\"")),
        "what was typed stays: {page}"
    );
    // A decision posted for a wrong code decides nothing.
    let (_, csrf) = app.form_page(&browser, &app.url("/device")).await;
    let response = browser
        .post(app.url("/device/decision"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("user_code", wrong.as_str()),
            ("decision", "approve"),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        poll_error(&app, "tv", text(&body, "device_code")).await.0,
        "authorization_pending"
    );
}

#[both_backends]
async fn the_device_page_needs_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let anonymous = browser();
    let response = anonymous.get(app.url("/device")).fetch().await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");
    // Whatever the link carries, only a well-formed code comes back after the login.
    let response = anonymous
        .get(app.url("/device?user_code=%2F%2Fevil.example"))
        .fetch()
        .await;
    assert_eq!(response.status(), 303);
    app.user("ann@example.com").await;
    let response = app
        .log_in(&anonymous, &app.url("/login"), "ann@example.com", PASSWORD)
        .await;
    assert_eq!(response.headers()["location"], "/device");
}

#[both_backends]
async fn another_clients_device_code_is_invalid_grant_and_left_untouched(backend: Backend) {
    let app = spawn_app(backend).await;
    device_client(&app, "tv").await;
    device_client(&app, "other").await;
    let body = started(&app, "tv").await;
    let code = text(&body, "device_code");
    let (error, description) = poll_error(&app, "other", code).await;
    assert_eq!(error, "invalid_grant");
    assert!(description.contains("another client"), "{description}");
    // The other client's poll did not count as one of the device's.
    assert_eq!(
        poll_error(&app, "tv", code).await.0,
        "authorization_pending"
    );
    // An unknown code is invalid_grant too.
    let (error, _) = poll_error(&app, "tv", "dc_not-a-code").await;
    assert_eq!(error, "invalid_grant");
}

#[both_backends]
async fn clients_without_the_grant_or_credentials_or_with_unknown_scopes_are_refused(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    device_client(&app, "tv").await;
    let secret = app
        .client_with(
            "console",
            "openid profile",
            AuthMethod::ClientSecretBasic,
            &[GrantType::DeviceCode],
            &[],
        )
        .await
        .unwrap();

    let response = app
        .http
        .post(app.url("/device_authorization"))
        .basic_auth("webapp", Some("wrong"))
        .form(&[("scope", "openid")])
        .fetch()
        .await;
    assert_eq!(response.status(), 401);
    let secret_of_webapp = app.code_client("webapp2").await;
    let response = app
        .http
        .post(app.url("/device_authorization"))
        .basic_auth("webapp2", Some(&secret_of_webapp))
        .form(&[("scope", "openid")])
        .fetch()
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client", "{body}");
    // The token endpoint refuses the grant to such a client too.
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("webapp2", Some(&secret_of_webapp))
        .form(&[("grant_type", DEVICE_GRANT), ("device_code", "dc_x")])
        .fetch()
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client", "{body}");

    // A confidential device client must authenticate: its id alone is not enough.
    let (status, body) = start(&app, "console", "openid").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    let response = app
        .http
        .post(app.url("/device_authorization"))
        .basic_auth("console", Some(&secret))
        .form(&[("scope", "openid")])
        .fetch()
        .await;
    assert_eq!(response.status(), 200);

    let (status, body) = start(&app, "tv", "openid admin").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope", "{body}");
    let (status, body) = start(&app, "tv", "no-such-scope").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope", "{body}");
    let (status, body) = start(&app, "nobody", "openid").await;
    assert_eq!(status, 401, "{body}");
}

#[both_backends]
async fn guessed_user_codes_hit_the_limit_per_account(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.device_user_codes_per_account = limit(3);
        c.rate_limits.device_user_codes_per_ip = limit(1000);
    })
    .await;
    device_client(&app, "tv").await;
    app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    let ann = signed_in(&app, "ann@example.com").await;
    let body = started(&app, "tv").await;
    for guess in ["BCDF-GHJK", "BCDF-GHJL", "BCDF-GHJM"] {
        assert_eq!(enter_code(&app, &ann, guess).await.0, 422);
    }
    // The fourth code, even the right one, is refused until the window ends.
    let (status, page) = enter_code(&app, &ann, text(&body, "user_code")).await;
    assert_eq!(status, 429, "{page}");
    // Another account on the same network is not affected.
    let bob = signed_in(&app, "bob@example.com").await;
    assert_eq!(
        enter_code(&app, &bob, text(&body, "user_code")).await.0,
        200
    );
}

#[both_backends]
async fn guessed_user_codes_hit_the_limit_per_network(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.device_user_codes_per_account = limit(1000);
        c.rate_limits.device_user_codes_per_ip = limit(3);
    })
    .await;
    device_client(&app, "tv").await;
    app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    let ann = signed_in(&app, "ann@example.com").await;
    let bob = signed_in(&app, "bob@example.com").await;
    let body = started(&app, "tv").await;
    assert_eq!(enter_code(&app, &ann, "BCDF-GHJK").await.0, 422);
    assert_eq!(enter_code(&app, &ann, "BCDF-GHJL").await.0, 422);
    assert_eq!(enter_code(&app, &bob, "BCDF-GHJM").await.0, 422);
    // Every account on this network together has used the network's attempts.
    let (status, _) = enter_code(&app, &bob, text(&body, "user_code")).await;
    assert_eq!(status, 429);
}

#[both_backends]
async fn device_authorizations_are_bounded_per_network(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.device_authorizations_per_ip = limit(2);
    })
    .await;
    device_client(&app, "tv").await;
    started(&app, "tv").await;
    started(&app, "tv").await;
    let (status, body) = start(&app, "tv", SCOPE).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(
        db_count(&app.db.url, "SELECT COUNT(*) FROM device_authorizations").await,
        2
    );
}

#[both_backends]
async fn of_concurrent_polls_after_the_approval_exactly_one_gets_tokens(backend: Backend) {
    let (app, browser) = ann_signed_in(backend).await;
    let body = started(&app, "tv").await;
    let (status, _) = decide(&app, &browser, text(&body, "user_code"), "approve").await;
    assert_eq!(status, 200);
    let code = text(&body, "device_code");
    let answers = join_all((0..8).map(|_| poll(&app, "tv", code))).await;
    let winners = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(winners, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(*status, 400);
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
    assert_eq!(
        db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM token_families WHERE client_id = 'tv'"
        )
        .await,
        1
    );
}

#[both_backends]
async fn device_and_user_codes_are_stored_only_as_keyed_hashes(backend: Backend) {
    let app = spawn_app(backend).await;
    device_client(&app, "tv").await;
    let body = started(&app, "tv").await;
    let device_code = text(&body, "device_code");
    let user_code = UserCode::parse(text(&body, "user_code")).unwrap();
    let hex = |hash: &auth_core::secrets::TokenHash| {
        hash.as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let as_hex = |column: &str| match backend {
        Backend::Sqlite => format!("lower(hex({column}))"),
        Backend::Postgres => format!("encode({column}, 'hex')"),
    };
    let device_hash = hex(&app.provider.hasher().hash(device_code));
    let user_hash = hex(&user_code.hash(&app.provider));
    let sql = format!(
        "SELECT COUNT(*) FROM device_authorizations WHERE {} = '{device_hash}' AND {} = '{user_hash}'",
        as_hex("device_code_hash"),
        as_hex("user_code_hash"),
    );
    assert_eq!(db_count(&app.db.url, &sql).await, 1);
    // No column holds either code in the clear.
    let shown = text(&body, "user_code");
    let plain = format!(
        "SELECT COUNT(*) FROM device_authorizations WHERE client_id LIKE '%{shown}%' \
         OR scope LIKE '%{device_code}%' OR scope LIKE '%{shown}%' OR family_id LIKE '%{shown}%' \
         OR family_id LIKE '%{device_code}%'"
    );
    assert_eq!(db_count(&app.db.url, &plain).await, 0);
}

/// A signed-in browser approves a new request of `client`; returns the device code.
async fn approved(app: &TestApp, browser: &reqwest::Client, client: &str) -> String {
    let body = started(app, client).await;
    let (status, page) = decide(app, browser, text(&body, "user_code"), "approve").await;
    assert_eq!(status, 200, "{page}");
    text(&body, "device_code").to_owned()
}

#[both_backends]
async fn an_approval_and_its_tokens_end_with_the_session_they_were_given_in(backend: Backend) {
    let (app, browser) = ann_signed_in(backend).await;
    let redeemed = approved(&app, &browser, "tv").await;
    let waiting = approved(&app, &browser, "tv").await;
    let (status, tokens) = poll(&app, "tv", &redeemed).await;
    assert_eq!(status, 200, "{tokens}");

    // The user signs out where they approved both.
    let response = app
        .submit(&browser, "/logout", "/logout", &[("confirm", "yes")])
        .await;
    assert_eq!(response.status(), 200);
    // The approval not yet redeemed went with the session; the tokens of the other too.
    let (error, _) = poll_error(&app, "tv", &waiting).await;
    assert_eq!(error, "invalid_grant");
    let refreshed = refresh_public(&app, "tv", &tokens).await;
    assert_eq!(refreshed.status(), 400);
    let body: Value = refreshed.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[both_backends]
async fn a_dpop_proof_binds_the_device_tokens_to_its_key(backend: Backend) {
    let (app, browser) = ann_signed_in(backend).await;
    let code = approved(&app, &browser, "tv").await;
    let key = app.dpop_key(auth_core::keys::SigningAlgorithm::Es256);
    let response = app
        .http
        .post(app.url("/token"))
        .header("dpop", key.proof("POST", &app.url("/token"), None, None))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("client_id", "tv"),
            ("device_code", code.as_str()),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
    let claims = verified(&app, text(&tokens, "access_token"), None).await;
    assert_eq!(claims["cnf"]["jkt"], key.jkt());
    // A public client's refresh token is bound to the key too: without a proof it is refused.
    let refreshed = refresh_public(&app, "tv", &tokens).await;
    assert_eq!(refreshed.status(), 400);
}

#[both_backends]
async fn device_clients_register_dynamically_and_from_the_cli_without_redirect_uris(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open;
    })
    .await;
    let registered: Value = app
        .http
        .post(app.url("/register"))
        .json(&serde_json::json!({
            "client_name": "Kiosk",
            "token_endpoint_auth_method": "none",
            "grant_types": [DEVICE_GRANT, "refresh_token"],
            "scope": "openid profile",
        }))
        .fetch_json()
        .await;
    let id = registered["client_id"].as_str().unwrap();
    assert_eq!(
        registered["grant_types"],
        serde_json::json!([DEVICE_GRANT, "refresh_token"])
    );
    assert_eq!(start(&app, id, "openid").await.0, 200);

    let created = app.cli(&[
        "client",
        "create",
        "--name",
        "Tickets CLI",
        "--id",
        "tickets-cli",
        "--public",
        "--grant",
        "device_code",
        "--scope",
        "openid profile",
    ]);
    crate::walks::assert_succeeded(&created);
    assert_eq!(start(&app, "tickets-cli", "openid").await.0, 200);
}

/// Found by the attacker review of issue 22: a self-registered client named like a first-party
/// one showed a consent page word for word like the real one's. The page shows the client's id
/// and says when its name is its own claim.
#[both_backends]
async fn the_device_page_shows_the_client_id_and_whether_it_registered_itself(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open;
    })
    .await;
    app.user("ann@example.com").await;
    device_client(&app, "tickets-cli").await;
    let impostor: Value = app
        .http
        .post(app.url("/register"))
        .json(&serde_json::json!({
            "client_name": "Test Client tickets-cli",
            "token_endpoint_auth_method": "none",
            "grant_types": [DEVICE_GRANT, "refresh_token"],
            "scope": SCOPE,
        }))
        .fetch_json()
        .await;
    let impostor_id = text(&impostor, "client_id").to_owned();
    let browser = signed_in(&app, "ann@example.com").await;
    for (client, self_registered) in [("tickets-cli", false), (impostor_id.as_str(), true)] {
        let started = started(&app, client).await;
        let (status, page) = enter_code(&app, &browser, text(&started, "user_code")).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains(&format!(r#"<code id="client-id">{client}</code>"#)),
            "{page}"
        );
        assert_eq!(
            page.contains(r#"id="self-registered""#),
            self_registered,
            "{client}: {page}"
        );
    }
}
