//! Who may call each route: the route table, scopes at the account API, metrics, logout redirects and prompt=none answers (issue 19).

use crate::support::{
    Backend, PASSWORD, Pkce, REDIRECT_URI, TestApp, both_backends, browser, query_of, spawn_app,
    spawn_app_with,
};
use auth_core::clients::{AuthMethod, GrantType};
use auth_server::config::Config;
use auth_testkit::Fetch as _;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const EVIL: &str = "https://evil.example/phish";
const METRICS_TOKEN: &str = "metrics-token-of-the-tests-0123456789abcdef";

fn open_registration(c: &mut Config) {
    c.registration.mode = auth_server::config::registration::Mode::Open;
}

/// A code-flow client `id` that an administrator registered with `scope`; returns its secret.
async fn code_client_with(app: &TestApp, id: &str, scope: &str) -> String {
    app.client_with(
        id,
        scope,
        AuthMethod::ClientSecretBasic,
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        &[REDIRECT_URI],
    )
    .await
    .unwrap()
}

/// `/authorize` for `client` asking for `scope`, with `extra` parameters.
fn authorize_for(
    app: &TestApp,
    client: &str,
    scope: &str,
    pkce: &Pkce,
    extra: &[(&str, &str)],
) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("state", "s")
        .append_pair("nonce", "n")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(extra);
    url.into()
}

/// The token response for `email` at `client`, asked with `scope`, through `browser`.
async fn tokens_in(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &str,
    secret: &str,
    scope: &str,
    email: &str,
) -> Value {
    let pkce = Pkce::new();
    let callback = app
        .authorize_as(
            browser,
            &authorize_for(app, client, scope, &pkce, &[]),
            email,
        )
        .await;
    let code = query_of(&callback)["code"].clone();
    let response = app.exchange(client, secret, &code, &pkce.verifier).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// What a first-party app asks for to manage the account through the API.
pub const FIRST_PARTY_SCOPE: &str = "openid profile email offline_access account account:write";

/// A first-party code-flow client `id`, registered by an administrator with the account API
/// scopes; returns its secret.
pub async fn first_party_client(app: &TestApp, id: &str) -> String {
    code_client_with(
        app,
        id,
        "openid profile email offline_access permissions account account:write",
    )
    .await
}

/// The token response of a first-party app for `email`, with [`FIRST_PARTY_SCOPE`].
pub async fn first_party_tokens(app: &TestApp, client: &str, secret: &str, email: &str) -> Value {
    tokens_in(app, &browser(), client, secret, FIRST_PARTY_SCOPE, email).await
}

async fn access_token(app: &TestApp, client: &str, secret: &str, scope: &str) -> String {
    tokens_in(app, &browser(), client, secret, scope, "ann@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[both_backends]
async fn a_token_without_the_account_scope_cannot_use_the_account_api(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let third = code_client_with(&app, "thirdparty", "openid profile email").await;
    let first = code_client_with(&app, "firstparty", "openid account account:write").await;
    let openid_only = access_token(&app, "thirdparty", &third, "openid").await;
    let reader = access_token(&app, "firstparty", &first, "openid account").await;
    let writer = access_token(&app, "firstparty", &first, "openid account:write").await;
    let calls: [(reqwest::Method, &str, Value); 6] = [
        (reqwest::Method::GET, "/api/account/me", Value::Null),
        (reqwest::Method::GET, "/api/account/sessions", Value::Null),
        (
            reqwest::Method::PATCH,
            "/api/account/me",
            json!({"locale": "de-CH"}),
        ),
        (
            reqwest::Method::DELETE,
            "/api/account/sessions/no-such-session",
            Value::Null,
        ),
        (reqwest::Method::POST, "/api/account/otp/send", json!({})),
        (
            reqwest::Method::POST,
            "/api/account/password",
            json!({
                "current_password": "wrong wrong wrong",
                "new_password": "another good password"
            }),
        ),
    ];
    for (token, name, allowed) in [
        (
            &openid_only,
            "openid",
            [false, false, false, false, false, false],
        ),
        (&reader, "account", [true, true, false, false, false, false]),
        (
            &writer,
            "account:write",
            [true, true, true, true, true, true],
        ),
    ] {
        for ((method, path, body), allowed) in calls.iter().zip(allowed) {
            let mut request = app
                .http
                .request(method.clone(), app.url(path))
                .bearer_auth(token);
            if !body.is_null() {
                request = request.json(body);
            }
            let response = request.fetch().await;
            let status = response.status();
            let challenge = response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let refused = status == 403 && body["error"] == "insufficient_scope";
            assert_eq!(
                !refused, allowed,
                "{name} token, {method} {path}: {status} {body}"
            );
            if refused {
                assert!(challenge.unwrap().contains("error=\"insufficient_scope\""));
            } else {
                assert!(
                    status.is_success() || status == 403 || status == 404,
                    "{name} token, {method} {path}: {status} {body}"
                );
            }
        }
    }
}

/// A public client that registered itself, redirecting to [`EVIL`]; its id.
async fn self_registered(app: &TestApp) -> String {
    let registered: Value = app
        .http
        .post(app.url("/register"))
        .json(&json!({
            "client_name": "Some App",
            "redirect_uris": [EVIL],
            "token_endpoint_auth_method": "none"
        }))
        .fetch_json()
        .await;
    registered["client_id"].as_str().unwrap().to_owned()
}

/// The `/authorize` URL of the client `id` (redirecting to [`EVIL`]) with `params` and PKCE.
fn authorize_url_of(app: &TestApp, id: &str, params: &[(&str, &str)]) -> url::Url {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", id),
        ("redirect_uri", EVIL),
    ]);
    url.query_pairs_mut().extend_pairs(params);
    url.query_pairs_mut().extend_pairs([
        ("code_challenge", Pkce::new().challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    url
}

#[both_backends]
async fn third_party_apps_cannot_obtain_the_account_scopes(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    app.user("ann@example.com").await;
    let refused = app
        .http
        .post(app.url("/register"))
        .json(&json!({"redirect_uris": [EVIL], "scope": "openid account:write"}))
        .fetch()
        .await;
    assert_eq!(refused.status(), 400);
    let id = self_registered(&app).await;
    let url = authorize_url_of(&app, &id, &[("scope", "openid account")]);
    let response = browser().get(url.as_str()).fetch().await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("invalid_scope"));
}

#[both_backends]
async fn a_users_token_never_carries_service_scopes_whatever_its_client_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let secret = code_client_with(&app, "portal", "openid offline_access metrics users:read").await;
    let tokens = tokens_in(
        &app,
        &browser(),
        "portal",
        &secret,
        "openid offline_access metrics users:read",
        "ann@example.com",
    )
    .await;
    assert_eq!(tokens["scope"], "offline_access openid", "{tokens}");
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        app.http
            .get(app.url("/metrics"))
            .bearer_auth(token)
            .fetch_status()
            .await,
        403
    );
    let lookup = app
        .http
        .get(app.url("/api/users/registered?email=ann@example.com"))
        .bearer_auth(token)
        .fetch()
        .await;
    assert_eq!(lookup.status(), 403);
    let refreshed = crate::walks::refreshed(&app, "portal", &secret, &tokens).await;
    assert_eq!(refreshed["scope"], "offline_access openid", "{refreshed}");
}

#[both_backends]
async fn anonymous_callers_cannot_read_the_metrics(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.http.get(app.url("/metrics")).fetch().await;
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let wrong = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("not-the-token")
        .fetch()
        .await;
    assert_eq!(wrong.status(), 401);
}

#[both_backends]
async fn metrics_need_the_metrics_token_or_the_metrics_scope(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.metrics.token = Some(METRICS_TOKEN.into())).await;
    let get = |token: String| {
        let request = app.http.get(app.url("/metrics")).bearer_auth(token);
        async move { request.fetch().await }
    };
    app.http.get(app.url("/healthz")).fetch().await;
    let with_token = get(METRICS_TOKEN.into()).await;
    assert_eq!(with_token.status(), 200);
    assert!(
        with_token
            .text()
            .await
            .unwrap()
            .contains("http_requests_total")
    );
    let scraper = app.confidential_client("scraper", "metrics").await;
    let scoped = app
        .client_credentials_token("scraper", &scraper, None)
        .await;
    assert_eq!(
        get(scoped["access_token"].as_str().unwrap().into())
            .await
            .status(),
        200
    );
    let service = app.confidential_client("svc", "users:read").await;
    let other = app.client_credentials_token("svc", &service, None).await;
    assert_eq!(
        get(other["access_token"].as_str().unwrap().into())
            .await
            .status(),
        403
    );
    assert_eq!(get(format!("{METRICS_TOKEN}x")).await.status(), 401);
}

#[both_backends]
async fn metrics_do_not_tell_a_known_address_from_an_unknown_one(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("known@example.com").await;
    let scraper = app.confidential_client("scraper", "metrics").await;
    let token = app
        .client_credentials_token("scraper", &scraper, None)
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let snapshot = || {
        let request = app.http.get(app.url("/metrics")).bearer_auth(&token);
        async move { counters(&request.fetch_text().await) }
    };
    let forgot = |email: &'static str| {
        let request = app
            .http
            .post(app.url("/api/account/password/forgot"))
            .json(&json!({"email": email}));
        async move { assert_eq!(request.fetch_status().await, 202) }
    };
    let sign_up = |email: &'static str| {
        let request = app
            .http
            .post(app.url("/api/account/register"))
            .json(&json!({"email": email, "password": PASSWORD}));
        async move { assert_eq!(request.fetch_status().await, 202) }
    };
    // Let the background work (the reset request, mail delivery) finish before reading.
    let settle = || tokio::time::sleep(Duration::from_millis(2500));
    let mut moved = Vec::new();
    for (what, email) in [
        ("forgot", "nobody@example.com"),
        ("forgot", "known@example.com"),
        ("sign-up", "new@example.com"),
        ("sign-up", "known@example.com"),
    ] {
        let before = snapshot().await;
        match what {
            "forgot" => forgot(email).await,
            _ => sign_up(email).await,
        }
        settle().await;
        let after = snapshot().await;
        let delta: BTreeMap<String, f64> = after
            .iter()
            .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0.0)))
            .filter(|(_, d)| *d != 0.0)
            // The replica re-reads its signing keys on a timer, whatever the requests.
            .filter(|(k, _)| !k.starts_with("auth_signing_key_reloads_total"))
            .collect();
        moved.push((what, email, delta));
    }
    assert_eq!(
        moved[0].2, moved[1].2,
        "forgot-password: unknown vs known address"
    );
    assert_eq!(moved[2].2, moved[3].2, "sign-up: new vs taken address");
    assert!(
        moved[0]
            .2
            .keys()
            .any(|k| k.starts_with("http_requests_total")),
        "{:?}",
        moved[0]
    );
}

#[both_backends]
async fn logout_does_not_redirect_to_a_self_registered_client_without_proof(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    let registered: Value = app
        .http
        .post(app.url("/register"))
        .json(&json!({
            "client_name": "Totally Legit",
            "redirect_uris": [EVIL],
            "post_logout_redirect_uris": [EVIL]
        }))
        .fetch_json()
        .await;
    let id = registered["client_id"].as_str().unwrap();
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", id)
        .append_pair("post_logout_redirect_uri", EVIL);
    let response = browser().get(url.as_str()).fetch().await;
    assert_eq!(response.status(), 200, "a page, not a redirect");
    assert!(response.headers().get("location").is_none());
    let page = response.text().await.unwrap();
    assert!(
        page.contains("You are signed out") && page.contains("evil.example"),
        "{page}"
    );

    // A client an administrator registered keeps its redirect.
    app.code_client("webapp").await;
    crate::walks::allow_post_logout_redirect(&app, "webapp", "http://127.0.0.1:9/signed-out").await;
    let logout = "/logout?client_id=webapp\
        &post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fsigned-out";
    let trusted = browser().get(app.url(logout)).fetch().await;
    assert_eq!(trusted.status(), 303);
}

#[both_backends]
async fn a_self_registered_client_gets_login_required_at_its_redirect_uri_after_logout(
    backend: Backend,
) {
    let app = spawn_app_with(backend, open_registration).await;
    app.user("ann@example.com").await;
    let id = self_registered(&app).await;
    let url = authorize_url_of(
        &app,
        &id,
        &[("scope", "openid"), ("state", "s1"), ("prompt", "none")],
    );
    let location = app.follow(&browser(), url.as_str()).await;
    assert!(location.starts_with(EVIL), "{location}");
    let query = query_of(&location);
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("login_required", "s1")
    );
    // Errors about the request itself still get a page for such a client.
    let mut bad = url.clone();
    bad.query_pairs_mut()
        .append_pair("response_mode", "fragment");
    let page = browser().get(bad.as_str()).fetch().await;
    assert_eq!(page.status(), 400);
}

#[both_backends]
async fn max_age_accepts_a_login_made_for_this_request_however_long_it_took(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let secret = app.code_client("webapp").await;
    let b = browser();
    let pkce = Pkce::new();
    let login = app
        .follow(&b, &app.authorize_url("webapp", &pkce, &[("max_age", "0")]))
        .await;
    assert!(login.contains("/login?"), "{login}");
    let logged_in = app.log_in(&b, &login, "ann@example.com", PASSWORD).await;
    assert_eq!(logged_in.status(), 303);
    // The user is slow to come back from the login.
    app.clock.advance(time::Duration::seconds(5));
    let next = logged_in.headers()["location"].to_str().unwrap().to_owned();
    let after = app.follow(&b, &app.url(&next)).await;
    assert!(
        !after.contains("/login?"),
        "the login of this request satisfies max_age: {after}"
    );
    let callback = if after.contains("/consent?") {
        let done = crate::walks::decide_consent(&app, &b, &after, "allow").await;
        done.headers()["location"].to_str().unwrap().to_owned()
    } else {
        after
    };
    let code = query_of(&callback)["code"].clone();
    assert_eq!(
        app.exchange("webapp", &secret, &code, &pkce.verifier)
            .await
            .status(),
        200
    );
}

#[both_backends]
async fn an_id_token_hint_for_another_user_is_not_answered_with_the_signed_in_user(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    let secret = app.code_client("webapp").await;
    let scope = "openid profile email offline_access";
    let ann = tokens_in(
        &app,
        &browser(),
        "webapp",
        &secret,
        scope,
        "ann@example.com",
    )
    .await;
    let ann_hint = ann["id_token"].as_str().unwrap();
    let bob_browser = browser();
    let bob = tokens_in(
        &app,
        &bob_browser,
        "webapp",
        &secret,
        scope,
        "bob@example.com",
    )
    .await;
    let bob_hint = bob["id_token"].as_str().unwrap();
    // prompt=none: login_required, not a code for Bob.
    let silent = app
        .follow(
            &bob_browser,
            &app.authorize_url(
                "webapp",
                &Pkce::new(),
                &[("prompt", "none"), ("id_token_hint", ann_hint)],
            ),
        )
        .await;
    assert!(silent.starts_with(REDIRECT_URI), "{silent}");
    assert_eq!(query_of(&silent)["error"], "login_required", "{silent}");
    // Bob's own hint is answered.
    let own = app
        .follow(
            &bob_browser,
            &app.authorize_url(
                "webapp",
                &Pkce::new(),
                &[("prompt", "none"), ("id_token_hint", bob_hint)],
            ),
        )
        .await;
    assert!(query_of(&own).contains_key("code"), "{own}");
    // Without prompt=none the user must log in as Ann; logging in as Bob again is refused.
    let login = app
        .follow(
            &bob_browser,
            &app.authorize_url("webapp", &Pkce::new(), &[("id_token_hint", ann_hint)]),
        )
        .await;
    assert!(login.contains("/login?"), "{login}");
    let as_bob = app
        .log_in(&bob_browser, &login, "bob@example.com", PASSWORD)
        .await;
    let next = as_bob.headers()["location"].to_str().unwrap().to_owned();
    let refused = app.follow(&bob_browser, &app.url(&next)).await;
    assert_eq!(query_of(&refused)["error"], "login_required", "{refused}");
    let login = app
        .follow(
            &bob_browser,
            &app.authorize_url("webapp", &Pkce::new(), &[("id_token_hint", ann_hint)]),
        )
        .await;
    let as_ann = app
        .log_in(&bob_browser, &login, "ann@example.com", PASSWORD)
        .await;
    let next = as_ann.headers()["location"].to_str().unwrap().to_owned();
    let answered = app.follow(&bob_browser, &app.url(&next)).await;
    assert!(query_of(&answered).contains_key("code"), "{answered}");
    // A forged hint is an error for the client.
    let forged = app
        .follow(
            &bob_browser,
            &app.authorize_url("webapp", &Pkce::new(), &[("id_token_hint", "a.b.c")]),
        )
        .await;
    assert_eq!(query_of(&forged)["error"], "invalid_request", "{forged}");
}

#[both_backends]
async fn database_errors_are_not_shown_on_the_authorize_and_logout_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    crate::support::db_execute(&app.db.url, "ALTER TABLE clients RENAME TO clients_gone").await;
    for path in [
        "/authorize?client_id=nobody-looked-this-up&response_type=code",
        "/logout?client_id=nobody-looked-this-up-either",
    ] {
        let response = browser().get(app.url(path)).fetch().await;
        assert_eq!(response.status(), 500, "{path}");
        let page = response.text().await.unwrap().to_lowercase();
        assert!(
            !page.contains("clients") && !page.contains("relation") && !page.contains("table"),
            "{path}: {page}"
        );
    }
}

/// The counters of a Prometheus text (histograms, which measure time, and the requests for
/// `/metrics` itself left out), by name and labels.
fn counters(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter(|line| !line.starts_with("http_request_duration_seconds"))
        .filter(|line| !line.contains("route=\"/metrics\""))
        .filter_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The classes of caller the route table distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Session,
    UserOpenid,
    UserAccount,
    UserAccountWrite,
    Client,
    Service,
    Admin,
    MetricsToken,
    RegistrationToken,
}

const CALLERS: [Caller; 10] = [
    Caller::Anonymous,
    Caller::Session,
    Caller::UserOpenid,
    Caller::UserAccount,
    Caller::UserAccountWrite,
    Caller::Client,
    Caller::Service,
    Caller::Admin,
    Caller::MetricsToken,
    Caller::RegistrationToken,
];

impl Caller {
    /// The scopes of the caller's access token.
    fn scopes(self) -> &'static [&'static str] {
        match self {
            Self::UserOpenid => &["openid"],
            Self::UserAccount => &["openid", "account"],
            Self::UserAccountWrite => &["openid", "account:write"],
            Self::Service => &["users:read"],
            Self::Admin => &["admin"],
            _ => &[],
        }
    }

    fn is_user(self) -> bool {
        matches!(
            self,
            Self::UserOpenid | Self::UserAccount | Self::UserAccountWrite
        )
    }
}

/// Whether the rule lets `caller` through.
fn allows(rule: auth_server::access::Rule, caller: Caller) -> bool {
    use auth_server::access::Rule;
    let has = |scopes: &[&str]| caller.scopes().iter().any(|s| scopes.contains(s));
    match rule {
        Rule::Anonymous => true,
        // Open registration needs no credential, but a malformed one (Basic where a Bearer
        // initial access token would go) is refused.
        Rule::Registration => caller != Caller::Client,
        // Nobody here holds a pending request: every caller gets an error page.
        Rule::Pending => false,
        Rule::Session => caller == Caller::Session,
        Rule::Client => caller == Caller::Client,
        Rule::UserToken(scopes) => caller.is_user() && has(scopes),
        Rule::Token(scopes) => has(scopes),
        Rule::Admin => caller == Caller::Admin,
        // No caller here is an administrator signed in with a second factor (the session is
        // a plain user's; an admin token is no session): every one is refused or sent to log
        // in. tests/api/console.rs lets administrators in.
        Rule::Console => false,
        Rule::RegistrationToken => caller == Caller::RegistrationToken,
        Rule::Metrics => matches!(caller, Caller::MetricsToken | Caller::Admin),
    }
}

/// One caller: its own cookie jar (with a CSRF token for forms), and its credentials.
struct Identity {
    browser: reqwest::Client,
    csrf: String,
    basic: Option<(String, String)>,
    bearer: Option<String>,
}

async fn csrf_of(app: &TestApp, browser: &reqwest::Client, page: &str) -> String {
    app.form_page(browser, &app.url(page)).await.1
}

#[test]
fn every_route_has_a_rule_and_the_router_is_built_from_the_table() {
    let (_, built) = auth_server::routes(&auth_core::registration::RegistrationMode::Open);
    let table: Vec<(String, &str)> = auth_server::access::ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    let built: Vec<(String, &str)> = built.iter().map(|(m, p)| (m.to_string(), *p)).collect();
    for route in &built {
        assert!(table.contains(route), "{route:?} is routed but has no rule");
    }
    for route in &table {
        assert!(
            built.contains(route),
            "{route:?} has a rule but is not routed"
        );
    }
    assert_eq!(built.len(), table.len(), "a route is added twice");
}

#[both_backends]
async fn every_route_answers_each_class_of_caller_as_its_rule_says(backend: Backend) {
    use auth_server::access::Rule;
    let app = spawn_app_with(backend, |c| {
        open_registration(c);
        c.metrics.token = Some(METRICS_TOKEN.into());
        // Every caller without client credentials fails at /token, /introspect and /revoke.
        let plenty = auth_server::config::LimitConfig {
            limit: 10_000,
            window_secs: 60,
        };
        c.rate_limits.token_failures_per_ip = plenty.clone();
        c.rate_limits.token_failures_per_client = plenty;
    })
    .await;
    app.user("ann@example.com").await;
    let first = code_client_with(&app, "firstparty", "openid account account:write").await;
    let service = app.confidential_client("svc", "users:read").await;
    let ops = app.confidential_client("ops", "admin").await;
    let registered: Value = app
        .http
        .post(app.url("/register"))
        .json(&json!({"client_name": "Some App", "redirect_uris": [EVIL]}))
        .fetch_json()
        .await;
    let registered_id = registered["client_id"].as_str().unwrap().to_owned();
    let registration_token = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let session_browser = browser();
    app.authorize_as(
        &session_browser,
        &authorize_for(&app, "firstparty", "openid", &Pkce::new(), &[]),
        "ann@example.com",
    )
    .await;
    let mut identities = Vec::new();
    for caller in CALLERS {
        let (b, bearer, basic) = match caller {
            Caller::Session => (session_browser.clone(), None, None),
            Caller::UserOpenid | Caller::UserAccount | Caller::UserAccountWrite => {
                let token =
                    access_token(&app, "firstparty", &first, &caller.scopes().join(" ")).await;
                (browser(), Some(token), None)
            }
            Caller::Service => {
                let token =
                    app.client_credentials_token("svc", &service, None).await["access_token"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                (browser(), Some(token), None)
            }
            Caller::Admin => {
                let token = app.client_credentials_token("ops", &ops, None).await["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                (browser(), Some(token), None)
            }
            Caller::MetricsToken => (browser(), Some(METRICS_TOKEN.to_owned()), None),
            Caller::RegistrationToken => (browser(), Some(registration_token.clone()), None),
            Caller::Client => (browser(), None, Some(("svc".to_owned(), service.clone()))),
            Caller::Anonymous => (browser(), None, None),
        };
        let csrf = csrf_of(
            &app,
            &b,
            if caller == Caller::Session {
                "/account"
            } else {
                "/login"
            },
        )
        .await;
        identities.push((
            caller,
            Identity {
                browser: b,
                csrf,
                basic,
                bearer,
            },
        ));
    }

    let mut wrong = Vec::new();
    // Routes that change what later calls rely on go last.
    let mut routes: Vec<_> = auth_server::access::ROUTES.iter().collect();
    routes
        .sort_by_key(|r| r.path == "/register/{client_id}" && r.method == reqwest::Method::DELETE);
    for route in routes {
        let path = route
            .path
            .replace("{client_id}", &registered_id)
            .replace(
                "/api/account/sessions/{id}",
                "/api/account/sessions/no-such-session",
            )
            .replace("{id}", "no-such-id")
            .replace("{role}", "no-such-role")
            .replace("{name}", "no-such-role");
        for (caller, identity) in &identities {
            let mut request = identity
                .browser
                .request(route.method.clone(), app.url(&path));
            if let Some(token) = &identity.bearer {
                request = request.bearer_auth(token);
            }
            if let Some((id, secret)) = &identity.basic {
                request = request.basic_auth(id, Some(secret));
            }
            if route.method != reqwest::Method::GET {
                let json_body = path.starts_with("/api/")
                    || path.starts_with("/admin/")
                    || path.starts_with("/register");
                request = if json_body {
                    request.json(&json!({}))
                } else {
                    request.form(&[
                        ("csrf_token", identity.csrf.as_str()),
                        ("grant_type", "client_credentials"),
                        ("token", "not-a-token"),
                    ])
                };
            }
            let response = request.fetch().await;
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned())
                .unwrap_or_default();
            // RFC 6750 section 3 (and RFC 6749 section 5.2): a refused credential is
            // answered with a challenge.
            let challenged =
                status.is_client_error() && response.headers().contains_key("www-authenticate");
            let to_login = status == 303 && location.starts_with("/login");
            let body: String = response.text().await.unwrap().chars().take(200).collect();
            let refused = match route.rule {
                // A 401 page for a wrong password at /login is the route's answer, not a
                // refusal of the caller.
                Rule::Anonymous | Rule::Registration => challenged || to_login,
                // A page saying the pending request or login is gone.
                Rule::Pending => status.is_client_error() || to_login,
                _ => status == 401 || status == 403 || challenged || to_login,
            };
            let expected = allows(route.rule, *caller);
            if refused == expected || status.is_server_error() {
                wrong.push(format!(
                    "{} {} as {caller:?} ({}): {status} {location} {body}",
                    route.method,
                    route.path,
                    route.rule.describe()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ from the table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[both_backends]
async fn the_openapi_document_names_the_scopes_of_the_route_table(backend: Backend) {
    use auth_server::access::{ROUTES, Rule};
    let app = spawn_app(backend).await;
    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .fetch_json()
        .await;
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| {
        r.path.starts_with("/api/")
            && !r.path.starts_with("/api/openapi")
            && !r.path.starts_with("/api/docs")
    }) {
        let operation = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
        let mut documented: Vec<String> = operation["security"]
            .as_array()
            .map(|alternatives| {
                alternatives
                    .iter()
                    .flat_map(|a| {
                        a["bearer"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| s.as_str().unwrap().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        documented.sort();
        let mut expected: Vec<String> = match route.rule {
            Rule::UserToken(scopes) | Rule::Token(scopes) => {
                scopes.iter().map(|s| (*s).to_owned()).collect()
            }
            _ => Vec::new(),
        };
        expected.sort();
        assert_eq!(documented, expected, "{} {}", route.method, route.path);
        checked += 1;
    }
    assert_eq!(checked, 14);
}

/// Whether a route takes an HTML form from a browser (and so a CSRF token), rather than a
/// JSON body or a protocol request authenticated by its client or token.
fn is_form_route(path: &str) -> bool {
    ![
        "/api/",
        "/admin/",
        "/register",
        "/token",
        "/par",
        "/device_authorization",
        "/introspect",
        "/revoke",
        "/userinfo",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

#[both_backends]
async fn every_form_route_refuses_a_post_without_its_csrf_token_or_from_another_site(
    backend: Backend,
) {
    use auth_server::access::ROUTES;
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let browser = browser();
    let signed_in = app
        .log_in(&browser, &app.url("/login"), "ann@example.com", PASSWORD)
        .await;
    assert_eq!(signed_in.status(), 303);
    let csrf = csrf_of(&app, &browser, "/account").await;
    let routes: Vec<_> = ROUTES
        .iter()
        .filter(|r| r.method == reqwest::Method::POST && is_form_route(r.path))
        .collect();
    assert!(routes.len() >= 15, "{} form routes", routes.len());
    let mut wrong = Vec::new();
    for route in routes {
        let path = route.path.replace("{id}", "no-such-id");
        // Fields every form might read, so a refusal is the CSRF check and not a missing field;
        // `confirm` is what makes a POST to /logout act.
        let fields = [
            ("confirm", "yes"),
            ("email", "ann@example.com"),
            ("password", PASSWORD),
        ];
        let missing = browser.post(app.url(&path)).form(&fields).fetch().await;
        let mut with_token = vec![("csrf_token", csrf.as_str())];
        with_token.extend(fields);
        let cross_site = browser
            .post(app.url(&path))
            .header("origin", "https://evil.example.com")
            .header("sec-fetch-site", "cross-site")
            .form(&with_token)
            .fetch()
            .await;
        for (attempt, response) in [("no token", missing), ("cross-site", cross_site)] {
            if response.status() != 403 {
                wrong.push(format!("POST {path} ({attempt}): {}", response.status()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing the refused posts could have done happened: the session is still signed in.
    let account = browser.get(app.url("/account")).fetch().await;
    assert_eq!(account.status(), 200);
}
