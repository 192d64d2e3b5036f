//! Resource indicators (RFC 8707): registered APIs with the scopes each accepts; `resource` at
//! `/authorize` and the token endpoint; an access token for one API carries it alone as `aud`
//! and only its scopes, so another API's verifier and the server's own resources refuse it;
//! `invalid_target` for what is not registered or not authorized.

use crate::support::{
    Backend, Pkce, REDIRECT_URI, TestApp, both_backends, browser, query_of, spawn_app,
};
use auth_core::resources;
use auth_core::scope::Scope;
use auth_testkit::Fetch as _;
use serde_json::Value;

const TICKETS: &str = "https://tickets.example.com";
const EVENTS: &str = "https://events.example.com";

/// The tickets and events APIs.
async fn register_apis(app: &TestApp) {
    for (uri, name, scope) in [
        (TICKETS, "Tickets", "tickets:read tickets:write"),
        (EVENTS, "Events", "events:read"),
    ] {
        resources::register(&app.provider, uri, name, Scope::parse(scope).unwrap())
            .await
            .unwrap();
    }
}

/// POSTs `form` to /token as `client` with `secret`; status and body.
async fn token(app: &TestApp, client: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth(client, Some(secret))
        .form(form)
        .fetch()
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Whether `token` verifies for `audience` with a JWT library nobody here wrote.
async fn verifies_for(app: &TestApp, token: &str, audience: &str) -> bool {
    crate::walks::verify_at(app, token, audience).await.is_ok()
}

#[both_backends]
async fn a_service_token_for_one_api_is_good_there_only(backend: Backend) {
    let app = spawn_app(backend).await;
    register_apis(&app).await;
    let secret = app
        .confidential_client("svc", "tickets:read events:read users:read")
        .await;
    let (status, body) = token(
        &app,
        "svc",
        &secret,
        &[("grant_type", "client_credentials"), ("resource", TICKETS)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scope"], "tickets:read",
        "narrowed to what tickets accepts"
    );
    let access = body["access_token"].as_str().unwrap();
    assert!(verifies_for(&app, access, TICKETS).await);
    assert!(!verifies_for(&app, access, EVENTS).await);
    assert!(!verifies_for(&app, access, &app.base_url).await);

    let cases: [&[(&str, &str)]; 3] = [
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://unknown.example.com"),
        ],
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://tickets.example.com#frag"),
        ],
        &[
            ("grant_type", "client_credentials"),
            ("resource", TICKETS),
            ("resource", EVENTS),
        ],
    ];
    for form in cases {
        let (status, body) = token(&app, "svc", &secret, form).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_target", "{body}");
    }
    // The server's own audience is not an API to register (found by the attacker review).
    let own = resources::register(
        &app.provider,
        &app.provider.settings().audience.clone(),
        "Itself",
        Scope::parse("openid").unwrap(),
    )
    .await
    .unwrap_err();
    assert!(own.to_string().contains("own audience"), "{own}");
    // Without `resource`: the server's own audience, every scope, as before.
    let (_, plain) = token(
        &app,
        "svc",
        &secret,
        &[("grant_type", "client_credentials")],
    )
    .await;
    let plain = plain["access_token"].as_str().unwrap();
    assert!(verifies_for(&app, plain, &app.base_url).await);
}

#[both_backends]
async fn a_user_authorizes_apis_and_each_token_is_for_one_of_them(backend: Backend) {
    let app = spawn_app(backend).await;
    register_apis(&app).await;
    let secret = app
        .client_with(
            "webapp",
            "openid profile email offline_access tickets:read events:read",
            auth_core::clients::AuthMethod::ClientSecretBasic,
            &[
                auth_core::clients::GrantType::AuthorizationCode,
                auth_core::clients::GrantType::RefreshToken,
            ],
            &[REDIRECT_URI],
        )
        .await
        .unwrap();
    app.user("ann@example.com").await;
    let pkce = Pkce::new();
    let url = app.authorize_url(
        "webapp",
        &pkce,
        &[
            ("scope", "openid offline_access tickets:read events:read"),
            ("resource", TICKETS),
            ("resource", EVENTS),
        ],
    );
    // authorize_url already has a scope; the later one would repeat it: rebuild without it.
    let url = url.replacen("scope=openid+profile+email+offline_access&", "", 1);
    let callback = app.authorize_as(&browser(), &url, "ann@example.com").await;
    let code = query_of(&callback)["code"].clone();
    let exchange = |resource: Option<&'static str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT_URI.to_owned()),
            ("code_verifier", pkce.verifier.clone()),
        ];
        form.extend(resource.map(|r| ("resource", r.to_owned())));
        let request = app
            .http
            .post(app.url("/token"))
            .basic_auth("webapp", Some(&secret))
            .form(&form);
        async move {
            let response = request.fetch().await;
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    // Two APIs were authorized: the token request must say which one.
    let (status, body) = exchange(None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "{body}"
    );
    let (status, body) = exchange(Some(TICKETS)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "tickets:read");
    assert!(body["id_token"].is_string(), "the ID token still comes");
    let access = body["access_token"].as_str().unwrap();
    assert!(verifies_for(&app, access, TICKETS).await);
    // Not good at the server's own resources.
    let userinfo = crate::walks::userinfo(&app, access).await;
    assert_eq!(userinfo.status(), 401);
    let challenge = userinfo.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("another resource"), "{challenge}");

    // A refresh for the other authorized API; not for one outside the authorization.
    let refresh_token = body["refresh_token"].as_str().unwrap();
    let (status, refreshed) = token(
        &app,
        "webapp",
        &secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("resource", EVENTS),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["scope"], "events:read");
    let events_token = refreshed["access_token"].as_str().unwrap();
    assert!(verifies_for(&app, events_token, EVENTS).await);
    resources::register(
        &app.provider,
        "https://billing.example.com",
        "Billing",
        Scope::parse("billing:read").unwrap(),
    )
    .await
    .unwrap();
    let (status, body) = token(
        &app,
        "webapp",
        &secret,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                refreshed["refresh_token"].as_str().unwrap(),
            ),
            ("resource", "https://billing.example.com"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target")),
        "{body}"
    );
}

#[both_backends]
async fn an_unregistered_resource_at_authorize_goes_back_as_invalid_target(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    let url = app.authorize_url(
        "webapp",
        &Pkce::new(),
        &[("resource", "https://unknown.example.com")],
    );
    let location = app.follow(&browser(), &url).await;
    let query = query_of(&location);
    assert_eq!(query["error"], "invalid_target", "{location}");
    assert_eq!(query["state"], "state-123");
}
