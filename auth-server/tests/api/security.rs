//! Proofs for the security review (`docs/security.md`): each test fails if the protection it
//! names is removed. Open redirects through self-registered clients, throttled client
//! authentication, typed ID token hints, forgot-password timing, HSTS and cookies over https,
//! login lock-out, forged tokens, secrets at rest and in logs, CORS and referrers.

use crate::support::{
    Backend, PASSWORD, Pkce, REDIRECT_URI, ServerProcess, SmtpSink, TestApp, TestDb, both_backends,
    browser, cli_command, form_field, postgres_only, query_of, smtp_to, spawn_app, spawn_app_with,
};
use auth_server::config::{Config, LimitConfig};
use auth_testkit::accounts::{allow_consent, assert_waits, browser_sending, json_output};
use auth_testkit::{Fetch as _, ReadJson as _};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sqlx::Connection;

const EVIL: &str = "https://evil.example/cb";

fn open_registration(c: &mut Config) {
    c.registration.mode = auth_server::config::registration::Mode::Open;
}

async fn register(app: &TestApp, metadata: Value) -> reqwest::Response {
    app.http
        .post(app.url("/register"))
        .json(&metadata)
        .fetch()
        .await
}

/// `/authorize` with exactly these parameters.
fn authorize_with(app: &TestApp, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

/// A browser whose requests claim to come from `ip` (read from the trusted proxy 127.0.0.1).
fn browser_at(ip: &str) -> reqwest::Client {
    browser_sending("x-forwarded-for", ip)
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn encode_part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// Every value of every table, as text (PostgreSQL rows as JSON, SQLite cells cast to bytes).
async fn database_dump(database_url: &str) -> String {
    let mut dump = String::new();
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        for table in tables {
            let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{table}')"
            )))
            .fetch_all(&mut conn)
            .await
            .unwrap();
            for column in columns {
                let cells: Vec<Option<Vec<u8>>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(\"{column}\" AS BLOB) FROM \"{table}\""
                )))
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for cell in cells.into_iter().flatten() {
                    dump.push_str(&String::from_utf8_lossy(&cell));
                    dump.push('\n');
                }
            }
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for table in tables {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT row_to_json(t)::text FROM \"{table}\" t"
            )))
            .fetch_all(&mut conn)
            .await
            .unwrap();
            for row in rows {
                dump.push_str(&row);
                dump.push('\n');
            }
        }
    }
    dump
}

/// Asserts `secret` is in `text` neither as is nor hex-encoded (how PostgreSQL shows bytes).
fn assert_absent(text: &str, what: &str, secret: &str) {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(secret), "{what} appears in clear");
    assert!(!text.contains(&hex), "{what} appears hex-encoded");
}

/// The value of the cookie `name` set by `response`.
fn set_cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_owned())
}

#[both_backends]
async fn a_self_registered_client_gets_error_pages_not_redirects_before_the_user_acts(
    backend: Backend,
) {
    let app = spawn_app_with(backend, open_registration).await;
    app.user("ann@example.com").await;
    app.code_client("webapp").await;
    let registered: Value = register(
        &app,
        json!({"client_name": "Totally Legit", "redirect_uris": [EVIL]}),
    )
    .await
    .read_json()
    .await;
    let id = registered["client_id"].as_str().unwrap().to_owned();
    let pkce = Pkce::new();
    let pkce_pairs = [
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let request = |client: &str, redirect: &str, extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("client_id", client),
            ("redirect_uri", redirect),
            ("state", "s"),
            ("scope", "openid"),
        ];
        pairs.extend_from_slice(extra);
        authorize_with(&app, &pairs)
    };
    let token_response = [[("response_type", "token")].as_slice(), &pkce_pairs].concat();
    let no_pkce = [("response_type", "code")];
    let silent = [
        [("response_type", "code"), ("prompt", "none")].as_slice(),
        &pkce_pairs,
    ]
    .concat();
    for extra in [token_response.as_slice(), &no_pkce] {
        let response = browser().get(request(&id, EVIL, extra)).fetch().await;
        assert_eq!(response.status(), 400, "{extra:?}");
        assert!(
            response.headers().get("location").is_none(),
            "{extra:?}: no redirect to the registered URI"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("Totally Legit"), "{extra:?}: {page}");
        // The same mistake by a client an administrator created goes back to it (RFC 6749 4.1.2.1).
        let location = app
            .follow(&browser(), &request("webapp", REDIRECT_URI, extra))
            .await;
        assert!(
            location.starts_with(REDIRECT_URI) && location.contains("error="),
            "{extra:?}: {location}"
        );
    }

    // OIDC Core 3.1.2.6: prompt=none's login_required goes back to the registered redirect
    // URI, also for a self-registered client (issue 19; it used to be a page).
    let location = app.follow(&browser(), &request(&id, EVIL, &silent)).await;
    assert!(
        location.starts_with(EVIL) && location.contains("error=login_required"),
        "{location}"
    );

    // After the user has acted, the self-registered client is asked about (never trusted),
    // and a refusal goes back to it.
    let b = browser();
    let code_request = [[("response_type", "code")].as_slice(), &pkce_pairs].concat();
    let login = app.follow(&b, &request(&id, EVIL, &code_request)).await;
    assert!(login.contains("/login?request="), "{login}");
    let logged_in = app.log_in(&b, &login, "ann@example.com", PASSWORD).await;
    assert_eq!(logged_in.status(), 303);
    let next = logged_in.headers()["location"].to_str().unwrap().to_owned();
    let consent = app.follow(&b, &app.url(&next)).await;
    assert!(
        consent.contains("/consent?request="),
        "a registered client always sees consent: {consent}"
    );
    let page = b.get(&consent).fetch_text().await;
    let denied = b
        .post(app.url("/consent"))
        .form(&[
            ("csrf_token", form_field(&page, "csrf_token").unwrap()),
            ("request", form_field(&page, "request").unwrap()),
            ("decision", "deny".to_owned()),
        ])
        .fetch()
        .await;
    assert_eq!(denied.status(), 303);
    let location = denied.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(EVIL) && location.contains("error=access_denied"),
        "{location}"
    );
}

#[both_backends]
async fn self_registered_clients_cannot_use_client_credentials(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    for body in [
        json!({"grant_types": ["client_credentials"], "response_types": []}),
        json!({
            "redirect_uris": [EVIL],
            "grant_types": ["authorization_code", "client_credentials"]
        }),
    ] {
        let response = register(&app, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_client_metadata", "{body}");
        assert!(
            error["error_description"]
                .as_str()
                .unwrap()
                .contains("client_credentials"),
            "{error}"
        );
    }
    assert!(app.provider.store().clients().await.unwrap().is_empty());
}

#[both_backends]
async fn registration_is_throttled_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        open_registration(c);
        c.rate_limits.client_registration_per_ip = LimitConfig {
            limit: 2,
            window_secs: 600,
        };
    })
    .await;
    let body = json!({"redirect_uris": [EVIL]});
    for _ in 0..2 {
        assert_eq!(register(&app, body.clone()).await.status(), 201);
    }
    let limited = register(&app, body.clone()).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    app.clock.advance(time::Duration::seconds(601));
    assert_eq!(register(&app, body).await.status(), 201);
}

#[both_backends]
async fn guessing_client_secrets_is_throttled_at_introspection_and_revocation(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.token_failures_per_client = LimitConfig {
            limit: 3,
            window_secs: 600,
        }
    })
    .await;
    let secret = app.confidential_client("svc", "").await;
    let call = |path: &'static str, secret: String| {
        let form: Vec<(&str, &str)> = if path == "/token" {
            vec![("grant_type", "client_credentials")]
        } else {
            vec![("token", "rt_unknown")]
        };
        let request = app
            .http
            .post(app.url(path))
            .basic_auth("svc", Some(secret))
            .form(&form);
        async move { request.fetch().await }
    };
    for path in ["/introspect", "/revoke", "/introspect"] {
        assert_eq!(call(path, "cs_guess".into()).await.status(), 401, "{path}");
    }
    // Failures anywhere count everywhere; past the limit even the right secret waits.
    for path in ["/introspect", "/revoke", "/token"] {
        assert_waits(call(path, secret.clone()).await, path).await;
    }
    app.clock.advance(time::Duration::seconds(601));
    assert_eq!(call("/introspect", secret.clone()).await.status(), 200);
    assert_eq!(call("/revoke", secret).await.status(), 200);
}

#[both_backends]
async fn failed_guesses_from_one_address_do_not_lock_the_client_out_elsewhere(backend: Backend) {
    // Client ids are not secret: the client counter is per client and address, so a
    // stranger's wrong secrets cannot take a resource server's introspection away.
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.token_failures_per_client = LimitConfig {
            limit: 3,
            window_secs: 600,
        };
        c.http.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let secret = app.confidential_client("svc", "").await;
    let introspect = |from: &'static str, secret: String| {
        let request = app
            .http
            .post(app.url("/introspect"))
            .header("x-forwarded-for", from)
            .basic_auth("svc", Some(secret))
            .form(&[("token", "rt_unknown")]);
        async move { request.fetch_status().await }
    };
    for _ in 0..3 {
        assert_eq!(introspect("203.0.113.7", "cs_guess".into()).await, 401);
    }
    assert_eq!(
        introspect("203.0.113.7", secret.clone()).await,
        429,
        "the guessing address waits"
    );
    assert_eq!(
        introspect("198.51.100.2", secret).await,
        200,
        "the client's own address does not"
    );
    // An id that is no client id (here with a NUL) is refused as a client, never a 500.
    let odd = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("a\0b", Some("x"))
        .form(&[("token", "t")])
        .fetch()
        .await;
    assert_eq!(odd.status(), 401);
}

#[both_backends]
async fn an_access_token_is_not_accepted_as_id_token_hint(backend: Backend) {
    // With the access tokens' audience set to a client id, an access token carries the
    // same `sub`, `aud` and `iss` as an ID token; only its `typ` tells them apart.
    let app = spawn_app_with(backend, |c| c.tokens.audience = Some("webapp".into())).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let b = browser();
    let tokens = app
        .tokens_in(&b, "webapp", &secret, "ann@example.com")
        .await;
    let logout_with = |hint: &str| {
        let mut url = url::Url::parse(&app.url("/logout")).unwrap();
        url.query_pairs_mut().append_pair("id_token_hint", hint);
        String::from(url)
    };
    let refused = b
        .get(logout_with(tokens["access_token"].as_str().unwrap()))
        .fetch()
        .await;
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().get("location").is_none());
    assert!(refused.text().await.unwrap().contains("typ is not JWT"));
    let still = app
        .follow(&b, &app.authorize_url("webapp", &Pkce::new(), &[]))
        .await;
    assert!(still.starts_with(REDIRECT_URI), "still signed in: {still}");

    let accepted = b
        .get(logout_with(tokens["id_token"].as_str().unwrap()))
        .fetch()
        .await;
    assert!(
        accepted.status().is_success() || accepted.status().is_redirection(),
        "{}",
        accepted.status()
    );
    let after = app
        .follow(&b, &app.authorize_url("webapp", &Pkce::new(), &[]))
        .await;
    assert!(
        after.contains("/login?"),
        "the ID token ended the session: {after}"
    );
}

#[both_backends]
async fn an_https_issuer_gets_hsts_and_secure_host_only_cookies(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.issuer = Some("https://auth.example.test".into())
    })
    .await;
    for path in ["/login", "/.well-known/openid-configuration", "/authorize"] {
        let response = app.http.get(app.url(path)).fetch().await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
    let login = app.http.get(app.url("/login")).fetch().await;
    let cookies: Vec<&str> = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(!cookies.is_empty(), "the login page sets its CSRF cookie");
    for cookie in cookies {
        assert!(cookie.starts_with("__Host-"), "{cookie}");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        assert!(!cookie.contains("Domain="), "{cookie}");
    }

    // On a loopback http issuer (development), neither.
    let plain = spawn_app(backend).await;
    let login = plain.http.get(plain.url("/login")).fetch().await;
    assert!(login.headers().get("strict-transport-security").is_none());
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("auth_") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

#[both_backends]
async fn failed_logins_lock_out_the_address_first_and_the_account_only_past_a_higher_limit(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |c| {
        c.http.trusted_proxies = vec!["127.0.0.1".into()];
        c.login.max_failures_per_account = 8;
    })
    .await;
    app.user("ann@example.com").await;
    let login = app.url("/login");
    let attempt = |ip: &'static str, password: &'static str| {
        let b = browser_at(ip);
        let app = &app;
        let login = login.clone();
        async move {
            app.log_in(&b, &login, "ann@example.com", password)
                .await
                .status()
        }
    };
    for _ in 0..5 {
        assert_eq!(attempt("203.0.113.7", "wrong password!").await, 401);
    }
    assert_eq!(
        attempt("203.0.113.7", PASSWORD).await,
        429,
        "this address is locked out of the account"
    );
    assert_eq!(
        attempt("198.51.100.1", PASSWORD).await,
        303,
        "the owner elsewhere is not"
    );

    // Eight failures from two addresses pass the account's own limit: now it is closed to all.
    for _ in 0..5 {
        assert_eq!(attempt("203.0.113.8", "wrong password!").await, 401);
    }
    for _ in 0..3 {
        assert_eq!(attempt("203.0.113.9", "wrong password!").await, 401);
    }
    assert_eq!(
        attempt("198.51.100.1", PASSWORD).await,
        429,
        "the account is locked for everyone"
    );
    app.clock.advance(time::Duration::seconds(901));
    assert_eq!(
        attempt("198.51.100.1", PASSWORD).await,
        303,
        "until the window ends"
    );
}

#[both_backends]
async fn one_address_failing_at_many_accounts_is_throttled(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.http.trusted_proxies = vec!["127.0.0.1".into()];
        c.login.max_failures_per_ip = 3;
    })
    .await;
    app.user("ann@example.com").await;
    let login = app.url("/login");
    let spray = browser_at("203.0.113.7");
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        assert_eq!(
            app.log_in(&spray, &login, email, "wrong password!")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.log_in(&spray, &login, "ann@example.com", PASSWORD)
            .await
            .status(),
        429
    );
    // The last address of the header counts, so a client cannot choose its own by
    // prepending one (the proxy appends the real one).
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        "198.51.100.1, 203.0.113.7".parse().unwrap(),
    );
    let spoofing = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    assert_eq!(
        app.log_in(&spoofing, &login, "ann@example.com", PASSWORD)
            .await
            .status(),
        429
    );
    assert_eq!(
        app.log_in(
            &browser_at("198.51.100.1"),
            &login,
            "ann@example.com",
            PASSWORD
        )
        .await
        .status(),
        303
    );
}

#[both_backends]
async fn a_pending_authorization_request_belongs_to_the_browser_that_began_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let login = app
        .follow(&browser(), &app.authorize_url("webapp", &Pkce::new(), &[]))
        .await;
    let handle = query_of(&login)["request"].clone();
    let other = browser();
    let page = other.get(&login).fetch().await;
    assert_eq!(page.status(), 400);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("started in another browser")
    );
    // Signed in, the other browser still cannot continue (and so complete) the request.
    assert_eq!(
        app.login(&other, "ann@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    let resumed = other
        .get(app.url(&format!("/authorize/continue?request={handle}")))
        .fetch()
        .await;
    assert_eq!(resumed.status(), 400);
    assert!(resumed.headers().get("location").is_none());
}

#[both_backends]
async fn pkce_without_a_method_and_other_response_modes_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    let pkce = Pkce::new();
    // An absent code_challenge_method means `plain` (RFC 7636 4.3), which is refused.
    let no_method = authorize_with(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", "webapp"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("state", "s"),
            ("code_challenge", &pkce.challenge),
        ],
    );
    let location = app.follow(&browser(), &no_method).await;
    let query = query_of(&location);
    assert_eq!(query["error"], "invalid_request", "{location}");
    assert!(query["error_description"].contains("S256"), "{location}");
    for mode in ["fragment", "form_post"] {
        let location = app
            .follow(
                &browser(),
                &app.authorize_url("webapp", &pkce, &[("response_mode", mode)]),
            )
            .await;
        let query = query_of(&location);
        assert_eq!(query["error"], "invalid_request", "{mode}");
        assert!(
            query["error_description"].contains("response_mode"),
            "{mode}"
        );
        assert_eq!(query["state"], "state-123");
    }
}

#[both_backends]
async fn forged_and_misused_tokens_are_refused_at_introspection_and_userinfo(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let parts: Vec<&str> = access.split('.').collect();
    let header = decode_part(parts[0]);
    let claims = decode_part(parts[1]);
    let kid = header["kid"].as_str().unwrap().to_owned();

    let unsigned = format!(
        "{}.{}.",
        encode_part(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
        parts[1]
    );
    // HS256 keyed with what an attacker can download: the published public keys.
    let jwks = app.http.get(app.url("/jwks.json")).fetch_text().await;
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.typ = Some("at+jwt".into());
    hs_header.kid = Some(kid.clone());
    let hmac = jsonwebtoken::encode(
        &hs_header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(jwks.as_bytes()),
    )
    .unwrap();
    // Another issuer's claims under this server's own signing key.
    let ring = app.provider.keys().ring();
    let key = ring
        .signing_key(auth_core::clock::Clock::unix(&*app.clock))
        .unwrap();
    let resigned = auth_core::tokens::jws::sign(key, "at+jwt", &claims).unwrap();
    let mut foreign_claims = claims.clone();
    foreign_claims["iss"] = json!("https://other.example");
    let foreign = auth_core::tokens::jws::sign(key, "at+jwt", &foreign_claims).unwrap();

    let userinfo = |token: String| {
        let request = app.http.get(app.url("/userinfo")).bearer_auth(token);
        async move { request.fetch().await }
    };
    // The way the forgeries are made is sound: the unchanged claims, re-signed, pass.
    for token in [access.clone(), resigned] {
        assert!(app.is_active("webapp", &secret, &token).await);
        assert_eq!(userinfo(token).await.status(), 200);
    }
    let cases = [
        ("alg none", unsigned),
        ("HS256 keyed with the public keys", hmac),
        (
            "an ID token",
            tokens["id_token"].as_str().unwrap().to_owned(),
        ),
        ("another issuer", foreign),
    ];
    for (what, token) in cases {
        assert!(
            !app.is_active("webapp", &secret, &token).await,
            "{what} introspects as inactive"
        );
        let refused = userinfo(token).await;
        assert_eq!(refused.status(), 401, "{what}");
        assert!(
            refused.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token"),
            "{what}"
        );
    }
}

#[both_backends]
async fn codes_refresh_tokens_sessions_and_secrets_never_sit_in_the_database_in_clear(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let b = browser();
    let pkce = Pkce::new();
    let login = app
        .follow(&b, &app.authorize_url("webapp", &pkce, &[]))
        .await;
    let logged_in = app.log_in(&b, &login, "ann@example.com", PASSWORD).await;
    assert_eq!(logged_in.status(), 303);
    let session = set_cookie_value(&logged_in, "auth_session").expect("a session cookie");
    let next = logged_in.headers()["location"].to_str().unwrap().to_owned();
    let callback = app
        .authorize_as(&b, &app.url(&next), "ann@example.com")
        .await;
    let code = query_of(&callback)["code"].clone();

    let dump = database_dump(&app.db.url).await;
    assert!(!dump.is_empty());
    for (what, value) in [
        ("the code", &code),
        ("the session cookie", &session),
        ("the client secret", &secret),
        ("the password", &PASSWORD.to_owned()),
    ] {
        assert_absent(&dump, what, value);
    }
    let tokens: Value = app
        .exchange("webapp", &secret, &code, &pkce.verifier)
        .await
        .read_json()
        .await;
    let dump = database_dump(&app.db.url).await;
    for what in ["refresh_token", "access_token", "id_token"] {
        assert_absent(&dump, what, tokens[what].as_str().unwrap());
    }
}

#[both_backends]
async fn responses_send_no_referrer_and_only_machine_endpoints_answer_other_origins(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (secret, token) = app.admin_client().await;
    let origin = "https://other.example";
    let get_from_origin = |path: &str| {
        app.bearer_request(reqwest::Method::GET, path, &token)
            .header("origin", origin)
            .fetch()
    };
    for path in [
        "/login",
        "/signup",
        "/forgot-password",
        "/reset-password?token=pr_x",
        "/authorize",
        "/.well-known/openid-configuration",
        "/api/account/me",
        "/admin/clients",
    ] {
        let response = get_from_origin(path).await;
        assert_eq!(
            response.headers()["referrer-policy"],
            "no-referrer",
            "{path}"
        );
    }
    for path in [
        "/login",
        "/consent",
        "/logout",
        "/api/account/me",
        "/api/account/password/forgot",
        "/admin/clients",
    ] {
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .fetch()
            .await;
        assert!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{path}"
        );
        let get = get_from_origin(path).await;
        assert!(
            get.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
    }
    let issued = app
        .http
        .post(app.url("/token"))
        .header("origin", origin)
        .basic_auth("ops", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .fetch()
        .await;
    assert_eq!(issued.headers()["access-control-allow-origin"], "*");
    assert!(
        issued
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

#[both_backends]
async fn logs_hold_no_password_address_code_token_or_cookie_through_a_code_flow(backend: Backend) {
    let db = TestDb::create(backend).await;
    let (_, kek) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    let callback_uri = "http://127.0.0.1:9/cb";
    let created = cli_command(&db.url, &kek)
        .args([
            "client",
            "create",
            "--name",
            "Web",
            "--id",
            "web",
            "--redirect-uri",
            callback_uri,
            "--scope",
            "openid email offline_access",
            "--json",
        ])
        .output()
        .unwrap();
    let created = json_output(&created);
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let email = "secret.person@example.com";
    let mut user = cli_command(&db.url, &kek)
        .args([
            "user",
            "create",
            "--email",
            email,
            "--verified",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        writeln!(user.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    }
    let user = user.wait_with_output().unwrap();
    assert!(
        user.status.success(),
        "{}",
        String::from_utf8_lossy(&user.stderr)
    );

    let mut command = cli_command(&db.url, &kek);
    command.env("AUTH_LOG__FILTER", "debug");
    let server = ServerProcess::start(command);
    let b = browser();
    let pkce = Pkce::new();
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", callback_uri),
        ("scope", "openid email offline_access"),
        ("state", "st"),
        ("nonce", "n"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]);
    let absolute = |location: &str| {
        if location.starts_with('/') {
            server.url(location)
        } else {
            location.to_owned()
        }
    };
    let to_login = b.get(url.as_str()).fetch().await;
    let login = absolute(to_login.headers()["location"].to_str().unwrap());
    let page = b.get(&login).fetch_text().await;
    let csrf = form_field(&page, "csrf_token").unwrap();
    let wrong = b
        .post(server.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", "a wrong password"),
            ("request", &form_field(&page, "request").unwrap()),
        ])
        .fetch()
        .await;
    assert_eq!(wrong.status(), 401);
    let logged_in = b
        .post(server.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
            ("request", &form_field(&page, "request").unwrap()),
        ])
        .fetch()
        .await;
    assert_eq!(logged_in.status(), 303);
    let session = set_cookie_value(&logged_in, "auth_session").unwrap();
    let mut location = absolute(logged_in.headers()["location"].to_str().unwrap());
    while !location.starts_with(callback_uri) {
        let response = b.get(&location).fetch().await;
        if response.status() == 200 {
            let page = response.text().await.unwrap();
            let answer = allow_consent(&b, &server.url("/consent"), &page).await;
            location = absolute(answer.headers()["location"].to_str().unwrap());
        } else {
            location = absolute(response.headers()["location"].to_str().unwrap());
        }
    }
    let code = query_of(&location)["code"].clone();
    let http = reqwest::Client::new();
    let tokens: Value = http
        .post(server.url("/token"))
        .basic_auth("web", Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", callback_uri),
            ("code_verifier", &pkce.verifier),
        ])
        .fetch_json()
        .await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: Value = http
        .post(server.url("/token"))
        .basic_auth("web", Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .fetch_json()
        .await;
    let userinfo = http
        .get(server.url("/userinfo"))
        .bearer_auth(refreshed["access_token"].as_str().unwrap())
        .fetch()
        .await;
    assert_eq!(userinfo.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let logs = server.output();
    assert!(
        logs.contains("\"route\":\"/login\"") && logs.contains("\"route\":\"/token\""),
        "requests are logged:\n{logs}"
    );
    let secrets = [
        ("the password", PASSWORD),
        ("the wrong password", "a wrong password"),
        ("the e-mail address", email),
        ("the session cookie", session.as_str()),
        ("the CSRF token", csrf.as_str()),
        ("the code", code.as_str()),
        ("the PKCE verifier", pkce.verifier.as_str()),
        ("the refresh token", refresh.as_str()),
        (
            "the rotated refresh token",
            refreshed["refresh_token"].as_str().unwrap(),
        ),
        ("the access token", tokens["access_token"].as_str().unwrap()),
        ("the ID token", tokens["id_token"].as_str().unwrap()),
        ("the client secret", secret.as_str()),
    ];
    for (what, value) in secrets {
        assert!(!logs.contains(value), "{what} reached the logs");
    }
    let encoded_email = email.replace('@', "%40");
    assert!(
        !logs.contains(&encoded_email),
        "the form-encoded e-mail address reached the logs"
    );
}

/// A connection holding `email_tokens` locked (PostgreSQL), until it rolls back.
async fn lock_email_tokens(app: &TestApp) -> sqlx::PgConnection {
    let mut lock = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE email_tokens IN ACCESS EXCLUSIVE MODE")
        .execute(&mut lock)
        .await
        .unwrap();
    lock
}

/// The answer to `request`, which must not wait for the locked table. Not a speed limit:
/// without an answer before the account's work, the request waits for the lock forever.
async fn answered_without_the_lock(
    request: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    email: &str,
) -> reqwest::Response {
    tokio::time::timeout(std::time::Duration::from_secs(30), request)
        .await
        .unwrap_or_else(|_| panic!("the answer for {email} waited for the account's work"))
        .unwrap()
}

/// Forgot-password answers before anything about the address is looked up, so a known and an
/// unknown address take the same time. Proven by making the known address's work impossible
/// to finish: another connection holds the table of e-mailed links, and the answer still comes.
/// PostgreSQL only: SQLite locks the whole database, so the address-independent rate limit
/// would wait too.
#[postgres_only]
async fn forgot_password_answers_before_it_touches_the_account() {
    // No SMTP server listens, so the mail stays in the outbox where the test can count it.
    let port = SmtpSink::reserve_port();
    let app = spawn_app_with(Backend::Postgres, |c| smtp_to(c, port)).await;
    app.user("ann@example.com").await;
    let mut lock = lock_email_tokens(&app).await;
    for email in ["ann@example.com", "nobody@example.com"] {
        let request = app
            .http
            .post(app.url("/api/account/password/forgot"))
            .json(&json!({ "email": email }))
            .send();
        let answer = answered_without_the_lock(request, email).await;
        assert_eq!(answer.status(), 202);
    }
    assert_eq!(app.provider.store().pending_mail().await.unwrap(), 0);
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    app.wait_for_pending_mail(1).await;
}

/// The same for a new confirmation link (attack review of issue 23: the answer for an
/// unverified account waited for the token, the mail's rendering and the outbox, a timing
/// difference from an unknown or verified address). PostgreSQL only, as above.
#[postgres_only]
async fn a_new_confirmation_link_is_answered_before_the_account_is_touched() {
    let port = SmtpSink::reserve_port();
    let app = spawn_app_with(Backend::Postgres, |c| smtp_to(c, port)).await;
    app.unverified_user("ann@example.com").await;
    let before = app.provider.store().pending_mail().await.unwrap();
    let b = browser();
    let (_, csrf) = app.form_page(&b, &app.url("/verify-email/resend")).await;
    let mut lock = lock_email_tokens(&app).await;
    for email in ["ann@example.com", "nobody@example.com"] {
        let request = b
            .post(app.url("/verify-email/resend"))
            .form(&[("csrf_token", csrf.as_str()), ("email", email)])
            .send();
        let answer = answered_without_the_lock(request, email).await;
        assert_eq!(answer.status(), 200);
    }
    assert_eq!(app.provider.store().pending_mail().await.unwrap(), before);
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    app.wait_for_pending_mail(before + 1).await;
}
