//! Pushed authorization requests (RFC 9126): push, then authorize by `request_uri`, once and in
//! time, only for the client that pushed; required per client or per deployment.

use crate::support::{
    Backend, Pkce, REDIRECT_URI, TestApp, both_backends, browser, code_request, query_of,
    spawn_app, spawn_app_with,
};
use auth_core::clients::{ClientId, GrantType};
use auth_core::keys::SigningAlgorithm;
use auth_testkit::Fetch as _;
use serde_json::Value;

/// Pushes `params` as `client` with `secret`; returns status and body.
async fn push(app: &TestApp, client: &str, secret: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/par"))
        .basic_auth(client, Some(secret))
        .form(params)
        .fetch()
        .await;
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

/// The `/authorize` URL of a pushed request.
fn authorize_url(app: &TestApp, client: &str, request_uri: &str) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client)
        .append_pair("request_uri", request_uri);
    url.into()
}

/// The error page `/authorize` shows for `url` (status and text).
async fn error_page(url: &str) -> (u16, String) {
    let response = browser().get(url).fetch().await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[both_backends]
async fn a_pushed_request_completes_the_code_flow(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let pkce = Pkce::new();
    let (status, pushed) = push(
        &app,
        "webapp",
        &secret,
        &code_request("webapp", &pkce.challenge),
    )
    .await;
    assert_eq!(status, 201, "{pushed}");
    let request_uri = pushed["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert_eq!(pushed["expires_in"], 60);

    // Parameters sent outside the pushed request are ignored: the state is the pushed one.
    let url = format!(
        "{}&state=other&scope=openid",
        authorize_url(&app, "webapp", request_uri)
    );
    let callback = app.authorize_as(&browser(), &url, "ann@example.com").await;
    let query = query_of(&callback);
    assert_eq!(query["state"], "state-123");
    let response = app
        .exchange("webapp", &secret, &query["code"], &pkce.verifier)
        .await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "email openid profile");

    // Used once: the same request_uri again is refused.
    let (status, page) = error_page(&authorize_url(&app, "webapp", request_uri)).await;
    assert_eq!(status, 400);
    assert!(page.contains("invalid_request_uri"), "{page}");
}

#[both_backends]
async fn a_request_uri_expires_and_belongs_to_its_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.code_client("other").await;
    let pkce = Pkce::new();
    let params = code_request("webapp", &pkce.challenge);
    let (_, first) = push(&app, "webapp", &secret, &params).await;
    let (_, second) = push(&app, "webapp", &secret, &params).await;

    app.clock.advance(time::Duration::seconds(61));
    let (status, page) = error_page(&authorize_url(
        &app,
        "webapp",
        first["request_uri"].as_str().unwrap(),
    ))
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("has expired"), "{page}");

    // Another client naming a request_uri gets nothing, and does not spend it.
    let (_, third) = push(&app, "webapp", &secret, &params).await;
    let third_uri = third["request_uri"].as_str().unwrap();
    let (status, page) = error_page(&authorize_url(&app, "other", third_uri)).await;
    assert_eq!(status, 400);
    assert!(page.contains("another client"), "{page}");
    let location = app
        .follow(&browser(), &authorize_url(&app, "webapp", third_uri))
        .await;
    assert!(
        location.contains("/login?"),
        "still its client's: {location}"
    );
    let (status, _) = error_page(&authorize_url(
        &app,
        "webapp",
        second["request_uri"].as_str().unwrap(),
    ))
    .await;
    assert_eq!(status, 400, "expired");

    // A request_uri this server did not hand out is not fetched.
    let (status, page) = error_page(&authorize_url(
        &app,
        "webapp",
        "https://attacker.example/request.jwt",
    ))
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("request_uri_not_supported"), "{page}");
}

#[both_backends]
async fn a_push_is_authenticated_and_validated_like_authorize(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    let pkce = Pkce::new();
    let good = code_request("webapp", &pkce.challenge);

    let (status, body) = push(&app, "webapp", "wrong", &good).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    let without = |name: &str| -> Vec<(&str, &str)> {
        good.iter().copied().filter(|(n, _)| *n != name).collect()
    };
    let replace = |name: &str, value: &'static str| -> Vec<(&str, &str)> {
        good.iter()
            .map(|&(n, v)| if n == name { (n, value) } else { (n, v) })
            .collect()
    };
    // The request pushed, the error expected, and what its description names.
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            without("code_challenge"),
            "invalid_request",
            "code_challenge",
        ),
        (
            replace("redirect_uri", "https://attacker.example/cb"),
            "invalid_request",
            "does not match",
        ),
        (replace("scope", "openid admin"), "invalid_scope", "admin"),
        (
            replace("response_type", "token"),
            "unsupported_response_type",
            "token",
        ),
        (
            {
                let mut params = good.clone();
                params.push(("request_uri", "urn:ietf:params:oauth:request_uri:x"));
                params
            },
            "invalid_request",
            "request_uri",
        ),
    ];
    for (params, error, why) in cases {
        let (status, body) = push(&app, "webapp", &secret, &params).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], error, "{body}");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.contains(why),
            "{description} should mention {why}"
        );
    }
    // A client_id in the body must be the authenticated client's.
    let (status, body) = push(&app, "webapp", &secret, &replace("client_id", "other")).await;
    assert_eq!(status, 400, "{body}");
}

#[both_backends]
async fn a_client_or_a_deployment_can_require_pushed_requests(backend: Backend) {
    for per_deployment in [false, true] {
        let app = spawn_app_with(backend, |c| {
            c.requests.require_pushed_authorization_requests = per_deployment
        })
        .await;
        let secret = app.code_client("webapp").await;
        if !per_deployment {
            let mut client = (*app
                .provider
                .store()
                .client(&ClientId::parse("webapp").unwrap())
                .await
                .unwrap()
                .unwrap())
            .clone();
            client.security.require_pushed_authorization_requests = true;
            app.provider.store().update_client(&client).await.unwrap();
        }
        app.user("ann@example.com").await;
        let metadata: Value = app
            .http
            .get(app.url("/.well-known/oauth-authorization-server"))
            .fetch_json()
            .await;
        assert_eq!(
            metadata["pushed_authorization_request_endpoint"],
            app.url("/par")
        );
        assert_eq!(
            metadata["require_pushed_authorization_requests"]
                .as_bool()
                .unwrap_or(false),
            per_deployment
        );

        // A plain request goes back to the client with an error.
        let pkce = Pkce::new();
        let plain = app.authorize_url("webapp", &pkce, &[]);
        let location = app.follow(&browser(), &plain).await;
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        let query = query_of(&location);
        assert_eq!(query["error"], "invalid_request");
        assert!(
            query["error_description"].contains("must push"),
            "{location}"
        );

        // Pushed, it works.
        let (_, pushed) = push(
            &app,
            "webapp",
            &secret,
            &code_request("webapp", &pkce.challenge),
        )
        .await;
        let url = authorize_url(&app, "webapp", pushed["request_uri"].as_str().unwrap());
        let callback = app.authorize_as(&browser(), &url, "ann@example.com").await;
        assert!(query_of(&callback).contains_key("code"));
    }
}

#[both_backends]
async fn a_public_client_and_a_key_client_push_too(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    app.client_with(
        "spa",
        "openid profile email",
        auth_core::clients::AuthMethod::None,
        &[GrantType::AuthorizationCode],
        &[REDIRECT_URI],
    )
    .await;
    let pkce = Pkce::new();
    // A public client sends its client_id and no credentials.
    let response = app
        .http
        .post(app.url("/par"))
        .form(&code_request("spa", &pkce.challenge))
        .fetch()
        .await;
    assert_eq!(response.status(), 201);

    let keyed = app.signing_client("keyed", SigningAlgorithm::Es256);
    app.register_key_client(&keyed, &[GrantType::AuthorizationCode], None)
        .await;
    let mut form: Vec<(String, String)> = code_request("keyed", &pkce.challenge)
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    form.extend(keyed.auth());
    let pushed: Value = app
        .http
        .post(app.url("/par"))
        .form(&form)
        .fetch_json()
        .await;
    let url = authorize_url(&app, "keyed", pushed["request_uri"].as_str().unwrap());
    let callback = app.authorize_as(&browser(), &url, "ann@example.com").await;
    let code = query_of(&callback)["code"].clone();
    let mut exchange: Vec<(String, String)> = vec![
        ("grant_type".into(), "authorization_code".into()),
        ("code".into(), code),
        ("redirect_uri".into(), REDIRECT_URI.into()),
        ("code_verifier".into(), pkce.verifier.clone()),
    ];
    exchange.extend(keyed.auth());
    let tokens: Value = app
        .http
        .post(app.url("/token"))
        .form(&exchange)
        .fetch_json()
        .await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
}

/// Found by the attacker review: anyone could push without limit for a public client, each
/// push a row kept until it expires. Pushes count as pending authorization requests.
#[both_backends]
async fn pushes_are_limited_like_pending_requests(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.pending_authorizations_per_ip.limit = 3
    })
    .await;
    app.client_with(
        "spa",
        "openid",
        auth_core::clients::AuthMethod::None,
        &[GrantType::AuthorizationCode],
        &[REDIRECT_URI],
    )
    .await;
    let pkce = Pkce::new();
    let mut params = code_request("spa", &pkce.challenge);
    params.retain(|(name, _)| *name != "scope");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = app.http.post(app.url("/par")).form(&params).fetch().await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 429]);
}
