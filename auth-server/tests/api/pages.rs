//! The hosted pages: sign-up, login, CSRF, throttling, disabled accounts, sessions.

use crate::support::{
    Backend, PASSWORD, Pkce, both_backends, browser, form_field, spawn_app, spawn_app_with,
};
use auth_testkit::Fetch as _;

#[both_backends]
async fn sign_up_grants_only_the_offered_roles_and_never_admin(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.users.signup_roles = vec!["player".into(), "parent".into()]
    })
    .await;
    for role in ["player", "parent", "admin"] {
        let role = auth_core::roles::Role {
            name: auth_core::roles::RoleName::parse(role).unwrap(),
            description: String::new(),
            permissions: vec![],
        };
        auth_core::roles::create(&app.provider, &role)
            .await
            .unwrap();
    }
    let browser = browser();
    let page = browser.get(app.url("/signup")).fetch_text().await;
    assert!(page.contains("name=\"role_player\"") && !page.contains("role_admin"));
    let form = [
        ("csrf_token", form_field(&page, "csrf_token").unwrap()),
        ("email", "New.Player@Example.com".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("name", "New Player".to_owned()),
        ("role_player", "on".to_owned()),
        ("role_admin", "on".to_owned()),
    ];
    let response = browser.post(app.url("/signup")).form(&form).fetch().await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Check your e-mail"));
    let user = app
        .provider
        .store()
        .user_by_email("new.player@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email.as_str(), "New.Player@Example.com");
    assert!(!user.email_verified);
    let grants = app.provider.store().user_grants(&user.id).await.unwrap();
    assert_eq!(grants.roles, vec!["player"]);
    // With the default folder transport, the verification mail lands as a file (lettre writes
    // it in place, so it is read until it is complete).
    let mut eml = String::new();
    for _ in 0..50 {
        let files: Vec<_> = std::fs::read_dir(&app.config_mail_folder)
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        eml = files
            .first()
            .and_then(|f| std::fs::read_to_string(f.path()).ok())
            .unwrap_or_default();
        if eml.contains("\r\n\r\n") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(eml.contains("To: New.Player@Example.com"), "{eml}");
}

#[both_backends]
async fn weak_passwords_and_bad_addresses_are_explained(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = browser();
    for (email, password, message) in [
        (
            "ann@example.com",
            "short",
            "The password must be at least 10 characters long.",
        ),
        (
            "ann@example.com",
            "password123",
            "This password is one of the most common passwords; choose another.",
        ),
        (
            "not-an-address",
            PASSWORD,
            "`not-an-address` is not a valid e-mail address.",
        ),
    ] {
        let page = browser.get(app.url("/signup")).fetch_text().await;
        let form = [
            ("csrf_token", form_field(&page, "csrf_token").unwrap()),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ];
        let response = browser.post(app.url("/signup")).form(&form).fetch().await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.unwrap();
        assert!(
            body.contains(&message.replace('`', "&#96;")) || body.contains(message),
            "{message}: {body}"
        );
    }
    assert!(
        app.provider
            .store()
            .users(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A login post: the browser it comes from, its extra headers, the status it gets and why.
type LoginAttempt<'a> = (&'a reqwest::Client, &'a [(&'a str, &'a str)], u16, &'a str);

#[both_backends]
async fn forms_without_a_valid_csrf_token_or_from_another_site_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let browser = browser();
    let page = browser.get(app.url("/login")).fetch_text().await;
    let csrf = form_field(&page, "csrf_token").unwrap();
    let missing = browser
        .post(app.url("/login"))
        .form(&[("email", "ann@example.com"), ("password", PASSWORD)])
        .fetch()
        .await;
    assert_eq!(missing.status(), 403);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("This form has expired or was sent from another site")
    );
    // A token from another browser (cookie) does not work, nor one sent from another site;
    // the same origin, even as `null`, does.
    let other = crate::support::browser();
    let attempts: [LoginAttempt; 4] = [
        (&other, &[], 403, "another browser's token"),
        (
            &browser,
            &[("origin", "https://evil.example.com")],
            403,
            "another site",
        ),
        (
            &browser,
            &[("sec-fetch-site", "same-site")],
            403,
            "a sibling subdomain is another site",
        ),
        (
            &browser,
            &[("origin", "null"), ("sec-fetch-site", "same-origin")],
            303,
            "the same origin",
        ),
    ];
    for (client, headers, expected, what) in attempts {
        let mut request = client.post(app.url("/login"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", "ann@example.com"),
                ("password", PASSWORD),
            ])
            .fetch()
            .await;
        assert_eq!(response.status(), expected, "{what}");
    }
}

#[both_backends]
async fn wrong_password_and_unknown_email_get_the_same_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let mut bodies = Vec::new();
    for (email, password) in [
        ("ann@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
    ] {
        let browser = browser();
        let response = app
            .log_in(&browser, &app.url("/login"), email, password)
            .await;
        assert_eq!(response.status(), 401);
        let body = response.text().await.unwrap();
        bodies.push(
            body.replace(email, "EMAIL")
                .split("csrf_token\" value=\"")
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(bodies[0], bodies[1]);
    assert!(bodies[0].contains("The e-mail address or password is incorrect."));
}

#[both_backends]
async fn repeated_failures_throttle_the_account_until_the_window_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let browser = browser();
    for _ in 0..5 {
        let response = app
            .log_in(
                &browser,
                &app.url("/login"),
                "ann@example.com",
                "wrong password!",
            )
            .await;
        assert_eq!(response.status(), 401);
    }
    let throttled = app
        .log_in(&browser, &app.url("/login"), "ann@example.com", PASSWORD)
        .await;
    assert_eq!(throttled.status(), 429);
    let retry: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
    assert!(
        throttled
            .text()
            .await
            .unwrap()
            .contains("Too many failed sign-in attempts. Try again in 15 minutes.")
    );
    app.clock.advance(time::Duration::seconds(901));
    let after = app
        .log_in(&browser, &app.url("/login"), "ann@example.com", PASSWORD)
        .await;
    assert_eq!(after.status(), 303, "the account unlocks after the window");
}

#[both_backends]
async fn a_disabled_account_cannot_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user("ann@example.com").await;
    auth_core::users::set_disabled(&app.provider, &user.id, true)
        .await
        .unwrap();
    let response = app
        .log_in(&browser(), &app.url("/login"), "ann@example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("This account is disabled.")
    );
}

#[both_backends]
async fn every_login_gets_a_new_session_and_the_old_one_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let browser = browser();
    let first = app
        .log_in(&browser, &app.url("/login"), "ann@example.com", PASSWORD)
        .await;
    let first = session_cookie(&first).expect("a session cookie");
    assert!(
        first.contains("HttpOnly") && first.contains("SameSite=Lax") && first.contains("Path=/"),
        "{first}"
    );
    let login = app
        .follow(
            &browser,
            &app.authorize_url("webapp", &Pkce::new(), &[("prompt", "login")]),
        )
        .await;
    let second = app
        .log_in(&browser, &login, "ann@example.com", PASSWORD)
        .await;
    let second = session_cookie(&second).expect("a new session cookie");
    let value = |cookie: &str| cookie.split(';').next().unwrap().to_owned();
    assert_ne!(
        value(&first),
        value(&second),
        "no session fixation: a new id at every login"
    );
    // The old session no longer exists.
    let old = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = old
        .get(app.url("/account"))
        .header("cookie", value(&first))
        .fetch()
        .await;
    assert_eq!(response.headers()["location"], "/login");
}

#[both_backends]
async fn pages_cannot_be_framed_or_cached(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = browser().get(app.url("/login")).fetch().await;
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    let css = browser().get(app.url("/static/auth.css")).fetch().await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("auth_session="))
        .map(str::to_owned)
}
