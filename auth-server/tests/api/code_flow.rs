//! The authorization code flow with PKCE, end to end over HTTP.

use crate::support::{Backend, Pkce, REDIRECT_URI, both_backends, browser, query_of, spawn_app};
use crate::walks::{code_in, decide_consent, public_client, public_exchange, verify_at};
use auth_core::clients::{AuthMethod, GrantType};
use auth_testkit::{Fetch as _, ReadJson as _};
use serde_json::Value;

/// A token request of the client `webapp` with `form` exactly as given.
async fn webapp_token(
    app: &crate::support::TestApp,
    secret: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.http
        .post(app.url("/token"))
        .basic_auth("webapp", Some(secret))
        .form(form)
        .fetch()
        .await
}

#[both_backends]
async fn the_code_flow_issues_verifiable_access_id_and_refresh_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    let user = app.user("ann@example.com").await;
    let pkce = Pkce::new();
    let browser = browser();
    let callback = app
        .authorize_as(
            &browser,
            &app.authorize_url("webapp", &pkce, &[]),
            "ann@example.com",
        )
        .await;
    let query = query_of(&callback);
    assert_eq!(query["state"], "state-123");
    assert_eq!(query["iss"], app.base_url, "RFC 9207 iss in the response");
    assert!(query["code"].starts_with("ac_"));

    let response = app
        .exchange("webapp", &secret, &query["code"], &pkce.verifier)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "email offline_access openid profile");
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("rt_"));

    let (header, access) = verify_at(
        &app,
        tokens["access_token"].as_str().unwrap(),
        &app.base_url,
    )
    .await
    .unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(access["sub"], user.id.as_str());
    assert_eq!(access["client_id"], "webapp");
    assert!(access["auth_time"].is_i64());

    let id_token = tokens["id_token"].as_str().unwrap();
    let (header, id) = verify_at(&app, id_token, "webapp").await.unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(id["sub"], user.id.as_str());
    assert_eq!(id["nonce"], "nonce-456");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["email"], "ann@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["name"], "Test User");
    assert_eq!(
        id["at_hash"],
        auth_core::tokens::id_token::at_hash(
            auth_core::keys::SigningAlgorithm::Rs256,
            tokens["access_token"].as_str().unwrap()
        )
    );
    assert!(id["sid"].is_string());
}

#[both_backends]
async fn an_unknown_client_or_redirect_uri_gets_an_error_page_and_no_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    let pkce = Pkce::new();
    let cases = [
        (
            app.authorize_url("nobody", &pkce, &[]),
            "No application is registered with client_id `nobody`.",
        ),
        (
            app.authorize_url("webapp", &pkce, &[])
                .replace("127.0.0.1%3A9%2Fcallback", "evil.example.com%2Fcb"),
            "does not match any URI registered for client `webapp`",
        ),
    ];
    for (url, message) in cases {
        let response = browser().get(&url).fetch().await;
        assert_eq!(response.status(), 400, "{url}");
        assert!(
            response.headers().get("location").is_none(),
            "never redirect to an unverified URI"
        );
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{body}");
    }
}

#[both_backends]
async fn authorization_errors_go_back_to_the_client_with_state_and_iss(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    let pkce = Pkce::new();
    let base = app.authorize_url("webapp", &pkce, &[]);
    let cases = [
        (
            base.replace("code_challenge_method=S256", "code_challenge_method=plain"),
            "invalid_request",
            "plain is not allowed",
        ),
        (
            base.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
            "response_type `token`",
        ),
        (
            base.replace("scope=openid", "scope=openid+admin"),
            "invalid_scope",
            "may not request scope `admin`",
        ),
        (
            app.authorize_url("webapp", &pkce, &[("prompt", "none")]),
            "login_required",
            "not logged in",
        ),
        (
            app.authorize_url("webapp", &pkce, &[("prompt", "none login")]),
            "invalid_request",
            "cannot be combined",
        ),
    ];
    for (url, code, description) in cases {
        let location = app.follow(&browser(), &url).await;
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        let query = query_of(&location);
        assert_eq!(query["error"], code, "{url}");
        assert!(
            query["error_description"].contains(description),
            "{}",
            query["error_description"]
        );
        assert_eq!(query["state"], "state-123");
        assert_eq!(query["iss"], app.base_url);
    }
    // No code_challenge at all.
    let without_pkce = base.split("&code_challenge=").next().unwrap().to_owned();
    let query = query_of(&app.follow(&browser(), &without_pkce).await);
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("code_challenge is required"));
    // A `request` that is no request object signed by the client: until one verifies, the
    // redirect URI it names is in doubt, so the user sees a page (RFC 9101 section 6.3).
    let response = browser()
        .get(app.authorize_url("webapp", &pkce, &[("request", "eyJ.x.y")]))
        .fetch()
        .await;
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains("invalid_request_object"), "{page}");
}

#[both_backends]
async fn a_missing_or_wrong_code_verifier_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let (code, pkce) = app.code_for("webapp", "ann@example.com").await;

    let missing = webapp_token(
        &app,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(missing.status(), 400);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["error_description"],
        "required parameter `code_verifier` is missing"
    );

    let wrong = app
        .exchange("webapp", &secret, &code, &Pkce::new().verifier)
        .await;
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "code_verifier does not match the code_challenge of the authorization request"
    );

    // The failed attempts did not burn the code: the right verifier still works.
    let right = app.exchange("webapp", &secret, &code, &pkce.verifier).await;
    assert_eq!(right.status(), 200);
}

#[both_backends]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let (code, pkce) = app.code_for("webapp", "ann@example.com").await;
    let first: Value = app
        .exchange("webapp", &secret, &code, &pkce.verifier)
        .await
        .read_json()
        .await;
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert!(app.is_active("webapp", &secret, access).await);

    let replay = app.exchange("webapp", &secret, &code, &pkce.verifier).await;
    assert_eq!(replay.status(), 400);
    let body: Value = replay.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "the authorization code was already used; the tokens issued with it are revoked"
    );
    assert!(
        !app.is_active("webapp", &secret, access).await,
        "the first access token is revoked"
    );
    let refreshed: Value = app
        .refresh("webapp", &secret, refresh, None)
        .await
        .read_json()
        .await;
    assert_eq!(refreshed["error"], "invalid_grant");
}

#[both_backends]
async fn codes_expire_after_sixty_seconds_and_belong_to_their_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    let other = app.code_client("other").await;
    app.user("ann@example.com").await;
    let (code, pkce) = code_in(&app, &browser(), "webapp", "ann@example.com").await;
    let stolen: Value = app
        .exchange("other", &other, &code, &pkce.verifier)
        .await
        .read_json()
        .await;
    assert_eq!(
        stolen["error_description"],
        "the authorization code was issued to another client"
    );
    app.clock.advance(time::Duration::seconds(61));
    let late: Value = app
        .exchange("webapp", &secret, &code, &pkce.verifier)
        .await
        .read_json()
        .await;
    assert_eq!(late["error"], "invalid_grant");
    assert_eq!(
        late["error_description"],
        "the authorization code has expired"
    );
}

#[both_backends]
async fn the_token_request_must_repeat_the_redirect_uri(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let (code, pkce) = app.code_for("webapp", "ann@example.com").await;
    let response = webapp_token(
        &app,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", pkce.verifier.as_str()),
        ],
    )
    .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "redirect_uri differs from the one in the authorization request"
    );
}

#[both_backends]
async fn public_clients_use_pkce_without_a_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    public_client(&app, "spa", "openid").await;
    app.user("ann@example.com").await;
    let pkce = Pkce::new();
    let browser = browser();
    let mut url = app.authorize_url("spa", &pkce, &[]);
    url = url.replace("scope=openid+profile+email+offline_access", "scope=openid");
    let callback = app.authorize_as(&browser, &url, "ann@example.com").await;
    let code = query_of(&callback)["code"].clone();
    let response = public_exchange(&app, "spa", &code, &pkce, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let tokens: Value = response.json().await.unwrap();
    assert!(tokens["id_token"].is_string());
}

#[both_backends]
async fn consent_is_remembered_forced_by_prompt_and_skipped_for_trusted_clients(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let browser = browser();
    app.authorize_as(
        &browser,
        &app.authorize_url("webapp", &Pkce::new(), &[]),
        "ann@example.com",
    )
    .await;
    // Same browser, same scope: straight back to the client.
    let again = app
        .follow(&browser, &app.authorize_url("webapp", &Pkce::new(), &[]))
        .await;
    assert!(
        again.starts_with(REDIRECT_URI) && again.contains("code="),
        "{again}"
    );
    // prompt=consent asks again.
    let forced = app
        .follow(
            &browser,
            &app.authorize_url("webapp", &Pkce::new(), &[("prompt", "consent")]),
        )
        .await;
    assert!(forced.contains("/consent?"), "{forced}");
    // prompt=login asks for the password again; max_age=0 too.
    for extra in [("prompt", "login"), ("max_age", "0")] {
        app.clock.advance(time::Duration::seconds(2));
        let relogin = app
            .follow(
                &browser,
                &app.authorize_url("webapp", &Pkce::new(), &[extra]),
            )
            .await;
        assert!(relogin.contains("/login?"), "{extra:?}: {relogin}");
    }

    let mut trusted = auth_core::clients::NewClient::new(
        "First party",
        AuthMethod::ClientSecretBasic,
        vec![GrantType::AuthorizationCode],
    );
    trusted.id = Some(auth_core::clients::ClientId::parse("first").unwrap());
    trusted.scope = auth_core::scope::Scope::parse("openid profile email offline_access").unwrap();
    trusted.redirect_uris = vec![auth_core::clients::RedirectUri::parse(REDIRECT_URI).unwrap()];
    trusted.trusted = true;
    auth_core::clients::register(&app.provider, trusted)
        .await
        .unwrap();
    let direct = app
        .follow(&browser, &app.authorize_url("first", &Pkce::new(), &[]))
        .await;
    assert!(
        direct.starts_with(REDIRECT_URI),
        "trusted clients skip consent: {direct}"
    );
}

#[both_backends]
async fn denied_consent_is_access_denied_at_the_client(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let browser = browser();
    let login = app
        .follow(&browser, &app.authorize_url("webapp", &Pkce::new(), &[]))
        .await;
    let response = app
        .log_in(
            &browser,
            &login,
            "ann@example.com",
            crate::support::PASSWORD,
        )
        .await;
    let next = response.headers()["location"].to_str().unwrap().to_owned();
    let consent = app.follow(&browser, &app.url(&next)).await;
    let response = decide_consent(&app, &browser, &consent, "deny").await;
    let query = query_of(response.headers()["location"].to_str().unwrap());
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "state-123");
    assert_eq!(query["iss"], app.base_url);
}
