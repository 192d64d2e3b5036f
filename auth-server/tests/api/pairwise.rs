//! Pairwise subject identifiers (OIDC Core section 8): a pairwise client sees its own `sub` for
//! a user, in ID tokens and userinfo alike; `id_token_hint` and logout still recognise the
//! user; the sector is the redirect URIs' host, or the host of a `sector_identifier_uri` that
//! lists them.

use crate::support::{
    Backend, JwksServer, REDIRECT_URI, TestApp, both_backends, browser, spawn_app_with,
};
use auth_testkit::Fetch as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

fn open_registration(config: &mut auth_server::config::Config) {
    config.registration.mode = auth_server::config::registration::Mode::Open;
}

/// Registers a client with `metadata`; status and body.
async fn register(app: &TestApp, metadata: Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/register"))
        .json(&metadata)
        .fetch()
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Asserts that the registration answer `refused` says `why` in its description.
fn assert_refused_because(refused: &Value, why: &str) {
    let description = refused["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(why), "{refused}");
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[both_backends]
async fn a_pairwise_client_sees_its_own_subject_everywhere(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    let user = app.user("ann@example.com").await;
    let (status, registered) = register(
        &app,
        json!({
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "openid profile email offline_access",
            "subject_type": "pairwise",
        }),
    )
    .await;
    assert_eq!(status, 201, "{registered}");
    assert_eq!(registered["subject_type"], "pairwise");
    let client = registered["client_id"].as_str().unwrap();
    let secret = registered["client_secret"].as_str().unwrap();

    // One browser throughout: the ID token names its session (`sid`).
    let browser = browser();
    let pkce = auth_testkit::Pkce::new();
    let callback = app
        .authorize_as(
            &browser,
            &app.authorize_url(client, &pkce, &[]),
            "ann@example.com",
        )
        .await;
    let code = auth_testkit::query_of(&callback)["code"].clone();
    let tokens: Value = app
        .exchange(client, secret, &code, &pkce.verifier)
        .await
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let sub = claims_of(id_token)["sub"].as_str().unwrap().to_owned();
    assert_ne!(sub, user.id.as_str(), "not the user id");
    assert_eq!(
        sub,
        auth_core::subject::pairwise(&app.provider, "127.0.0.1", user.id.as_str())
    );
    assert_ne!(
        sub,
        auth_core::subject::pairwise(&app.provider, "other.example", user.id.as_str()),
        "another sector sees another sub"
    );
    let userinfo: Value = app
        .bearer_request(
            Method::GET,
            "/userinfo",
            tokens["access_token"].as_str().unwrap(),
        )
        .fetch_json()
        .await;
    assert_eq!(
        userinfo["sub"],
        sub.as_str(),
        "userinfo's sub is the ID token's"
    );
    assert_eq!(
        userinfo["email"], "ann@example.com",
        "the server still finds the user"
    );
    // Found by the attacker review: the access token (a JWT the client can read) and
    // introspection carried the user id.
    let access = tokens["access_token"].as_str().unwrap();
    let access_claims = claims_of(access);
    assert_eq!(access_claims["sub"], sub.as_str());
    assert!(
        !access_claims.to_string().contains(user.id.as_str()),
        "the user id is sealed"
    );
    for token in [access, tokens["refresh_token"].as_str().unwrap()] {
        let introspected: Value = app
            .http
            .post(app.url("/introspect"))
            .basic_auth(client, Some(secret))
            .form(&[("token", token)])
            .fetch_json()
            .await;
        assert_eq!(introspected["active"], true);
        assert_eq!(
            introspected["sub"],
            sub.as_str(),
            "introspection: {introspected}"
        );
    }

    // Found by the attacker review of issue 22: the session id (`sid`) was the same for every
    // client, so two pairwise sectors could link their users by it. Each sees its own.
    let sessions = app.live_sessions(&user.id).await;
    let session = sessions[0].id.as_str();
    let sid = claims_of(id_token)["sid"].as_str().unwrap().to_owned();
    assert_ne!(sid, session, "not the session id");
    assert_eq!(
        sid,
        auth_core::subject::pairwise_sid(&app.provider, "127.0.0.1", session)
    );

    // The ID token as a hint: prompt=none recognises the signed-in user.
    let silent = app.authorize_url(
        client,
        &auth_testkit::Pkce::new(),
        &[("prompt", "none"), ("id_token_hint", id_token)],
    );
    let location = app.follow(&browser, &silent).await;
    assert!(location.contains("code="), "{location}");
    // And logout ends the session at once with it (no confirmation page).
    let mut logout = url::Url::parse(&app.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token);
    let response = browser.get(logout.as_str()).fetch().await;
    let page = response.text().await.unwrap();
    assert!(!page.contains("name=\"confirm\""), "no confirmation asked");
}

#[both_backends]
async fn the_sector_is_the_redirect_host_or_a_listed_sector_identifier_uri(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    let two_hosts = json!([REDIRECT_URI, "https://other.example/cb"]);
    let (status, refused) = register(
        &app,
        json!({"redirect_uris": two_hosts, "subject_type": "pairwise"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_refused_because(&refused, "sector_identifier_uri");
    let sector = JwksServer::start(two_hosts.clone()).await;
    let (status, registered) = register(
        &app,
        json!({
            "redirect_uris": two_hosts,
            "subject_type": "pairwise",
            "sector_identifier_uri": sector.url,
        }),
    )
    .await;
    assert_eq!(status, 201, "{registered}");
    let partial = JwksServer::start(json!([REDIRECT_URI])).await;
    let (status, refused) = register(
        &app,
        json!({
            "redirect_uris": two_hosts,
            "subject_type": "pairwise",
            "sector_identifier_uri": partial.url,
        }),
    )
    .await;
    assert_eq!(status, 400);
    assert_refused_because(&refused, "is not listed");
    let (status, _) = register(
        &app,
        json!({"redirect_uris": [REDIRECT_URI], "subject_type": "secret"}),
    )
    .await;
    assert_eq!(status, 400);
    // Found by the attacker review: a private-use scheme can name any host, so it could claim
    // another site's sector (alone, or beside that site's URI).
    for redirect_uris in [
        json!(["com.evil.app://victim.example/cb"]),
        json!(["https://victim.example/cb", "com.evil.app:/cb"]),
    ] {
        let (status, refused) = register(
            &app,
            json!({"redirect_uris": redirect_uris, "subject_type": "pairwise"}),
        )
        .await;
        assert_eq!(status, 400, "{refused}");
        assert_eq!(refused["error"], "invalid_client_metadata");
    }
    let metadata: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .fetch_json()
        .await;
    assert_eq!(
        metadata["subject_types_supported"],
        json!(["public", "pairwise"])
    );
}

/// Found by the attacker review of issue 22: a client with the device grant receives tokens
/// without a redirect, so naming another site's redirect URI would have given it that site's
/// pairwise subjects. It needs a sector_identifier_uri, which lists its redirect URIs at a host
/// that is then its sector.
#[both_backends]
async fn a_pairwise_device_client_needs_a_sector_identifier_uri(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    let device = [
        "authorization_code",
        "urn:ietf:params:oauth:grant-type:device_code",
    ];
    let mut metadata = json!({
        "redirect_uris": [REDIRECT_URI],
        "grant_types": device,
        "token_endpoint_auth_method": "none",
        "subject_type": "pairwise",
    });
    let (status, refused) = register(&app, metadata.clone()).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "invalid_client_metadata");
    assert_refused_because(&refused, "device grant needs a sector_identifier_uri");
    let sector = JwksServer::start(json!([REDIRECT_URI])).await;
    metadata["sector_identifier_uri"] = json!(sector.url);
    let (status, registered) = register(&app, metadata).await;
    assert_eq!(status, 201, "{registered}");
}
