//! The audit log, rate limits at the token endpoint, and Redis-backed counters.

use crate::support::{
    Backend, PASSWORD, TestApp, both_backends, browser, spawn_app, spawn_app_with,
};
use auth_testkit::Fetch as _;
use reqwest::Method;
use serde_json::Value;

#[both_backends]
async fn security_events_are_in_the_audit_log_for_admins(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user("ann@example.com").await;
    let token = app.admin_token().await;
    app.login(&browser(), "ann@example.com", "wrong password!")
        .await;
    app.login(&browser(), "ann@example.com", PASSWORD).await;
    let created = app.cli(&["client", "create", "--name", "Svc", "--id", "svc"]);
    assert!(created.status.success());
    let role = app
        .bearer_request(Method::POST, "/admin/roles", &token)
        .json(&serde_json::json!({"name": "coach"}))
        .fetch()
        .await;
    assert_eq!(role.status(), 201);
    app.bearer_request(
        Method::PUT,
        &format!("/admin/users/{}/roles/coach", user.id),
        &token,
    )
    .fetch()
    .await;

    let events: Vec<Value> = app
        .bearer_request(Method::GET, "/admin/audit", &token)
        .fetch_json()
        .await;
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    for expected in [
        ("login", "failure"),
        ("login", "success"),
        ("client_created", "success"),
        ("role_created", "success"),
        ("role_granted", "success"),
    ] {
        assert!(kinds.contains(&expected), "{expected:?} in {kinds:?}");
    }
    let granted = events
        .iter()
        .find(|e| e["event"] == "role_granted")
        .unwrap();
    assert_eq!(granted["actor"], "ops");
    assert_eq!(granted["details"]["role"], "coach");
    assert!(
        events
            .iter()
            .find(|e| e["event"] == "client_created")
            .unwrap()["actor"]
            == "cli"
    );
    let logins: Vec<Value> = app
        .bearer_request(
            Method::GET,
            &format!("/admin/audit?user={}&event=login", user.id),
            &token,
        )
        .fetch_json()
        .await;
    assert_eq!(logins.len(), 1, "only the successful login names the user");
    let page: Vec<Value> = app
        .http
        .get(app.url(&format!(
            "/admin/audit?limit=2&before={}",
            events[0]["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .fetch_json()
        .await;
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["id"], events[1]["id"]);
    let no_email = serde_json::to_string(&events).unwrap();
    assert!(
        !no_email.contains("ann@example.com"),
        "the audit log holds no e-mail addresses"
    );
}

#[both_backends]
async fn guessing_client_secrets_is_throttled_at_the_token_endpoint(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.token_failures_per_client = auth_server::config::LimitConfig {
            limit: 3,
            window_secs: 600,
        }
    })
    .await;
    let secret = app.confidential_client("svc", "").await;
    for _ in 0..3 {
        let response = service_token(&app, "cs_guess").await;
        assert_eq!(response.status(), 401);
    }
    let limited = service_token(&app, &secret).await;
    let why = "even the right secret waits until the window ends";
    auth_testkit::accounts::assert_waits(limited, why).await;
    app.clock.advance(time::Duration::seconds(601));
    let after = service_token(&app, &secret).await;
    assert_eq!(after.status(), 200);
}

/// A client-credentials token request of the client `svc` with `secret`; the answer.
async fn service_token(app: &TestApp, secret: &str) -> reqwest::Response {
    app.http
        .post(app.url("/token"))
        .basic_auth("svc", Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .fetch()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_can_live_in_redis_and_expire_there() {
    let prefix = format!("auth-test-{}", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.rate_limits.redis_url = Some("redis://127.0.0.1:6379".into());
        c.rate_limits.redis_prefix = prefix.clone();
    })
    .await;
    app.user("ann@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            app.login(&browser(), "ann@example.com", "wrong password!")
                .await
                .status(),
            401
        );
    }
    let locked = app.login(&browser(), "ann@example.com", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    // The counters are in Redis, not in the database.
    let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:throttle:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        keys.iter().any(|k| k.contains("password-failure:account:")),
        "{keys:?}"
    );
    let ttl: i64 = redis::cmd("TTL")
        .arg(
            keys.iter()
                .find(|k| k.contains("password-failure:account:"))
                .unwrap(),
        )
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 900, "{ttl}");
    assert_eq!(
        app.provider
            .store()
            .throttle_counts(&["password-failure:network:127.0.0.1"])
            .await
            .unwrap(),
        Vec::new()
    );
    let _: () = redis::cmd("DEL")
        .arg(keys)
        .query_async(&mut redis)
        .await
        .unwrap();
}
