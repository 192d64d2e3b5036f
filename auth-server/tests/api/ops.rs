use crate::support::{
    Backend, ServerProcess, TestDb, both_backends, browser, cli_command, postgres_admin_url,
    postgres_only, spawn_app,
};
use auth_testkit::Fetch as _;
use serde_json::Value;
use sqlx::Connection;

#[both_backends]
async fn expired_links_codes_and_counters_are_purged(backend: Backend) {
    use auth_core::clock::Clock;
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let b = browser();
    let wrong_password = || async {
        app.log_in(
            &b,
            &app.url("/login"),
            "ann@example.com",
            "not the password",
        )
        .await
        .status()
    };
    assert_eq!(wrong_password().await, 401);
    app.submit(
        &b,
        "/forgot-password",
        "/forgot-password",
        &[("email", "ann@example.com")],
    )
    .await;
    // The reset link is made by a background task after the answer: wait for it, or a purge
    // below could run before it exists and the next one find it.
    let mut links = 0;
    for _ in 0..150 {
        links = auth_testkit::db_count(&app.db.url, "SELECT COUNT(*) FROM email_tokens").await;
        if links == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(links, 1, "the reset link was never made");
    let store = app.provider.store();
    assert_eq!(
        store.purge_expired(app.clock.unix()).await.unwrap(),
        0,
        "nothing has expired yet"
    );

    app.clock.advance(time::Duration::days(2));
    let purged = store.purge_expired(app.clock.unix()).await.unwrap();
    // At least the reset link and the failure counters of the account and the address.
    assert!(purged >= 3, "purged {purged}");
    assert_eq!(store.purge_expired(app.clock.unix()).await.unwrap(), 0);
    assert_eq!(wrong_password().await, 401, "counting starts again");
}

#[both_backends]
async fn liveness_readiness_and_metrics_answer(backend: Backend) {
    const METRICS_TOKEN: &str = "a metrics token of at least thirty-two characters";
    let app =
        crate::support::spawn_app_with(backend, |c| c.metrics.token = Some(METRICS_TOKEN.into()))
            .await;
    let live = app.http.get(app.url("/healthz")).fetch().await;
    assert_eq!(live.status(), 200);
    let ready: Value = app.http.get(app.url("/readyz")).fetch_json().await;
    assert_eq!(ready["status"], "ready");

    let secret = app.confidential_client("svc", "").await;
    app.client_credentials_token("svc", &secret, None).await;
    // A method outside the standard ones is counted as `other`: clients cannot add series.
    let brew = reqwest::Method::from_bytes(b"BREW").unwrap();
    for _ in 0..2 {
        let odd = app
            .http
            .request(brew.clone(), app.url("/healthz"))
            .fetch()
            .await;
        assert_eq!(odd.status(), 405);
    }
    // Metrics need the metrics token (issue 19: their counters are not for anonymous eyes).
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .fetch_text()
        .await;
    assert!(
        metrics.contains(r#"http_requests_total{method="other",route="/healthz",status="405"} 2"#),
        "{metrics}"
    );
    assert!(!metrics.contains("BREW"));
    assert!(
        metrics.contains(r#"auth_tokens_issued_total{grant="client_credentials"}"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"http_requests_total{method="POST",route="/token",status="200"}"#));
    assert!(metrics.contains("http_request_duration_seconds_bucket{route=\"/token\""));
}

#[both_backends]
async fn every_response_carries_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let generated = app.http.get(app.url("/healthz")).fetch().await;
    assert_eq!(
        generated.headers()["x-request-id"].to_str().unwrap().len(),
        36
    );
    let given = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .fetch()
        .await;
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
    assert_eq!(given.headers()["x-content-type-options"], "nosniff");
    assert_eq!(given.headers()["x-frame-options"], "DENY");
}

#[both_backends]
async fn secrets_and_tokens_never_reach_the_logs(backend: Backend) {
    let db = TestDb::create(backend).await;
    let (_, kek) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    let created = cli_command(&db.url, &kek)
        .args(["client", "create", "--name", "Svc", "--id", "svc", "--json"])
        .output()
        .unwrap();
    let created = crate::walks::json_printed(&created);
    let secret = created["client_secret"].as_str().unwrap().to_owned();

    let mut command = cli_command(&db.url, &kek);
    command.env("AUTH_LOG__FILTER", "debug");
    let server = ServerProcess::start(command);
    let http = reqwest::Client::new();
    let token: Value = http
        .post(server.url("/token"))
        .basic_auth("svc", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .fetch_json()
        .await;
    let access_token = token["access_token"].as_str().unwrap().to_owned();
    http.post(server.url("/token"))
        .basic_auth("svc", Some("cs_a-wrong-secret"))
        .form(&[("grant_type", "client_credentials")])
        .fetch()
        .await;
    http.post(server.url("/introspect"))
        .basic_auth("svc", Some(&secret))
        .form(&[("token", access_token.as_str())])
        .fetch()
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = server.output();
    assert!(
        logs.contains("\"route\":\"/token\""),
        "request spans are logged:\n{logs}"
    );
    for secret_text in [
        secret.as_str(),
        "cs_a-wrong-secret",
        access_token.as_str(),
        &kek,
    ] {
        assert!(!logs.contains(secret_text), "a secret reached the logs");
    }
    // Basic credentials are base64 on the wire; their encoded form must not leak either.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("svc:{secret}"));
    assert!(!logs.contains(&basic));
}

#[postgres_only]
async fn readiness_fails_while_the_database_is_unreachable() {
    let app = spawn_app(Backend::Postgres).await;
    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let response = app.http.get(app.url("/readyz")).fetch().await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    // Liveness is about the process, not its dependencies.
    assert_eq!(app.http.get(app.url("/healthz")).fetch_status().await, 200);
}
