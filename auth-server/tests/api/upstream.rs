//! Sign-in with an upstream identity provider (issue 23): the upstream is a second instance of
//! this very server, on `localhost` (its own cookies: a browser keeps cookies per host, not per
//! port), with a client registered for the downstream's callback. Nothing is mocked.

use crate::support::{
    Backend, PASSWORD, Pkce, REDIRECT_URI, TestApp, UpstreamPair, both_backends, browser, db_count,
    form_field, query_of, sign_in, spawn_app_with,
};
use auth_core::roles::{self, Role, RoleName};
use auth_core::users;
use auth_server::config::Config;
use auth_testkit::Fetch as _;
use serde_json::Value;

/// An upstream server and a downstream server that lets its users sign in with it.
struct Pair {
    upstream: TestApp,
    /// The upstream's issuer (`http://localhost:{port}`).
    issuer: String,
    downstream: TestApp,
}

impl Pair {
    async fn new(backend: Backend) -> Self {
        Self::with(backend, |_| {}).await
    }

    async fn with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        let UpstreamPair {
            upstream,
            issuer,
            downstream,
        } = UpstreamPair::start(backend, configure).await;
        Self {
            upstream,
            issuer,
            downstream,
        }
    }

    /// Presses the provider's button on the downstream's login page at `login_url`; returns
    /// the upstream authorization URL the browser is sent to.
    async fn press_button(&self, browser: &reqwest::Client, login_url: &str) -> String {
        let page = browser.get(login_url).fetch_text().await;
        assert!(page.contains("Sign in with Upstream"), "{page}");
        let mut form = vec![("csrf_token", form_field(&page, "csrf_token").unwrap())];
        if let Some(request) = form_field(&page, "request") {
            form.push(("request", request));
        }
        let response = browser
            .post(self.downstream.url("/login/upstream/up"))
            .form(&form)
            .fetch()
            .await;
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&self.issuer), "{location}");
        location
    }

    /// The whole walk up to the downstream's callback URL: the button, the upstream's login
    /// and consent pages as `email`.
    async fn callback_url(&self, browser: &reqwest::Client, email: &str) -> String {
        let authorize = self
            .press_button(browser, &self.downstream.url("/login"))
            .await;
        let callback = sign_in(browser, &self.issuer, &authorize, email).await;
        assert!(
            callback.starts_with(&self.downstream.url("/login/upstream/up/callback?")),
            "{callback}"
        );
        callback
    }

    /// How many accounts the downstream has.
    async fn accounts_here(&self) -> i64 {
        db_count(&self.downstream.db.url, "SELECT COUNT(*) FROM users").await
    }

    /// Signs in at the downstream through the upstream as `email`: the callback's answer.
    async fn sign_in(&self, browser: &reqwest::Client, email: &str) -> reqwest::Response {
        let callback = self.callback_url(browser, email).await;
        browser.get(&callback).fetch().await
    }

    async fn linked(&self) -> i64 {
        db_count(
            &self.downstream.db.url,
            "SELECT COUNT(*) FROM upstream_identities",
        )
        .await
    }
}

async fn role(app: &TestApp, name: &str) {
    roles::create(
        &app.provider,
        &Role {
            name: RoleName::parse(name).unwrap(),
            description: String::new(),
            permissions: vec![],
        },
    )
    .await
    .unwrap();
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A user at `app` whose address is not verified.
fn claims_of(id_token: &str) -> Value {
    use base64::Engine;
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[both_backends]
async fn a_first_upstream_sign_in_creates_the_account_and_the_code_flow_goes_on(backend: Backend) {
    let pair = Pair::new(backend).await;
    let upstream_user = pair.upstream.user("ann@example.com").await;
    role(&pair.upstream, "staff").await;
    roles::grant(
        &pair.upstream.provider,
        &upstream_user.id,
        &RoleName::parse("staff").unwrap(),
    )
    .await
    .unwrap();
    role(&pair.downstream, "coach").await;
    let secret = pair.downstream.code_client("shop").await;
    let browser = browser();
    let pkce = Pkce::new();
    // An application of the downstream asks to sign the user in.
    let login = pair
        .downstream
        .follow(&browser, &pair.downstream.authorize_url("shop", &pkce, &[]))
        .await;
    assert!(login.contains("/login?request="), "{login}");
    let authorize = pair.press_button(&browser, &login).await;
    let callback = sign_in(&browser, &pair.issuer, &authorize, "ann@example.com").await;
    let answer = browser.get(&callback).fetch().await;
    assert_eq!(answer.status(), 303);
    // Back into the pending authorization request: consent, then the application's callback.
    let next = location(&answer);
    assert!(next.starts_with("/authorize/continue?request="), "{next}");
    let consent = pair
        .downstream
        .follow(&browser, &pair.downstream.url(&next))
        .await;
    let page = browser.get(&consent).fetch_text().await;
    let form = [
        ("csrf_token", form_field(&page, "csrf_token").unwrap()),
        ("request", form_field(&page, "request").unwrap()),
        ("decision", "allow".to_owned()),
    ];
    let response = browser
        .post(pair.downstream.url("/consent"))
        .form(&form)
        .fetch()
        .await;
    let app_callback = location(&response);
    assert!(app_callback.starts_with(REDIRECT_URI), "{app_callback}");
    let code = query_of(&app_callback)["code"].clone();
    let tokens: Value = pair
        .downstream
        .exchange("shop", &secret, &code, &pkce.verifier)
        .await
        .json()
        .await
        .unwrap();
    let claims = claims_of(tokens["id_token"].as_str().unwrap());

    let user = pair.downstream.stored_user("ann@example.com").await;
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["amr"], serde_json::json!(["fed"]));
    assert!(
        user.email_verified,
        "the upstream said the address is verified"
    );
    assert!(user.password_hash.is_none());
    // The role mapping: `roles` contains `staff` at the upstream, so `coach` here.
    let grants = pair
        .downstream
        .provider
        .store()
        .user_grants(&user.id)
        .await
        .unwrap();
    assert_eq!(grants.roles, ["coach"]);
    assert_eq!(pair.linked().await, 1);

    // The next sign-in, in another browser, finds the same account.
    let sessions = browser_signed_in(&pair, "ann@example.com").await;
    assert_eq!(sessions, 2, "one session per browser, both `fed`");
    assert_eq!(pair.accounts_here().await, 1);
}

/// Signs in through the upstream in a fresh browser and returns how many sessions the
/// downstream has.
async fn browser_signed_in(pair: &Pair, email: &str) -> i64 {
    let browser = browser();
    let answer = pair.sign_in(&browser, email).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/account");
    let account = browser.get(pair.downstream.url("/account")).fetch().await;
    assert_eq!(account.status(), 200);
    db_count(
        &pair.downstream.db.url,
        "SELECT COUNT(*) FROM sessions WHERE amr = 'fed'",
    )
    .await
}

#[both_backends]
async fn linking_an_existing_account_needs_its_password(backend: Backend) {
    let pair = Pair::new(backend).await;
    pair.upstream.user("ann@example.com").await;
    let local = pair.downstream.user("ann@example.com").await;
    let browser = browser();
    let answer = pair.sign_in(&browser, "ann@example.com").await;
    assert_eq!(answer.status(), 200, "the link page, not a session");
    let page = answer.text().await.unwrap();
    assert!(page.contains("Link accounts"), "{page}");
    let handle = form_field(&page, "handle").unwrap();
    let csrf = form_field(&page, "csrf_token").unwrap();
    let account = browser.get(pair.downstream.url("/account")).fetch().await;
    assert_eq!(account.status(), 303, "not signed in before the password");

    let post = |password: &'static str| {
        browser
            .post(pair.downstream.url("/login/upstream-continue"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("handle", handle.as_str()),
                ("password", password),
            ])
            .fetch()
    };
    let wrong = post("not the password at all").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(pair.linked().await, 0, "a wrong password links nothing");
    let account = browser.get(pair.downstream.url("/account")).fetch().await;
    assert_eq!(account.status(), 303);

    // Another browser cannot use the handle, even with the password.
    let other = crate::support::browser();
    let other_csrf = pair
        .downstream
        .form_page(&other, &pair.downstream.url("/login"))
        .await
        .1;
    let stolen = other
        .post(pair.downstream.url("/login/upstream-continue"))
        .form(&[
            ("csrf_token", other_csrf.as_str()),
            ("handle", handle.as_str()),
            ("password", PASSWORD),
        ])
        .fetch()
        .await;
    assert_eq!(stolen.status(), 401);
    assert_eq!(pair.linked().await, 0);

    let right = post(PASSWORD).await;
    assert_eq!(right.status(), 303);
    assert_eq!(location(&right), "/account");
    assert_eq!(pair.linked().await, 1);
    let identity = pair
        .downstream
        .provider
        .store()
        .upstream_identities(&local.id)
        .await
        .unwrap();
    assert_eq!(identity.len(), 1);
    // The handle was single use.
    assert_eq!(post(PASSWORD).await.status(), 401);
    // From now on the upstream signs in to the local account directly.
    browser_signed_in(&pair, "ann@example.com").await;
    let audit = db_count(
        &pair.downstream.db.url,
        "SELECT COUNT(*) FROM audit_events WHERE event = 'upstream_link' AND outcome = 'success'",
    )
    .await;
    assert_eq!(audit, 1);
}

#[both_backends]
async fn an_unverified_upstream_address_neither_links_nor_makes_a_second_account(backend: Backend) {
    let pair = Pair::new(backend).await;
    pair.upstream.unverified_user("ann@example.com").await;
    pair.downstream.user("ann@example.com").await;
    let answer = pair.sign_in(&browser(), "ann@example.com").await;
    assert_eq!(answer.status(), 409);
    let page = answer.text().await.unwrap();
    assert!(
        page.contains("does not confirm your e-mail address"),
        "{page}"
    );
    assert!(
        !page.contains("name=\"password\""),
        "no way to link: {page}"
    );
    assert_eq!(pair.linked().await, 0);
    assert_eq!(pair.accounts_here().await, 1);

    // An anonymous caller with an unverified upstream address learns nothing about the local
    // accounts: an address nobody has here gets the same answer (attack review of issue 23).
    pair.upstream.unverified_user("nobody@example.com").await;
    let unknown = pair.sign_in(&browser(), "nobody@example.com").await;
    assert_eq!(unknown.status(), 409);
    assert_eq!(unknown.text().await.unwrap(), page);
    assert_eq!(pair.accounts_here().await, 1);
}

#[both_backends]
async fn an_unverified_address_makes_an_unverified_account_only_where_that_is_allowed(
    backend: Backend,
) {
    // The default (`account.require_verified_email`): refused, no account.
    let pair = Pair::new(backend).await;
    pair.upstream.unverified_user("bob@example.com").await;
    let answer = pair.sign_in(&browser(), "bob@example.com").await;
    assert_eq!(answer.status(), 409);
    assert_eq!(pair.accounts_here().await, 0);

    let pair = Pair::with(backend, |c| c.account.require_verified_email = false).await;
    pair.upstream.unverified_user("bob@example.com").await;
    let answer = pair.sign_in(&browser(), "bob@example.com").await;
    assert_eq!(answer.status(), 303);
    let user = pair.downstream.stored_user("bob@example.com").await;
    assert!(!user.email_verified);
}

#[both_backends]
async fn a_forged_replayed_or_other_browsers_state_is_refused(backend: Backend) {
    let pair = Pair::new(backend).await;
    pair.upstream.user("ann@example.com").await;

    // A state the downstream never issued.
    let browser_a = browser();
    let callback = pair.callback_url(&browser_a, "ann@example.com").await;
    let forged = callback.replace("state=ups_", "state=ups_x");
    let answer = browser_a.get(&forged).fetch().await;
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("another browser"));

    // The genuine callback in the browser that started it works once; a replay is refused.
    let answer = browser_a.get(&callback).fetch().await;
    assert_eq!(
        answer.status(),
        303,
        "the forged state did not spend the real one"
    );
    let replay = browser().get(&callback).fetch().await;
    assert_eq!(replay.status(), 400);
    let replay = browser_a.get(&callback).fetch().await;
    assert_eq!(replay.status(), 400);

    // Another browser gets a callback URL meant for this one (login CSRF): refused.
    let callback = pair.callback_url(&browser(), "ann@example.com").await;
    let attacker = browser();
    let answer = attacker.get(&callback).fetch().await;
    assert_eq!(answer.status(), 400);
    let account = attacker.get(pair.downstream.url("/account")).fetch().await;
    assert_eq!(account.status(), 303, "no session in the other browser");
    assert_eq!(pair.linked().await, 1, "only the genuine sign-in");

    // An error from the upstream is shown only to the browser that asked, and not acted on;
    // with any other state it is the expired sign-in, whatever the error says.
    let forged = browser_a
        .get(
            pair.downstream
                .url("/login/upstream/up/callback?error=you_won_a_prize&state=whatever"),
        )
        .fetch()
        .await;
    assert_eq!(forged.status(), 400);
    let forged = forged.text().await.unwrap();
    assert!(!forged.contains("you_won_a_prize"), "{forged}");
    assert!(forged.contains("has expired"), "{forged}");
    let browser_c = browser();
    let authorize = pair
        .press_button(&browser_c, &pair.downstream.url("/login"))
        .await;
    let state = query_of(&authorize)["state"].clone();
    let refused = browser_c
        .get(pair.downstream.url(&format!(
            "/login/upstream/up/callback?error=access_denied&state={state}"
        )))
        .fetch()
        .await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("access_denied"));
    let refusals = db_count(
        &pair.downstream.db.url,
        "SELECT COUNT(*) FROM audit_events WHERE event = 'upstream_login' AND outcome = 'failure'",
    )
    .await;
    assert!(refusals >= 4, "{refusals} refusals audited");
}

#[both_backends]
async fn a_discovery_document_of_another_issuer_is_refused(backend: Backend) {
    // The same server under another name: its document names `localhost`, not `127.0.0.1`
    // (OIDC Discovery 1.0 section 4.3).
    let pair = Pair::new(backend).await;
    let wrong_issuer = pair.upstream.url("");
    let downstream = spawn_app_with(backend, |c| {
        c.upstream.providers = pair.downstream.config.upstream.providers.clone();
        c.upstream.providers[0].issuer = Some(wrong_issuer);
    })
    .await;
    let browser = browser();
    let csrf = downstream
        .form_page(&browser, &downstream.url("/login"))
        .await
        .1;
    let answer = browser
        .post(downstream.url("/login/upstream/up"))
        .form(&[("csrf_token", csrf)])
        .fetch()
        .await;
    assert_eq!(answer.status(), 502);
}

/// The wrong audience, nonce, issuer and signature of an ID token are refused by
/// `auth_core::upstream::id_token` (its unit tests sign tokens with test keys); here, the code
/// of one sign-in brought back with the state of another (code injection) fails: the code was
/// bound to the first sign-in's PKCE challenge, and the upstream refuses the second's verifier.
#[both_backends]
async fn a_code_of_another_sign_in_is_refused(backend: Backend) {
    let pair = Pair::new(backend).await;
    pair.upstream.user("ann@example.com").await;
    let browser = browser();
    let first = pair.callback_url(&browser, "ann@example.com").await;
    let second = pair.callback_url(&browser, "ann@example.com").await;
    let mut mixed = url::Url::parse(&first).unwrap();
    let pairs: Vec<(String, String)> = mixed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                query_of(&second)["state"].clone()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    mixed.query_pairs_mut().clear().extend_pairs(pairs);
    let answer = browser.get(mixed.as_str()).fetch().await;
    assert_eq!(
        answer.status(),
        502,
        "code of one sign-in with the state of another"
    );
    assert_eq!(pair.linked().await, 0);
    let account = browser.get(pair.downstream.url("/account")).fetch().await;
    assert_eq!(account.status(), 303, "not signed in");
}

#[both_backends]
async fn unlink_works_and_refuses_the_last_way_to_sign_in(backend: Backend) {
    let pair = Pair::new(backend).await;
    pair.upstream.user("ann@example.com").await;
    pair.upstream.user("bob@example.com").await;
    // Ann's account was created by the upstream sign-in: no password.
    let ann = browser();
    assert_eq!(pair.sign_in(&ann, "ann@example.com").await.status(), 303);
    let (page, csrf) = pair
        .downstream
        .form_page(&ann, &pair.downstream.url("/account"))
        .await;
    assert!(page.contains("id=\"unlink-up\""), "{page}");
    let refused = ann
        .post(pair.downstream.url("/account/upstream/up/unlink"))
        .form(&[("csrf_token", csrf.as_str())])
        .fetch()
        .await;
    assert_eq!(refused.status(), 409);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("only way to sign in")
    );
    assert_eq!(pair.linked().await, 1);

    // Bob has a password here and links the provider from his account page.
    let bob_user = pair.downstream.user("bob@example.com").await;
    let bob = browser();
    let signed_in = pair
        .downstream
        .log_in(
            &bob,
            &pair.downstream.url("/login"),
            "bob@example.com",
            PASSWORD,
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    let (page, csrf) = pair
        .downstream
        .form_page(&bob, &pair.downstream.url("/account"))
        .await;
    assert!(page.contains("id=\"link-up\""), "{page}");
    // A link is a new way in: a session signed in more than five minutes ago needs the
    // password (attack review of issue 23: a borrowed session linked the attacker's identity).
    pair.downstream.clock.advance(time::Duration::minutes(6));
    let stale = bob
        .post(pair.downstream.url("/account/upstream/up/link"))
        .form(&[("csrf_token", csrf.as_str())])
        .fetch()
        .await;
    assert_ne!(
        stale.status(),
        303,
        "a stale session cannot link without the password"
    );
    let link = bob
        .post(pair.downstream.url("/account/upstream/up/link"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", PASSWORD),
        ])
        .fetch()
        .await;
    assert_eq!(link.status(), 303);
    let callback = sign_in(&bob, &pair.issuer, &location(&link), "bob@example.com").await;
    let linked = bob.get(&callback).fetch().await;
    assert_eq!(location(&linked), "/account?notice=upstream-linked");
    let store = pair.downstream.provider.store();
    assert_eq!(
        store.upstream_identities(&bob_user.id).await.unwrap().len(),
        1
    );

    // Unlink acts on the session's own account only: Ann's attempt leaves Bob's link.
    let refused = ann
        .post(pair.downstream.url("/account/upstream/up/unlink"))
        .form(&[("csrf_token", csrf_of_account(&pair, &ann).await.as_str())])
        .fetch()
        .await;
    assert_eq!(refused.status(), 409);
    assert_eq!(
        store.upstream_identities(&bob_user.id).await.unwrap().len(),
        1
    );

    let unlinked = bob
        .post(pair.downstream.url("/account/upstream/up/unlink"))
        .form(&[("csrf_token", csrf.as_str())])
        .fetch()
        .await;
    assert_eq!(location(&unlinked), "/account?notice=upstream-unlinked");
    assert!(
        store
            .upstream_identities(&bob_user.id)
            .await
            .unwrap()
            .is_empty()
    );
    let audit = db_count(
        &pair.downstream.db.url,
        "SELECT COUNT(*) FROM audit_events WHERE event = 'upstream_unlink'",
    )
    .await;
    assert_eq!(audit, 3, "two refused, one done");
}

async fn csrf_of_account(pair: &Pair, browser: &reqwest::Client) -> String {
    pair.downstream
        .form_page(browser, &pair.downstream.url("/account"))
        .await
        .1
}

#[both_backends]
async fn a_disabled_account_cannot_sign_in_through_the_upstream(backend: Backend) {
    let pair = Pair::new(backend).await;
    pair.upstream.user("ann@example.com").await;
    assert_eq!(
        pair.sign_in(&browser(), "ann@example.com").await.status(),
        303
    );
    let user = pair.downstream.stored_user("ann@example.com").await;
    users::set_disabled(&pair.downstream.provider, &user.id, true)
        .await
        .unwrap();
    let browser = browser();
    let answer = pair.sign_in(&browser, "ann@example.com").await;
    assert_eq!(answer.status(), 403);
    let account = browser.get(pair.downstream.url("/account")).fetch().await;
    assert_eq!(account.status(), 303);
}

#[both_backends]
async fn without_account_creation_an_unknown_identity_is_refused(backend: Backend) {
    let pair = Pair::with(backend, |c| {
        c.upstream.providers[0].create_accounts = Some(false)
    })
    .await;
    pair.upstream.user("ann@example.com").await;
    let answer = pair.sign_in(&browser(), "ann@example.com").await;
    assert_eq!(answer.status(), 403);
    assert_eq!(pair.accounts_here().await, 0);
}

#[both_backends]
async fn an_account_with_an_authenticator_app_needs_it_to_link_and_after_each_upstream_sign_in(
    backend: Backend,
) {
    let pair = Pair::new(backend).await;
    pair.upstream.user("ann@example.com").await;
    let app = &pair.downstream;
    let local = app.user("ann@example.com").await;
    let enrolment = auth_core::otp::totp::begin(&app.provider, &local)
        .await
        .unwrap();
    let code_now = || {
        let now = u64::try_from(auth_core::clock::Clock::unix(app.clock.as_ref())).unwrap();
        auth_core::otp::totp::code_for(&enrolment.secret_base32, now).unwrap()
    };
    auth_core::otp::totp::confirm(&app.provider, &local, &code_now())
        .await
        .unwrap();

    let browser = browser();
    let page = pair
        .sign_in(&browser, "ann@example.com")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"code\""),
        "the link page asks for the app: {page}"
    );
    let handle = form_field(&page, "handle").unwrap();
    let csrf = form_field(&page, "csrf_token").unwrap();
    let post = |fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf_token", csrf.clone()), ("handle", handle.clone())];
        form.extend(fields);
        browser
            .post(app.url("/login/upstream-continue"))
            .form(&form)
            .fetch()
    };
    // The password alone does not link.
    let without_code = post(vec![("password", PASSWORD.to_owned())]).await;
    assert_eq!(without_code.status(), 401);
    assert_eq!(pair.linked().await, 0);
    app.clock.advance(time::Duration::seconds(30));
    let linked = post(vec![
        ("password", PASSWORD.to_owned()),
        ("code", code_now()),
    ])
    .await;
    assert_eq!(linked.status(), 303);
    assert_eq!(pair.linked().await, 1);

    // The next upstream sign-in asks for the app before the session starts.
    let other = crate::support::browser();
    let page = pair.sign_in(&other, "ann@example.com").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("One more step") && !page.contains("name=\"password\""),
        "{page}"
    );
    assert_eq!(
        other.get(app.url("/account")).fetch().await.status(),
        303,
        "no session before the code"
    );
    app.clock.advance(time::Duration::seconds(30));
    let form = [
        ("csrf_token", form_field(&page, "csrf_token").unwrap()),
        ("handle", form_field(&page, "handle").unwrap()),
        ("code", code_now()),
    ];
    let done = other
        .post(app.url("/login/upstream-continue"))
        .form(&form)
        .fetch()
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM sessions WHERE amr = 'fed otp mfa'"
        )
        .await,
        1
    );
}
