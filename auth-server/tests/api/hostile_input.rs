//! Hostile input over HTTP: bodies and headers over their limits, slow clients, invalid UTF-8,
//! repeated parameters, SQL meta-characters and oversized tokens. Every one gets a clear 4xx
//! answer (or a closed connection), never a 500 or a hang, and the server keeps serving others.

use crate::support::{
    Backend, PASSWORD, TestApp, both_backends, db_count, query_of, spawn_app, spawn_app_with,
};
use auth_testkit::Fetch as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMIT: usize = 64 * 1024;

/// Every SQL meta-character in one string.
const META: &str = r#"o'brien"; DROP TABLE users; -- /* */ \ % _"#;

/// A server with open registration, so `/register` exists.
async fn open_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open
    })
    .await
}

/// A token with the `admin` scope.
async fn admin_token(app: &TestApp) -> String {
    let secret = app.confidential_client("ops", "admin").await;
    crate::walks::service_token(app, "ops", &secret, Some("admin")).await
}

/// Status and JSON body of a response.
async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("expected a JSON body with status {status} ({e}): {text}"));
    (status, body)
}

/// Posts `body` as a form to `path`, authenticated as the client `svc`; the answer's status
/// and JSON body.
async fn raw_form_as_svc(
    app: &TestApp,
    secret: &str,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = app
        .http
        .post(app.url(path))
        .basic_auth("svc", Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .fetch()
        .await;
    json_of(response).await
}

/// Posts `form` to `path`, authenticated as the client `svc`.
async fn form_as_svc(
    app: &TestApp,
    secret: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .basic_auth("svc", Some(secret))
        .form(form)
        .fetch()
        .await
}

/// Posts the JSON `body` to `path`, with the bearer `token` where given; the answer's status
/// and JSON body.
async fn json_post(
    app: &TestApp,
    path: &str,
    body: impl Into<reqwest::Body>,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    json_of(request.fetch().await).await
}

/// Sends raw bytes on a new connection and reads until the server closes it (at most 20 s).
/// The server may answer and close before it has read everything: a failed write or a reset
/// ends the exchange with what was received.
async fn raw(app: &TestApp, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buffer = [0u8; 8192];
        while let Ok(n @ 1..) = stream.read(&mut buffer).await {
            answer.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server neither answered nor closed the connection"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

/// Whether the server closes `stream` within `within`, reading (and dropping) what it sends.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A well-formed compact JWS (header, payload, signature) of about `size` bytes, signed by no
/// key of the server.
fn forged_jwt(size: usize) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"at+jwt","kid":"forged"}"#);
    let claims = json!({"sub": "x", "pad": "a".repeat(size * 3 / 4)});
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode([7u8; 256]))
}

/// Rows in `table`, read straight from the database.
async fn count_rows(app: &TestApp, table: &str) -> i64 {
    db_count(&app.db.url, &format!("SELECT COUNT(*) FROM {table}")).await
}

/// The server still answers an ordinary request.
async fn still_serving(app: &TestApp) {
    // On a new connection: the slow servers below close idle keep-alive connections after a
    // second, and a pooled connection closed just as it is reused fails the request
    // (`IncompleteMessage`), which says nothing about whether the server still serves.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = fresh.get(app.url("/healthz")).fetch().await;
    assert_eq!(response.status(), 200);
}

#[both_backends]
async fn every_endpoint_that_reads_a_body_refuses_one_over_the_limit_with_413(backend: Backend) {
    let app = open_app(backend).await;
    let admin = admin_token(&app).await;
    let form = "application/x-www-form-urlencoded";
    let json_type = "application/json";
    // (method, path, content type, answered with a page rather than JSON)
    let endpoints = [
        (Method::POST, "/token", form, false),
        (Method::POST, "/introspect", form, false),
        (Method::POST, "/revoke", form, false),
        (Method::POST, "/userinfo", form, false),
        (Method::POST, "/register", json_type, false),
        (Method::PUT, "/register/someone", json_type, false),
        (Method::POST, "/api/account/register", json_type, false),
        (Method::PATCH, "/api/account/me", json_type, false),
        (
            Method::POST,
            "/api/account/password/forgot",
            json_type,
            false,
        ),
        (Method::POST, "/admin/users", json_type, false),
        (Method::POST, "/admin/clients", json_type, false),
        (Method::POST, "/login", form, true),
        (Method::POST, "/login/second-factor", form, true),
        (Method::POST, "/signup", form, true),
        (Method::POST, "/consent", form, true),
        (Method::POST, "/logout", form, true),
        (Method::POST, "/account/profile", form, true),
        (Method::POST, "/forgot-password", form, true),
        (Method::POST, "/reset-password", form, true),
        (Method::POST, "/verify-email/resend", form, true),
    ];
    let huge = format!("pad={}", "a".repeat(LIMIT + 1024));
    let expected = format!("the request body is larger than the limit of {LIMIT} bytes");
    for (method, path, content_type, page) in endpoints {
        let response = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(huge.clone())
            .fetch()
            .await;
        assert_eq!(response.status(), 413, "{method} {path}");
        if page {
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html"),
                "{path}"
            );
            let html = response.text().await.unwrap();
            assert!(html.contains(&expected), "{path}: {html}");
        } else {
            let (_, body) = json_of(response).await;
            assert_eq!(body["error"], "invalid_request", "{path}");
            assert_eq!(body["error_description"], expected.as_str(), "{path}");
        }
    }

    // Chunked bodies declare no length: they are refused once they pass the limit.
    for (path, content_type, page) in [
        ("/token", form, false),
        ("/register", json_type, false),
        ("/admin/users", json_type, false),
        ("/login", form, true),
    ] {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {admin}\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ).into_bytes();
        for _ in 0..10 {
            request.extend_from_slice(format!("2000\r\n{}\r\n", "b".repeat(0x2000)).as_bytes());
        }
        request.extend_from_slice(b"0\r\n\r\n");
        let answer = raw(&app, &request).await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{path}: {}",
            &answer[..answer.len().min(300)]
        );
        assert!(answer.contains(&expected), "{path}: {answer}");
        assert_eq!(
            answer.contains("\"error\":\"invalid_request\""),
            !page,
            "{path}"
        );
    }

    // A body just within the limit is read and judged on its content.
    let within = format!(
        "grant_type=client_credentials&pad={}",
        "a".repeat(LIMIT - 100)
    );
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("nobody", Some("x"))
        .header("content-type", form)
        .body(within)
        .fetch()
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    still_serving(&app).await;
}

#[both_backends]
async fn invalid_utf8_anywhere_is_a_400_naming_the_problem(backend: Backend) {
    let app = open_app(backend).await;
    let secret = app.confidential_client("svc", "x").await;
    let admin = admin_token(&app).await;
    let form = "application/x-www-form-urlencoded";

    // Percent-encoded and raw invalid UTF-8 in OAuth form bodies.
    for (path, body) in [
        (
            "/token",
            b"grant_type=client_credentials&scope=%FF%FE".to_vec(),
        ),
        (
            "/token",
            b"grant_type=client_credentials&scope=\xff\xfe".to_vec(),
        ),
        ("/introspect", b"token=%C3%28".to_vec()),
        ("/revoke", b"token=abc\xc3".to_vec()),
    ] {
        let (status, error) = raw_form_as_svc(&app, &secret, path, body).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_request")),
            "{path}"
        );
        assert!(
            error["error_description"]
                .as_str()
                .unwrap()
                .ends_with("is not valid UTF-8"),
            "{path}: {error}"
        );
    }
    let (status, error) = raw_form_as_svc(
        &app,
        &secret,
        "/token",
        &b"grant_type=client_credentials&%FF=1"[..],
    )
    .await;
    assert_eq!(
        (status, error["error_description"].as_str()),
        (400, Some("a parameter name is not valid UTF-8"))
    );

    // In query strings: percent-encoded ones reach the parser, raw bytes are refused by hyper.
    for path in [
        "/authorize?client_id=%FF%FE",
        "/logout?state=%FF",
        "/login?request=%C0%AF",
    ] {
        let response = app.http.get(app.url(path)).fetch().await;
        assert_eq!(response.status(), 400, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("is not valid UTF-8")
                || html.contains("Request expired")
                || html.contains("Invalid"),
            "{path}: {html}"
        );
    }
    let answer = raw(
        &app,
        b"GET /authorize?client_id=\xff\xfe HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    // In hosted page forms.
    let browser = crate::support::browser();
    let login = app
        .submit(
            &browser,
            "/login",
            "/login",
            &[("email", "a@example.com"), ("password", "x")],
        )
        .await;
    assert_eq!(
        login.status(),
        401,
        "an ordinary login post is read (and the unknown user refused)"
    );
    let response = browser
        .post(app.url("/login"))
        .header("content-type", form)
        .body(&b"email=a%40example.com&password=%FF%FE"[..])
        .fetch()
        .await;
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("parameter `password` is not valid UTF-8")
    );

    // In JSON bodies.
    for (path, token) in [
        ("/register", None),
        ("/api/account/register", None),
        ("/admin/users", Some(admin.as_str())),
    ] {
        let body: &[u8] = if path == "/register" {
            b"{\"client_name\": \"\xff\xfe\"}"
        } else {
            b"{\"email\": \"\xff@example.com\", \"password\": \"x\"}"
        };
        let (status, error) = json_post(&app, path, body, token).await;
        assert_eq!(status, 400, "{path}: {error}");
        let expected = if path == "/register" {
            "invalid_client_metadata"
        } else {
            "invalid_request"
        };
        assert_eq!(error["error"], expected, "{path}");
        assert!(
            error["error_description"]
                .as_str()
                .unwrap()
                .contains("invalid unicode code point"),
            "{path}: {error}"
        );
    }

    // In header values (obs-text bytes).
    let bad = reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap();
    for path in ["/userinfo", "/api/account/me", "/admin/users"] {
        let response = app
            .http
            .get(app.url(path))
            .header("authorization", bad.clone())
            .fetch()
            .await;
        let (status, error) = json_of(response).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_request")),
            "{path}"
        );
        assert_eq!(
            error["error_description"],
            "the Authorization header is not visible ASCII"
        );
    }
    let response = app
        .http
        .post(app.url("/token"))
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Basic \xff").unwrap(),
        )
        .header("content-type", form)
        .body("grant_type=client_credentials")
        .fetch()
        .await;
    let (status, error) = json_of(response).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let response = app
        .http
        .get(app.url("/login"))
        .header(
            "cookie",
            reqwest::header::HeaderValue::from_bytes(b"auth_session=\xff\xfe; auth_csrf=\xc3")
                .unwrap(),
        )
        .fetch()
        .await;
    assert_eq!(
        response.status(),
        200,
        "an unreadable cookie is ignored like a missing one"
    );
    still_serving(&app).await;
}

#[both_backends]
async fn repeated_parameters_are_refused_at_every_endpoint(backend: Backend) {
    let app = open_app(backend).await;
    let secret = app.confidential_client("svc", "x").await;
    let form = "application/x-www-form-urlencoded";

    // RFC 6749 sections 3.1 and 3.2, RFC 7009 section 2.1, RFC 7662 section 2.1.
    for (path, body, name) in [
        (
            "/token",
            "grant_type=client_credentials&grant_type=client_credentials",
            "grant_type",
        ),
        (
            "/token",
            "grant_type=client_credentials&scope=x&scope=x",
            "scope",
        ),
        ("/introspect", "token=a&token=b", "token"),
        (
            "/revoke",
            "token=a&token_type_hint=access_token&token_type_hint=refresh_token",
            "token_type_hint",
        ),
        ("/userinfo", "access_token=a&access_token=b", "access_token"),
    ] {
        let (status, error) = raw_form_as_svc(&app, &secret, path, body).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_request")),
            "{path}: {error}"
        );
        assert_eq!(
            error["error_description"],
            format!("parameter `{name}` is included more than once"),
            "{path}"
        );
    }

    // Query strings of /authorize and the end-session endpoint, and every hosted form.
    let browser = crate::support::browser();
    for url in [
        "/authorize?client_id=svc&client_id=svc&response_type=code",
        "/authorize?client_id=svc&response_type=code&state=a&state=b",
        "/logout?state=a&state=b",
        "/login?request=a&request=b",
    ] {
        let response = browser.get(app.url(url)).fetch().await;
        assert_eq!(response.status(), 400, "{url}");
        let html = response.text().await.unwrap();
        assert!(html.contains("is included more than once"), "{url}: {html}");
    }
    for path in [
        "/logout",
        "/login",
        "/signup",
        "/consent",
        "/forgot-password",
        "/reset-password",
        "/verify-email/resend",
        "/login/second-factor",
        "/account/profile",
    ] {
        let response = browser
            .post(app.url(path))
            .header("content-type", form)
            .body("csrf_token=a&csrf_token=b&email=x%40example.com")
            .fetch()
            .await;
        assert_eq!(response.status(), 400, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("parameter `csrf_token` is included more than once"),
            "{path}: {html}"
        );
    }

    // JSON objects with a key twice.
    let admin = admin_token(&app).await;
    for (path, body, token) in [
        (
            "/register",
            r#"{"client_name": "a", "client_name": "b", "redirect_uris": ["https://a.example/cb"]}"#,
            None,
        ),
        (
            "/api/account/register",
            r#"{"email": "a@example.com", "email": "b@example.com", "password": "correct horse battery"}"#,
            None,
        ),
        (
            "/admin/users",
            r#"{"email": "a@example.com", "password": "correct horse battery", "password": "other horse battery"}"#,
            Some(admin.as_str()),
        ),
    ] {
        let (status, error) = json_post(&app, path, body, token).await;
        assert_eq!(status, 400, "{path}: {error}");
        assert!(
            error["error_description"]
                .as_str()
                .unwrap()
                .contains("duplicate field"),
            "{path}: {error}"
        );
    }
    assert_eq!(count_rows(&app, "users").await, 0, "nothing was created");
    assert_eq!(
        count_rows(&app, "clients").await,
        2,
        "only the two test clients"
    );
}

#[both_backends]
async fn sql_meta_characters_are_stored_byte_exact_or_refused_and_tables_stay_intact(
    backend: Backend,
) {
    let app = open_app(backend).await;
    let admin = admin_token(&app).await;
    let users_before = count_rows(&app, "users").await;

    // A client name and a redirect URI full of meta-characters, through RFC 7591.
    let redirect = "https://app.example/cb?q=%27%22%3B--%2F*_%25";
    let registered = app
        .http
        .post(app.url("/register"))
        .json(&json!({"client_name": META, "redirect_uris": [redirect], "scope": "openid"}))
        .fetch()
        .await;
    let (status, registered) = json_of(registered).await;
    assert_eq!(status, 201, "{registered}");
    assert_eq!(registered["client_name"], META);
    assert_eq!(registered["redirect_uris"], json!([redirect]));
    let read = app
        .http
        .get(registered["registration_client_uri"].as_str().unwrap())
        .bearer_auth(registered["registration_access_token"].as_str().unwrap())
        .fetch()
        .await;
    let (_, read) = json_of(read).await;
    assert_eq!(
        (read["client_name"].as_str(), read["redirect_uris"].clone()),
        (Some(META), json!([redirect]))
    );
    let client_id = registered["client_id"].as_str().unwrap().to_owned();

    // A scope value is a token of limited characters: refused, not looked up.
    let secret = app.confidential_client("svc", "x").await;
    let response = form_as_svc(
        &app,
        &secret,
        "/token",
        &[("grant_type", "client_credentials"), ("scope", META)],
    )
    .await;
    let (status, error) = json_of(response).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_scope")),
        "{error}"
    );

    // state, nonce and login_hint: state comes back byte-exact in an error redirect.
    let pkce = crate::support::Pkce::new();
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "token")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", META)
        .append_pair("nonce", META)
        .append_pair("login_hint", META)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    let response = app.http.get(url.as_str()).fetch().await;
    let status = response.status().as_u16();
    assert!(status == 303 || status == 400, "got {status}");
    if status == 303 {
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(query_of(&location)["state"], META);
    }
    app.code_client("webapp").await;
    let pkce = crate::support::Pkce::new();
    let authorize = app.authorize_url("webapp", &pkce, &[("login_hint", META)]);
    let authorize = authorize.replace("state=state-123", &format!("state={}", urlencode(META)));
    let response = crate::support::browser().get(&authorize).fetch().await;
    assert_eq!(
        response.status(),
        303,
        "login_hint and state with meta-characters are accepted"
    );

    // E-mail local parts, display names and passwords through the account API.
    let password = format!("{META}{PASSWORD}");
    let local = "o'brien%_--";
    let created = app
        .http
        .post(app.url("/api/account/register"))
        .json(&json!({"email": format!("{local}@example.com"), "password": password, "name": META}))
        .fetch()
        .await;
    let mut created_users = 0;
    for response in [
        created,
        app.http
            .post(app.url("/api/account/register"))
            .json(&json!({"email": "\"a;b\"@example.com", "password": password, "name": META}))
            .fetch()
            .await,
    ] {
        let (status, body) = json_of(response).await;
        assert!(status == 202 || status == 422, "got {status}: {body}");
        created_users += i64::from(status == 202);
    }
    let by_admin = app
        .http
        .post(app.url("/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({
            "email": "meta@example.com",
            "password": password,
            "name": META,
            "email_verified": true
        }))
        .fetch()
        .await;
    let (status, user) = json_of(by_admin).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["name"], META);
    let id = user["id"].as_str().unwrap();
    let (_, shown) = json_of(
        app.http
            .get(app.url(&format!("/admin/users/{id}")))
            .bearer_auth(&admin)
            .fetch()
            .await,
    )
    .await;
    assert_eq!(shown["name"], META);
    let browser = crate::support::browser();
    let login = app
        .log_in(&browser, &app.url("/login"), "meta@example.com", &password)
        .await;
    assert_eq!(
        login.status(),
        303,
        "the password with meta-characters logs in"
    );
    assert_eq!(login.headers()["location"], "/account");

    // Search and filter fields of /admin.
    for path in [
        format!("/admin/audit?user={}", urlencode(META)),
        format!("/admin/audit?event={}", urlencode(META)),
        format!("/admin/users?after={}", urlencode(META)),
        format!("/admin/users/{}", urlencode(META)),
        format!("/admin/clients/{}", urlencode(META)),
    ] {
        let response = app
            .http
            .get(app.url(&path))
            .bearer_auth(&admin)
            .fetch()
            .await;
        let (status, body) = json_of(response).await;
        assert!(
            status == 200 && body == json!([]) || (400..500).contains(&status),
            "{path}: {status} {body}"
        );
    }

    // NUL in any of them: refused with a clear error, on both databases alike.
    let nul = format!("{META}\u{0}after");
    let requests = [
        app.http
            .post(app.url("/register"))
            .json(&json!({"client_name": nul, "redirect_uris": ["https://a.example/cb"]})),
        app.http
            .post(app.url("/api/account/register"))
            .json(&json!({"email": "nul@example.com", "password": password, "name": nul})),
        app.http
            .post(app.url("/admin/users"))
            .bearer_auth(&admin)
            .json(&json!({"email": "nul@example.com", "password": password, "name": nul})),
        app.http
            .post(app.url("/admin/roles"))
            .bearer_auth(&admin)
            .json(&json!({"name": "r", "description": nul})),
        // JSON that axum reads under other spellings of its media type is scanned too.
        app.http
            .post(app.url("/admin/roles"))
            .bearer_auth(&admin)
            .header("content-type", "Application/JSON; charset=utf-8")
            .body(json!({"name": "r2", "description": nul}).to_string()),
        app.http
            .post(app.url("/admin/roles"))
            .bearer_auth(&admin)
            .header("content-type", "application/merge-patch+json")
            .body(json!({"name": "r3", "description": nul}).to_string()),
        app.http
            .get(app.url("/admin/audit?event=a%00b"))
            .bearer_auth(&admin),
        app.http
            .post(app.url("/token"))
            .basic_auth("svc", Some(&secret))
            .form(&[("grant_type", "client_credentials"), ("scope", &nul)]),
        app.http
            .post(app.url("/introspect"))
            .basic_auth("svc", Some(&secret))
            .form(&[("token", &nul)]),
    ];
    for request in requests {
        let (status, body) = json_of(request.fetch().await).await;
        assert!((400..500).contains(&status), "{status} {body}");
        assert!(
            [
                "invalid_request",
                "invalid_scope",
                "invalid_client_metadata"
            ]
            .contains(&body["error"].as_str().unwrap()),
            "{body}"
        );
    }
    for url in [
        "/authorize?client_id=webapp&state=a%00b",
        "/login?request=a%00b",
    ] {
        let response = crate::support::browser().get(app.url(url)).fetch().await;
        assert!(
            (400..500).contains(&response.status().as_u16()),
            "{url}: {}",
            response.status()
        );
    }

    assert_eq!(
        count_rows(&app, "users").await,
        users_before + created_users + 1,
        "users table intact"
    );
    assert!(
        count_rows(&app, "clients").await >= 3,
        "clients table intact"
    );
    still_serving(&app).await;
}

#[both_backends]
async fn oversized_tokens_are_refused_before_they_are_decoded(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "x").await;

    // About 1 MiB in a header: refused with the request head, before any handler.
    let huge = forged_jwt(1024 * 1024);
    for path in ["/userinfo", "/api/account/me", "/admin/users"] {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {huge}\r\n\
             Connection: close\r\n\r\n"
        );
        let answer = raw(&app, request.as_bytes()).await;
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
            "{path}: {}",
            &answer[..answer.len().min(200)]
        );
    }
    // About 1 MiB in a body: 413.
    for path in ["/introspect", "/revoke", "/userinfo"] {
        let response = form_as_svc(&app, &secret, path, &[("token", huge.as_str())]).await;
        assert_eq!(response.status(), 413, "{path}");
    }

    // Over the 16 KiB token limit: in a header that is past the request head limit too (431);
    // in a body it is refused by its length, not by its (forged) signature, so nothing of
    // it was decoded.
    let long = forged_jwt(20 * 1024);
    for path in ["/userinfo", "/api/account/me"] {
        let response = app.http.get(app.url(path)).bearer_auth(&long).fetch().await;
        assert_eq!(response.status(), 431, "{path}");
    }
    let response = app
        .http
        .post(app.url("/userinfo"))
        .form(&[("access_token", long.as_str())])
        .fetch()
        .await;
    let (status, error) = json_of(response).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert_eq!(
        error["error_description"],
        "the token is malformed: longer than 16 KiB"
    );
    // RFC 7662 section 2.2: an unusable token is inactive; RFC 7009 section 2.2: 200.
    let response = form_as_svc(&app, &secret, "/introspect", &[("token", long.as_str())]).await;
    let (status, body) = json_of(response).await;
    assert_eq!((status, body), (200, json!({"active": false})));
    let response = form_as_svc(&app, &secret, "/revoke", &[("token", long.as_str())]).await;
    assert_eq!(response.status(), 200);
    // The end-session endpoint: an error page naming the problem.
    let response = app
        .http
        .post(app.url("/logout"))
        .form(&[("id_token_hint", long.as_str())])
        .fetch()
        .await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains("longer than 16 KiB"), "{html}");
    let response = app
        .http
        .get(app.url(&format!("/logout?id_token_hint={}", forged_jwt(12 * 1024))))
        .fetch()
        .await;
    assert_eq!(response.status(), 400);
    still_serving(&app).await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

// The tests below exercise the connection handling, which no database takes part in: they run
// on SQLite only.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_request_heads_get_431_and_the_server_keeps_serving() {
    let app = spawn_app(Backend::Sqlite).await;
    let big = "c".repeat(64 * 1024);
    let response = app
        .http
        .get(app.url("/login"))
        .header("cookie", format!("auth_csrf={big}"))
        .fetch()
        .await;
    assert_eq!(response.status(), 431);
    let response = crate::walks::userinfo(&app, &big).await;
    assert_eq!(response.status(), 431);
    let answer = raw(
        &app,
        format!("GET /healthz HTTP/1.1\r\nHost: test\r\nX-Long: {big}\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 431"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    // Just under the default 16 KiB head is fine.
    let response = app
        .http
        .get(app.url("/healthz"))
        .header("x-long", "d".repeat(15 * 1024))
        .fetch()
        .await;
    assert_eq!(response.status(), 200);
    still_serving(&app).await;
}

async fn slow_app() -> TestApp {
    spawn_app_with(Backend::Sqlite, |c| {
        c.http.header_read_timeout_secs = 1;
        c.http.body_read_timeout_secs = 1;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_headers_is_disconnected_while_others_are_served() {
    let app = slow_app().await;
    let mut slow = TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    let trickle = async {
        // One header byte every 100 ms: never a complete head.
        for _ in 0..100 {
            if slow.write_all(b"X").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            still_serving(&app).await;
        }
        false
    };
    let cut_off = tokio::time::timeout(Duration::from_secs(15), trickle)
        .await
        .unwrap_or(false);
    let closed = cut_off || closed_within(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "the slow client was not disconnected");
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_completes_gets_408_and_the_connection_closes() {
    let app = slow_app().await;
    let mut slow = TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = b"POST /token HTTP/1.1\r\nHost: test\r\n\
        Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type";
    slow.write_all(head).await.unwrap();
    still_serving(&app).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection stayed open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error":"invalid_request""#), "{answer}");
    assert!(
        answer.contains("the request body was not received within 1 seconds"),
        "{answer}"
    );
    still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = slow_app().await;
    let mut idle = TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(
        &first, b"HTTP/1.1 200",
        "the first request is answered and the connection kept"
    );
    still_serving(&app).await;
    assert!(
        closed_within(&mut idle, Duration::from_secs(10)).await,
        "the idle connection stayed open"
    );
    // A connection that never sends a byte is closed too.
    let mut silent = TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    assert!(
        closed_within(&mut silent, Duration::from_secs(10)).await,
        "the silent connection stayed open"
    );
    still_serving(&app).await;
}

#[test]
fn the_http_limits_have_sane_defaults_and_ranges() {
    let config = auth_server::config::Config::default();
    assert_eq!(
        (
            config.http.max_body_bytes,
            config.http.max_header_bytes,
            config.http.header_read_timeout_secs,
            config.http.body_read_timeout_secs
        ),
        (64 * 1024, 16 * 1024, 10, 30)
    );
    let mut bad = config.clone();
    bad.http.header_read_timeout_secs = 0;
    let error = bad.validate().err().unwrap().to_string();
    assert_eq!(
        error,
        "http.header_read_timeout_secs must be between 1 and 600; got 0"
    );
    let mut bad = config.clone();
    bad.http.max_header_bytes = 100;
    let error = bad.validate().err().unwrap().to_string();
    assert_eq!(
        error,
        "http.max_header_bytes must be between 8192 and 1048576; got 100"
    );
}

/// A token whose header carries the attacker's text: `kid` with a line break (no header value
/// can hold it) and words meant for the victim, and an `alg` nobody accepts.
fn token_with_header(header: &Value) -> String {
    format!(
        "{}.e30.AA",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap())
    )
}

#[both_backends]
async fn a_token_header_s_text_is_never_repeated_and_the_challenge_survives_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let kid = "Your account is locked\r\ncall +1 555 0100";
    for header in [
        json!({"alg": "RS256", "kid": kid, "typ": "JWT"}),
        json!({"alg": "HS256 call +1 555 0100", "kid": kid}),
    ] {
        let token = token_with_header(&header);
        let response = crate::walks::userinfo(&app, &token).await;
        assert_eq!(response.status(), 401);
        let challenge = response
            .headers()
            .get("www-authenticate")
            .expect("RFC 6750 section 3: a 401 carries a challenge")
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("555") && !body.contains("locked"), "{body}");
        assert!(!challenge.contains("555"), "{challenge}");

        let page = app
            .http
            .get(app.url(&format!("/logout?id_token_hint={token}")))
            .fetch()
            .await
            .text()
            .await
            .unwrap();
        assert!(!page.contains("555") && !page.contains("locked"), "{page}");
    }
}

/// A client that declares a body over the limit and is still sending it when the 413 comes
/// reads the 413: the server reads and drops the rest of the body before it closes (RFC 9112
/// section 9.6). Closing at once made the client's writes fail with a broken pipe and lose
/// the answer, which is how `oversized_tokens_are_refused_before_they_are_decoded` flaked
/// on a busy machine.
#[both_backends]
async fn a_client_still_sending_a_body_over_the_limit_reads_the_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = vec![b'a'; 1024 * 1024];
    for path in ["/token", "/login", "/admin/users"] {
        let mut stream = TcpStream::connect(app.base_url.trim_start_matches("http://"))
            .await
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        // The refusal comes on the declared length alone; only then does the body follow.
        let mut answer = vec![0u8; 12];
        tokio::time::timeout(Duration::from_secs(20), stream.read_exact(&mut answer))
            .await
            .unwrap_or_else(|_| panic!("{path}: no answer to the head"))
            .unwrap();
        assert_eq!(&answer, b"HTTP/1.1 413", "{path}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        for chunk in body.chunks(16 * 1024) {
            stream
                .write_all(chunk)
                .await
                .unwrap_or_else(|e| panic!("{path}: the body could not be sent: {e}"));
        }
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut rest))
            .await
            .unwrap_or_else(|_| panic!("{path}: the connection stayed open"))
            .unwrap_or_else(|e| panic!("{path}: the answer was lost: {e}"));
        let rest = String::from_utf8_lossy(&rest);
        assert!(
            rest.contains(&format!(
                "the request body is larger than the limit of {LIMIT} bytes"
            )),
            "{path}: {rest}"
        );
    }
    still_serving(&app).await;
}
