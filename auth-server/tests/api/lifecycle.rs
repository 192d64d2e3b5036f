//! The account lifecycle on the hosted pages, with mail delivered over real SMTP.

use crate::support::{
    Backend, PASSWORD, both_backends, browser, form_field, spawn_app_with_mail, without_csrf,
};
use auth_core::clock::Clock;
use auth_core::otp::totp::code_for;
use auth_testkit::Fetch as _;
use auth_testkit::accounts::totp_secret;

async fn sign_up(
    app: &crate::support::TestApp,
    b: &reqwest::Client,
    email: &str,
    password: &str,
) -> String {
    let response = app
        .submit(
            b,
            "/signup",
            "/signup",
            &[
                ("email", email),
                ("password", password),
                ("name", "New Person"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Asks for a password reset link for `email` on the forgotten-password page.
async fn forgot_password(
    app: &crate::support::TestApp,
    b: &reqwest::Client,
    email: &str,
) -> reqwest::Response {
    let fields = [("email", email)];
    app.submit(b, "/forgot-password", "/forgot-password", &fields)
        .await
}

/// Posts the second step of a login whose first step answered `page`: `method` with `answer`
/// (a code, or a recovery code).
async fn second_step(
    app: &crate::support::TestApp,
    b: &reqwest::Client,
    page: &str,
    method: &str,
    answer: (&str, String),
) -> reqwest::Response {
    let form = [
        ("csrf_token", form_field(page, "csrf_token").unwrap()),
        ("challenge", form_field(page, "challenge").unwrap()),
        ("method", method.to_owned()),
        answer,
    ];
    b.post(app.url("/login/second-factor"))
        .form(&form)
        .fetch()
        .await
}

#[both_backends]
async fn sign_up_sends_a_link_that_confirms_the_address_once(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let b = browser();
    let page = sign_up(&app, &b, "new@example.com", PASSWORD).await;
    assert!(
        page.contains("We sent a link to your e-mail address."),
        "{page}"
    );

    let refused = app.login(&b, "new@example.com", PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Confirm your e-mail address first")
    );

    let message = mail
        .wait_for("new@example.com", "Confirm your e-mail address")
        .await;
    assert!(
        message.html.contains("Confirm my e-mail address"),
        "an HTML body too"
    );
    let link = message.link(&app.url("/verify-email?token="));
    let user = app.stored_user("new@example.com").await;
    assert_eq!(b.get(&link).fetch_status().await, 200);
    assert!(
        !app.provider
            .store()
            .user(&user.id)
            .await
            .unwrap()
            .unwrap()
            .email_verified,
        "opening the link (as a mail scanner does) confirms nothing"
    );
    let confirmed = app.confirm_email(&b, &link).await;
    assert_eq!(confirmed.status(), 200);
    assert!(
        confirmed
            .text()
            .await
            .unwrap()
            .contains("your e-mail address is confirmed")
    );
    assert_eq!(
        app.confirm_email(&b, &link).await.status(),
        400,
        "a link works once"
    );

    let login = app.login(&b, "new@example.com", PASSWORD).await;
    assert_eq!(login.status(), 303);
    let token = app.stored_user("new@example.com").await;
    assert!(token.email_verified);
}

#[both_backends]
async fn signing_up_with_a_taken_address_looks_the_same_and_warns_its_owner(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    app.user("taken@example.com").await;
    let taken = sign_up(
        &app,
        &browser(),
        "Taken@Example.com",
        "another long password",
    )
    .await;
    let fresh = sign_up(
        &app,
        &browser(),
        "fresh@example.com",
        "another long password",
    )
    .await;
    assert_eq!(
        without_csrf(&taken),
        without_csrf(&fresh),
        "no difference reveals the account"
    );
    let warning = mail.wait_for("taken@example.com", "account").await;
    assert!(warning.text.contains("already has one"));
    mail.wait_for("fresh@example.com", "Confirm your e-mail address")
        .await;
    let user = app.stored_user("taken@example.com").await;
    assert!(
        auth_core::users::password::verify(
            &auth_core::users::password::Password::new(PASSWORD),
            user.password_hash.as_deref()
        )
        .await,
        "the owner's password is unchanged"
    );
}

#[both_backends]
async fn a_forgotten_password_is_reset_once_and_ends_every_session(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let signed_in = app.signed_in_browser("ann@example.com").await;

    let b = browser();
    let known = forgot_password(&app, &b, "ann@example.com").await;
    let unknown = forgot_password(&app, &b, "nobody@example.com").await;
    let (known, unknown) = (known.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(without_csrf(&known), without_csrf(&unknown));
    assert!(known.contains("If an account exists for this address"));
    let message = mail.wait_for("ann@example.com", "Reset your").await;
    let link = message.link(&app.url("/reset-password?token="));
    let token = link.split("token=").nth(1).unwrap().to_owned();

    let form = b.get(&link).fetch_text().await;
    let csrf = form_field(&form, "csrf_token").unwrap();
    let reset = |password: &str| {
        let form = [
            ("csrf_token", &*csrf),
            ("token", &token),
            ("password", password),
        ];
        b.post(app.url("/reset-password")).form(&form).fetch()
    };
    let weak = reset("short").await;
    assert_eq!(weak.status(), 422);
    let done = reset("a brand new password").await;
    assert_eq!(
        done.status(),
        200,
        "a refused password did not use up the link"
    );
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("every session was signed out")
    );
    let again = reset("yet another password").await;
    assert_eq!(again.status(), 400);

    mail.wait_for("ann@example.com", "password was changed")
        .await;
    assert_eq!(
        app.login(&browser(), "ann@example.com", PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(&browser(), "ann@example.com", "a brand new password")
            .await
            .status(),
        303
    );
    let account = signed_in.get(app.url("/account")).fetch().await;
    assert_eq!(
        account.headers()["location"],
        "/login",
        "the other session ended"
    );
    let refreshed = app.refreshed("webapp", &secret, &tokens).await;
    assert_eq!(
        refreshed["error"], "invalid_grant",
        "refresh tokens are revoked"
    );
}

#[both_backends]
async fn totp_is_enrolled_required_at_login_and_backed_by_recovery_codes(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let b = app.signed_in_browser("ann@example.com").await;
    let enrol = app
        .submit(&b, "/account", "/account/totp", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(enrol.contains("data:image/svg+xml;base64,"), "a QR code");
    let secret = totp_secret(&enrol);
    let now = || u64::try_from(app.clock.unix()).unwrap();
    let wrong = app
        .on_account(&b, "/account/totp/confirm", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status(), 422);
    let codes_page = app
        .on_account(
            &b,
            "/account/totp/confirm",
            &[("code", &code_for(&secret, now()).unwrap())],
        )
        .await
        .text()
        .await
        .unwrap();
    let recovery: Vec<String> = codes_page
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);

    // Log in again: the password alone is not enough.
    let b = browser();
    let second = app.login(&b, "ann@example.com", PASSWORD).await;
    assert_eq!(second.status(), 200);
    let page = second.text().await.unwrap();
    assert!(page.contains("Code from your authenticator app"));
    let post = |code: String| second_step(&app, &b, &page, "totp", ("code", code));
    // The code used to confirm the enrolment is spent (RFC 6238 section 5.2).
    let replay = post(code_for(&secret, now()).unwrap()).await;
    assert_eq!(replay.status(), 401);
    assert!(replay.text().await.unwrap().contains("already used"));
    app.clock.advance(time::Duration::seconds(30));
    let ok = post(code_for(&secret, now()).unwrap()).await;
    assert_eq!(ok.status(), 303);
    let audit = app
        .provider
        .store()
        .audit_events(&auth_core::store::AuditFilter {
            event: Some("login".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.details.contains("pwd otp mfa")));

    // A recovery code works once.
    for (attempt, expected) in [(&recovery[0], 303), (&recovery[0], 401)] {
        let b = browser();
        let page = app.second_step_page(&b, "ann@example.com").await;
        let recovery_code = ("recovery_code", attempt.to_uppercase());
        let response = second_step(&app, &b, &page, "totp", recovery_code).await;
        assert_eq!(response.status(), expected);
    }

    // Turning it off needs the password and a code.
    let refused = app
        .on_account(
            &b,
            "/account/totp/disable",
            &[("current_password", "wrong password!"), ("code", "123456")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let code = app.account_code(&b, &mail, "ann@example.com").await;
    let off = app
        .on_account(
            &b,
            "/account/totp/disable",
            &[("current_password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(off.headers()["location"], "/account?notice=totp-off");
    assert_eq!(
        app.login(&browser(), "ann@example.com", PASSWORD)
            .await
            .status(),
        303
    );
}

#[both_backends]
async fn an_emailed_code_is_the_second_factor_when_configured(backend: Backend) {
    let (app, mail) =
        spawn_app_with_mail(backend, |c| c.account.email_code_second_factor = true).await;
    app.user("ann@example.com").await;
    let b = browser();
    let page = app.second_step_page(&b, "ann@example.com").await;
    assert!(page.contains("Code we sent to your e-mail address"));
    let code = mail.wait_for("ann@example.com", "code").await.code();
    let submit = |code: String| second_step(&app, &b, &page, "email", ("code", code));
    let wrong = submit("000000".into()).await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("4 tries left"));
    assert_eq!(submit(code).await.status(), 303);
}

#[both_backends]
async fn changing_the_password_signs_out_other_sessions(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let (here, elsewhere) = (browser(), browser());
    for b in [&here, &elsewhere] {
        assert_eq!(
            app.login(b, "ann@example.com", PASSWORD).await.status(),
            303
        );
    }
    let wrong = app
        .on_account(
            &here,
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("The current password is not correct.")
    );
    let changed = app
        .on_account(
            &here,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(changed.headers()["location"], "/account?notice=password");
    assert_eq!(
        here.get(app.url("/account")).fetch_status().await,
        200,
        "this session stays"
    );
    assert_eq!(
        elsewhere.get(app.url("/account")).fetch().await.headers()["location"],
        "/login"
    );
    mail.wait_for("ann@example.com", "password was changed")
        .await;
}

#[both_backends]
async fn changing_the_address_needs_a_code_and_confirming_the_new_one(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let b = browser();
    app.login(&b, "ann@example.com", PASSWORD).await;
    let without = app
        .on_account(
            &b,
            "/account/email",
            &[("new_email", "ann@new.example.com"), ("code", "123456")],
        )
        .await;
    assert_eq!(without.status(), 422);
    let changed = app
        .change_email(&b, &mail, "ann@example.com", "ann@new.example.com")
        .await;
    assert_eq!(changed.headers()["location"], "/account?notice=email");
    let link = mail
        .wait_for("ann@new.example.com", "Confirm your e-mail address")
        .await
        .link(&app.url("/verify-email?token="));
    assert_eq!(app.confirm_email(&b, &link).await.status(), 200);
    let user = app.stored_user("ann@new.example.com").await;
    assert!(user.email_verified);
    let without_code = app
        .on_account(
            &b,
            "/account/profile",
            &[("name", "Ann New"), ("phone_number", "+44 20 7946 0958")],
        )
        .await;
    assert_eq!(without_code.status(), 422);
    assert!(
        without_code
            .text()
            .await
            .unwrap()
            .contains("Changing the phone number needs a code")
    );
    let code = app.account_code(&b, &mail, "ann@new.example.com").await;
    let profile = app
        .on_account(
            &b,
            "/account/profile",
            &[
                ("name", "Ann New"),
                ("locale", "en-GB"),
                ("phone_number", "+44 20 7946 0958"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(profile.headers()["location"], "/account?notice=saved");
    let user = app.provider.store().user(&user.id).await.unwrap().unwrap();
    assert_eq!(user.phone_number.as_deref(), Some("+442079460958"));
    let bad = app
        .on_account(
            &b,
            "/account/profile",
            &[("name", "x"), ("locale", "en_GB")],
        )
        .await;
    assert_eq!(bad.status(), 422);
}

#[both_backends]
async fn too_many_codes_or_reset_requests_from_one_address_are_refused(backend: Backend) {
    let (app, _mail) = spawn_app_with_mail(backend, |c| {
        c.rate_limits.forgot_password_per_ip = auth_server::config::LimitConfig {
            limit: 2,
            window_secs: 600,
        };
        c.rate_limits.otp_verify_per_ip = auth_server::config::LimitConfig {
            limit: 2,
            window_secs: 600,
        };
    })
    .await;
    let b = browser();
    for _ in 0..2 {
        let asked = forgot_password(&app, &b, "x@example.com").await;
        assert_eq!(asked.status(), 200);
    }
    let limited = forgot_password(&app, &b, "x@example.com").await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 600);
    for expected in [401, 401, 429] {
        let response = app
            .submit(
                &b,
                "/login",
                "/login/second-factor",
                &[
                    ("challenge", "lc_x"),
                    ("method", "totp"),
                    ("code", "123456"),
                ],
            )
            .await;
        assert_eq!(response.status(), expected);
    }
}
