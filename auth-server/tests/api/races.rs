//! Races: many concurrent uses of one single-use secret, repeated many times, each time with
//! exactly one winner. One authorization code, one refresh token, one e-mail address at
//! sign-up, one e-mailed code, one TOTP code.
//!
//! The requests of one round go out together over separate connections; the server runs them
//! on its worker threads against the real database, so each round is a real race between
//! transactions. A round that let two through, or lost every attempt, fails the test.

use crate::support::{
    Backend, PASSWORD, ReceivedMail, SmtpSink, TestApp, both_backends, browser, db_count,
    form_field, spawn_app_with, spawn_app_with_mail,
};
use crate::walks::{code_in, tokens_in};
use auth_core::clock::Clock;
use auth_server::config::Config;
use auth_testkit::Fetch as _;
use futures::future::join_all;
use serde_json::{Value, json};

/// Rounds per race and backend.
const ROUNDS: usize = 40;
/// Rounds of the races that hash a password per contender (argon2 at OWASP cost).
const HASHING_ROUNDS: usize = 30;
/// Concurrent attempts per round.
const CONTENDERS: usize = 6;

/// The limits that would otherwise stop a test that signs up and logs in this often.
fn unthrottled(c: &mut Config) {
    for limit in [
        &mut c.rate_limits.signup_per_ip,
        &mut c.rate_limits.otp_send_per_account,
        &mut c.rate_limits.otp_verify_per_ip,
        &mut c.rate_limits.login_per_ip,
        &mut c.rate_limits.verification_per_account,
        &mut c.rate_limits.login_per_account,
        &mut c.rate_limits.signup_per_address,
        &mut c.rate_limits.otp_send_per_ip,
        &mut c.rate_limits.second_factor_failures_per_account,
        &mut c.rate_limits.pending_authorizations_per_ip,
    ] {
        limit.limit = 100_000;
    }
}

/// Status and JSON body of each answer.
async fn answers(
    requests: impl IntoIterator<Item = impl Future<Output = reqwest::Response>>,
) -> Vec<(u16, Value)> {
    join_all(requests.into_iter().map(|request| async move {
        let response = request.await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }))
    .await
}

/// A server with the code-flow client `webapp` (`configure`d) and the user ann, the client's
/// secret, and a browser that keeps ann's session and consent across rounds, so only the first
/// round logs in.
async fn webapp_and_ann(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> (TestApp, String, reqwest::Client) {
    let app = spawn_app_with(backend, configure).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    (app, secret, browser())
}

/// A refresh token of ann's at `webapp`, through the code flow in `browser`.
async fn refresh_token(app: &TestApp, browser: &reqwest::Client, secret: &str) -> String {
    tokens_in(app, browser, ("webapp", secret), "ann@example.com").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The bodies of the answers with status 200.
fn winners(answers: &[(u16, Value)]) -> Vec<&Value> {
    answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect()
}

/// The audit log's entries of `event`.
async fn audited(app: &TestApp, event: &str) -> Vec<auth_core::store::AuditEvent> {
    app.provider
        .store()
        .audit_events(&auth_core::store::AuditFilter {
            event: Some(event.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The next mail the sink receives after the first `seen`.
async fn next_mail(sink: &SmtpSink, seen: usize) -> ReceivedMail {
    for _ in 0..150 {
        if let Some(mail) = sink.received().get(seen) {
            return mail.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no new mail after {seen}");
}

#[both_backends]
async fn concurrent_redemptions_of_one_code_let_exactly_one_win(backend: Backend) {
    let (app, secret, browser) = webapp_and_ann(backend, |_| {}).await;
    for round in 0..ROUNDS {
        let (code, pkce) = code_in(&app, &browser, "webapp", "ann@example.com").await;
        let answers = answers(
            (0..CONTENDERS).map(|_| app.exchange("webapp", &secret, &code, &pkce.verifier)),
        )
        .await;
        let winners = winners(&answers);
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(*status, 400, "round {round}: {body}");
            assert_eq!(body["error"], "invalid_grant");
            assert_eq!(
                body["error_description"],
                "the authorization code was already used; the tokens issued with it are revoked"
            );
        }
        // RFC 6749 section 4.1.2: the second use revoked what the first one issued.
        let refresh = winners[0]["refresh_token"].as_str().unwrap();
        assert_eq!(
            app.refresh("webapp", &secret, refresh, None).await.status(),
            400,
            "round {round}"
        );
        assert!(
            !app.is_active(
                "webapp",
                &secret,
                winners[0]["access_token"].as_str().unwrap()
            )
            .await
        );
    }
    // One family and one refresh token per code: no loser wrote anything.
    let rounds = i64::try_from(ROUNDS).unwrap();
    assert_eq!(
        db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM authorization_codes WHERE used_at IS NOT NULL"
        )
        .await,
        rounds
    );
    assert_eq!(
        db_count(&app.db.url, "SELECT COUNT(*) FROM token_families").await,
        rounds
    );
    assert_eq!(
        db_count(&app.db.url, "SELECT COUNT(*) FROM refresh_tokens").await,
        rounds
    );
    assert_eq!(
        db_count(&app.db.url, "SELECT COUNT(*) FROM family_access_tokens").await,
        rounds
    );
}

#[both_backends]
async fn concurrent_refreshes_of_one_token_let_exactly_one_win(backend: Backend) {
    let (app, secret, browser) = webapp_and_ann(backend, |_| {}).await;
    for round in 0..ROUNDS {
        let token = refresh_token(&app, &browser, &secret).await;
        let answers =
            answers((0..CONTENDERS).map(|_| app.refresh("webapp", &secret, &token, None))).await;
        let winners = winners(&answers);
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(*status, 400, "round {round}: {body}");
            assert_eq!(body["error"], "invalid_grant");
            // A loser either lost the conditional update, or read the token after another
            // loser had already revoked the family.
            let description = body["error_description"].as_str().unwrap();
            assert!(
                description
                    == "the refresh token was already used; every token of its grant is revoked"
                    || description == "the refresh token has been revoked",
                "round {round}: {description}"
            );
        }
        // RFC 9700 section 4.14.2: the reuse revoked the family, the winner's new token too.
        let child = winners[0]["refresh_token"].as_str().unwrap();
        assert_eq!(
            app.refresh("webapp", &secret, child, None).await.status(),
            400,
            "round {round}"
        );
    }
    // Each family holds its first token, rotated once, and exactly one child.
    let rounds = i64::try_from(ROUNDS).unwrap();
    assert_eq!(
        db_count(&app.db.url, "SELECT COUNT(*) FROM token_families").await,
        rounds
    );
    assert_eq!(
        db_count(&app.db.url, "SELECT COUNT(*) FROM refresh_tokens").await,
        2 * rounds
    );
    assert_eq!(
        db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM refresh_tokens WHERE rotated_at IS NOT NULL"
        )
        .await,
        rounds
    );
    assert_eq!(
        db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM token_families f WHERE revoked_at IS NULL \
            OR (SELECT COUNT(*) FROM refresh_tokens r WHERE r.family_id = f.id) <> 2"
        )
        .await,
        0,
        "every family has two tokens and is revoked"
    );
}

#[both_backends]
async fn concurrent_retries_within_the_refresh_grace_keep_one_live_token(backend: Backend) {
    let (app, secret, browser) =
        webapp_and_ann(backend, |c| c.tokens.refresh_reuse_grace_secs = 30).await;
    for round in 0..ROUNDS {
        let first = refresh_token(&app, &browser, &secret).await;
        // The client lost this answer, and retries from several connections at once.
        let lost = app.refresh("webapp", &secret, &first, None).await;
        assert_eq!(lost.status(), 200, "round {round}");
        let answers =
            answers((0..CONTENDERS).map(|_| app.refresh("webapp", &secret, &first, None))).await;
        let winners = winners(&answers);
        assert!(!winners.is_empty(), "round {round}: {answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(*status, 400, "round {round}: {body}");
            assert_eq!(
                body["error_description"],
                "the refresh token was already used by a concurrent request",
                "round {round}"
            );
        }
        // Each winner retired the one before it: exactly one answer's access token is live,
        // and its refresh token is the grant's one live token.
        let mut live = Vec::new();
        for winner in &winners {
            let access = winner["access_token"].as_str().unwrap();
            if app.is_active("webapp", &secret, access).await {
                live.push(*winner);
            }
        }
        assert_eq!(live.len(), 1, "round {round}: {winners:?}");
        let next = live[0]["refresh_token"].as_str().unwrap();
        assert_eq!(
            app.refresh("webapp", &secret, next, None).await.status(),
            200,
            "round {round}: the grant lives on"
        );
    }
    assert_eq!(
        db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM token_families f WHERE revoked_at IS NOT NULL \
             OR (SELECT COUNT(*) FROM refresh_tokens r \
                 WHERE r.family_id = f.id AND r.rotated_at IS NULL) <> 1"
        )
        .await,
        0,
        "no grant was revoked, and each has one live refresh token"
    );
}

#[both_backends]
async fn concurrent_sign_ups_with_one_address_create_one_account(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, unthrottled).await;
    for round in 0..HASHING_ROUNDS {
        let email = format!("racer{round}@example.com");
        // Two through the hosted form, two through the JSON API, all at once; one shouts.
        let page = |email: String| {
            let app = &app;
            async move {
                let b = browser();
                let html = b.get(app.url("/signup")).fetch_text().await;
                let form = [
                    ("csrf_token", form_field(&html, "csrf_token").unwrap()),
                    ("email", email),
                    ("password", PASSWORD.to_owned()),
                    ("name", "Racer".to_owned()),
                ];
                let response = b.post(app.url("/signup")).form(&form).fetch().await;
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        let api = |email: String| {
            let request = app
                .http
                .post(app.url("/api/account/register"))
                .json(&json!({"email": email, "password": PASSWORD}));
            async move {
                let response = request.fetch().await;
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        let (pages, apis) = futures::join!(
            join_all([page(email.clone()), page(email.to_uppercase())]),
            join_all([api(email.clone()), api(email.clone())]),
        );
        // Every sign-up gets the same answer whether or not it won (no account enumeration);
        // the address's owner learns of the others by e-mail (checked below).
        for (status, body) in &pages {
            assert_eq!(*status, 200, "round {round}: {body}");
            assert!(body.contains("Check your e-mail"), "round {round}: {body}");
        }
        for (status, body) in &apis {
            assert_eq!(*status, 202, "round {round}: {body}");
            assert_eq!(
                serde_json::from_str::<Value>(body).unwrap(),
                json!({"status": "accepted"})
            );
        }
        let accounts = db_count(
            &app.db.url,
            &format!("SELECT COUNT(*) FROM users WHERE email_normalized = '{email}'"),
        )
        .await;
        assert_eq!(accounts, 1, "round {round}: exactly one account");
    }
    assert_eq!(
        db_count(&app.db.url, "SELECT COUNT(*) FROM users").await,
        i64::try_from(HASHING_ROUNDS).unwrap()
    );
    // Per address: one verification link for the winner, three "you already have an
    // account" notices for the others.
    let expected = 4 * HASHING_ROUNDS;
    for _ in 0..200 {
        if mail.received().len() >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let received = mail.received();
    assert_eq!(received.len(), expected);
    for round in 0..HASHING_ROUNDS {
        let to = format!("racer{round}@example.com");
        let theirs: Vec<&ReceivedMail> = received
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(&to)))
            .collect();
        let links = theirs
            .iter()
            .filter(|m| m.text.contains("/verify-email?token="))
            .count();
        assert_eq!(
            (theirs.len(), links),
            (4, 1),
            "mails to {to}: {:?}",
            theirs.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
    }
    let audit = audited(&app, "signup").await;
    assert_eq!(
        audit.iter().filter(|e| e.outcome == "success").count(),
        HASHING_ROUNDS
    );
    assert_eq!(
        audit.iter().filter(|e| e.outcome == "failure").count(),
        3 * HASHING_ROUNDS
    );
}

#[both_backends]
async fn concurrent_attempts_with_one_emailed_code_let_exactly_one_succeed(backend: Backend) {
    const ATTEMPTS: i64 = 3;
    let (app, mail) = spawn_app_with_mail(backend, |c| {
        unthrottled(c);
        c.account.one_time_code_attempts = ATTEMPTS;
    })
    .await;
    let secret = crate::route_rules::first_party_client(&app, "webapp").await;
    app.user("ann@example.com").await;
    let access = crate::route_rules::first_party_tokens(&app, "webapp", &secret, "ann@example.com")
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let account_api = |path: &str, body: Value| {
        app.http
            .post(app.url(path))
            .bearer_auth(&access)
            .json(&body)
    };
    let verify =
        |code: String| account_api("/api/account/otp/verify", json!({"code": code})).send();
    for round in 0..ROUNDS {
        let seen = mail.received().len();
        let sent = account_api("/api/account/otp/send", json!({}))
            .fetch()
            .await;
        assert_eq!(sent.status(), 202);
        let code = next_mail(&mail, seen).await.code();
        let wrong = format!("{}{}", (code.as_bytes()[0] - b'0' + 1) % 10, &code[1..]);
        if round % 2 == 0 {
            // The right code, several times at once: one success.
            let answers = answers((0..CONTENDERS).map(|_| {
                let (verify, code) = (&verify, code.clone());
                async move { verify(code).await.unwrap() }
            }))
            .await;
            let winners = answers.iter().filter(|(s, _)| *s == 200).count();
            assert_eq!(winners, 1, "round {round}: {answers:?}");
            for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
                assert_eq!(*status, 400);
                assert_eq!(
                    body["error_description"],
                    "there is no valid code; request a new one"
                );
            }
        } else {
            // Twice as many wrong guesses as allowed, at once: exactly the allowed number is
            // counted, the rest find the code used up, and it stays used up for the right one.
            let guesses = usize::try_from(2 * ATTEMPTS).unwrap();
            let answers = answers((0..guesses).map(|_| {
                let (verify, wrong) = (&verify, wrong.clone());
                async move { verify(wrong).await.unwrap() }
            }))
            .await;
            let mut left: Vec<String> = answers
                .iter()
                .filter_map(|(_, b)| {
                    b["error_description"]
                        .as_str()
                        .and_then(|d| d.strip_prefix("the code is not correct; "))
                        .map(str::to_owned)
                })
                .collect();
            left.sort();
            assert_eq!(
                left,
                ["0 tries left", "1 tries left", "2 tries left"],
                "round {round}: {answers:?}"
            );
            let spent = answers
                .iter()
                .filter(|(_, b)| {
                    b["error_description"] == "there is no valid code; request a new one"
                })
                .count();
            assert_eq!(spent, guesses - left.len(), "round {round}: {answers:?}");
            assert!(
                answers.iter().all(|(s, _)| *s == 400),
                "round {round}: {answers:?}"
            );
            let right = verify(code.clone()).await.unwrap();
            assert_eq!(right.status(), 400, "round {round}: the code is spent");
        }
    }
}

#[both_backends]
async fn concurrent_logins_with_one_totp_code_let_exactly_one_through(backend: Backend) {
    let app = spawn_app_with(backend, unthrottled).await;
    let user = app.user("ann@example.com").await;
    let enrolment = auth_core::otp::totp::begin(&app.provider, &user)
        .await
        .unwrap();
    let now = || u64::try_from(app.clock.unix()).unwrap();
    let code_now = || auth_core::otp::totp::code_for(&enrolment.secret_base32, now()).unwrap();
    auth_core::otp::totp::confirm(&app.provider, &user, &code_now())
        .await
        .unwrap();
    for round in 0..HASHING_ROUNDS {
        // Two browsers past the password, each sending the same code twice at once.
        let browsers = [browser(), browser()];
        let mut forms = Vec::new();
        for b in &browsers {
            let page = app
                .log_in(b, &app.url("/login"), "ann@example.com", PASSWORD)
                .await
                .text()
                .await
                .unwrap();
            forms.push((
                form_field(&page, "csrf_token").unwrap(),
                form_field(&page, "challenge").unwrap(),
            ));
        }
        // The next 30-second step, so the code is new to the server.
        app.clock.advance(time::Duration::seconds(30));
        let code = code_now();
        let mut attempts = Vec::new();
        for (b, (csrf, challenge)) in browsers.iter().zip(&forms) {
            for _ in 0..2 {
                let form = [
                    ("csrf_token", csrf.as_str()),
                    ("challenge", challenge.as_str()),
                    ("method", "totp"),
                    ("code", code.as_str()),
                ];
                attempts.push(b.post(app.url("/login/second-factor")).form(&form).send());
            }
        }
        let statuses: Vec<(u16, String)> =
            join_all(attempts.into_iter().map(|request| async move {
                let response = request.await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }))
            .await;
        assert_eq!(
            statuses.iter().filter(|(s, _)| *s == 303).count(),
            1,
            "round {round}: {statuses:?}"
        );
        for (status, body) in statuses.iter().filter(|(s, _)| *s != 303) {
            assert_eq!(*status, 401, "round {round}");
            // The code was spent, or (a second post of the winning browser) its challenge was.
            assert!(
                body.contains("This code was already used; wait for the next one.")
                    || body.contains("This sign-in has expired or had too many wrong codes."),
                "round {round}: {body}"
            );
        }
    }
    let logins = audited(&app, "login").await;
    assert_eq!(
        logins.iter().filter(|e| e.outcome == "success").count(),
        HASHING_ROUNDS,
        "one login per code"
    );
}
