use crate::support::{Backend, TestApp, both_backends, spawn_app};
use auth_core::clients::{AuthMethod, GrantType};
use auth_testkit::Fetch as _;
use reqwest::StatusCode;
use serde_json::Value;

async fn error_of(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// A request to the token endpoint authenticated with HTTP Basic as `id`.
fn token_request(app: &TestApp, id: &str, secret: &str) -> reqwest::RequestBuilder {
    app.http
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
}

/// Asserts that `response` is the error `code` with `status` and, where given, `description`.
async fn assert_refused(
    response: reqwest::Response,
    expected_status: StatusCode,
    code: &str,
    expected_description: Option<&str>,
) {
    let (status, error, description) = error_of(response).await;
    assert_eq!((status, error.as_str()), (expected_status, code));
    if let Some(expected) = expected_description {
        assert_eq!(description, expected);
    }
}

#[both_backends]
async fn issues_an_rfc9068_token_that_verifies_with_the_jwks(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app
        .confidential_client("events", "users:read events:write")
        .await;
    let response = token_request(&app, "events", &secret)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "users:read"),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "users:read");
    assert!(body.get("refresh_token").is_none());

    let token = body["access_token"].as_str().unwrap();
    let (header, claims) = crate::walks::verify_at(&app, token, &app.base_url)
        .await
        .expect("token verifies against the JWKS");
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(claims["sub"], "events");
    assert_eq!(claims["client_id"], "events");
    assert_eq!(claims["scope"], "users:read");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
}

#[both_backends]
async fn without_scope_the_client_gets_its_registered_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "b a").await;
    let body = app.client_credentials_token("svc", &secret, None).await;
    assert_eq!(body["scope"], "a b");
}

#[both_backends]
async fn client_secret_post_works_for_clients_registered_for_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app
        .client_with(
            "poster",
            "x",
            AuthMethod::ClientSecretPost,
            &[GrantType::ClientCredentials],
            &[],
        )
        .await
        .unwrap();
    let response = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "poster"),
            ("client_secret", &secret),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 200);

    let response = token_request(&app, "poster", &secret)
        .form(&[("grant_type", "client_credentials")])
        .fetch()
        .await;
    assert_refused(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        Some("client `poster` is registered for client_secret_post, not client_secret_basic"),
    )
    .await;
}

#[both_backends]
async fn failed_client_authentication_is_401_with_a_challenge(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "x").await;
    let cases: Vec<(Option<(&str, &str)>, &str)> = vec![
        (
            Some(("svc", "cs_wrong")),
            "client `svc` presented a wrong client secret",
        ),
        (
            Some(("nobody", &secret)),
            "no client is registered with id `nobody`",
        ),
        (
            None,
            "client authentication is required: send HTTP Basic credentials, client_id and client_secret, or a client assertion",
        ),
    ];
    for (credentials, expected) in cases {
        let mut request = app
            .http
            .post(app.url("/token"))
            .form(&[("grant_type", "client_credentials")]);
        if let Some((id, secret)) = credentials {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request.fetch().await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Basic realm=\"auth-server\", charset=\"UTF-8\""
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        let (status, error, description) = error_of(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(error, "invalid_client");
        assert_eq!(description, expected);
    }
}

#[both_backends]
async fn malformed_requests_get_the_rfc6749_error_that_fits(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "read write").await;
    let cases = [
        (
            "",
            "invalid_request",
            "required parameter `grant_type` is missing",
        ),
        (
            "grant_type=password&username=a&password=b",
            "unsupported_grant_type",
            "grant_type `password` is not supported; use one of: authorization_code, client_credentials, refresh_token, urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        (
            "grant_type=client_credentials&scope=admin",
            "invalid_scope",
            "client `svc` may not request scope `admin`",
        ),
        (
            "grant_type=client_credentials&scope=read%20%20write",
            "invalid_scope",
            "scope `read  write` is malformed: scope tokens are separated by single spaces and use printable ASCII other than `\"` and `\\`",
        ),
        (
            "grant_type=client_credentials&scope=read&scope=write",
            "invalid_request",
            "parameter `scope` is included more than once",
        ),
        (
            "grant_type=client_credentials&client_id=%FF",
            "invalid_request",
            "parameter `client_id` is not valid UTF-8",
        ),
        (
            "grant_type=client_credentials&client_secret=x",
            "invalid_request",
            "the client authenticated twice: use either HTTP Basic or client_secret in the body, not both",
        ),
    ];
    for (body, code, expected) in cases {
        let response = app
            .http
            .post(app.url("/token"))
            .basic_auth("svc", Some(&secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .fetch()
            .await;
        assert_eq!(response.headers()["cache-control"], "no-store");
        let (status, error, description) = error_of(response).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, code),
            "body {body:?}"
        );
        assert_eq!(description, expected, "body {body:?}");
    }
}

#[both_backends]
async fn a_client_without_the_grant_is_unauthorized_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app
        .client_with(
            "webapp",
            "openid",
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode],
            &["https://app.example.com/cb"],
        )
        .await
        .unwrap();
    let response = token_request(&app, "webapp", &secret)
        .form(&[("grant_type", "client_credentials")])
        .fetch()
        .await;
    assert_refused(
        response,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        Some("client `webapp` is not allowed to use grant_type `client_credentials`"),
    )
    .await;
}

#[both_backends]
async fn the_body_must_be_a_form_of_bounded_size(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "x").await;
    let response = token_request(&app, "svc", &secret)
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .fetch()
        .await;
    assert_refused(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        Some("the request body must be application/x-www-form-urlencoded"),
    )
    .await;

    let huge = format!(
        "grant_type=client_credentials&pad={}",
        "a".repeat(70 * 1024)
    );
    let response = token_request(&app, "svc", &secret)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .fetch()
        .await;
    assert_refused(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request",
        None,
    )
    .await;

    let response = app.http.get(app.url("/token")).fetch().await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[both_backends]
async fn two_authentication_methods_in_one_request_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "x").await;
    let response = token_request(&app, "svc", &secret)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "svc"),
            ("client_secret", &secret),
        ])
        .fetch()
        .await;
    assert_refused(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
}

#[both_backends]
async fn client_secrets_are_stored_hashed(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "x").await;
    assert!(secret.starts_with("cs_"));
    let client = app
        .provider
        .store()
        .client(&auth_core::clients::ClientId::parse("svc").unwrap())
        .await
        .unwrap()
        .unwrap();
    let stored = client.secret_hash.clone().unwrap();
    assert_eq!(stored.as_bytes().len(), 32);
    assert!(
        !stored
            .as_bytes()
            .windows(8)
            .any(|w| secret.as_bytes().windows(8).any(|s| s == w))
    );
    assert!(!format!("{client:?}").contains(&secret));
}
