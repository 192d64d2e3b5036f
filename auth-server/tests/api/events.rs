//! Events for other services: the transactional outbox, signed webhooks with retries, NATS.

use crate::support::{Backend, PASSWORD, TestApp, both_backends, spawn_app, spawn_app_with};
use auth_core::protocol::events::{Event, EventType};
use auth_server::config::{Config, WebhookConfig};
use auth_testkit::Fetch as _;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What a receiver got: headers and raw body of each post.
type Posts = Arc<Mutex<Vec<(HeaderMap, String)>>>;
/// A change to a default configuration.
type Change = Box<dyn Fn(&mut Config)>;

/// A webhook endpoint on loopback that answers 500 to its first `failures` posts, then 200.
struct Receiver {
    url: String,
    posts: Posts,
}

impl Receiver {
    async fn start(failures: usize) -> Self {
        let posts: Posts = Arc::default();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    move |State(posts): State<Posts>, headers: HeaderMap, body: String| async move {
                        let mut posts = posts.lock().unwrap();
                        posts.push((headers, body));
                        if posts.len() <= failures {
                            StatusCode::INTERNAL_SERVER_ERROR
                        } else {
                            StatusCode::NO_CONTENT
                        }
                    },
                ),
            )
            .with_state(posts.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, posts }
    }

    fn configure(&self, config: &mut Config) {
        config.events.webhooks = vec![WebhookConfig {
            url: self.url.clone(),
            secret: SECRET.into(),
        }];
        config.events.poll_interval_secs = 1;
    }

    fn posts(&self) -> Vec<(HeaderMap, String)> {
        self.posts.lock().unwrap().clone()
    }

    /// Waits until `count` posts arrived.
    async fn wait_for(&self, count: usize) -> Vec<(HeaderMap, String)> {
        for _ in 0..100 {
            if self.posts.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let posts = self.posts();
        assert!(
            posts.len() >= count,
            "{} posts, expected {count}",
            posts.len()
        );
        posts
    }
}

/// Verifies a post by the Standard Webhooks scheme, independently of the server's code.
fn verify(headers: &HeaderMap, body: &str) -> Event {
    use aws_lc_rs::hmac;
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let key = STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let expected = STANDARD.encode(hmac::sign(
        &key,
        format!("{id}.{timestamp}.{body}").as_bytes(),
    ));
    assert_eq!(header("webhook-signature"), format!("v1,{expected}"));
    assert_eq!(header("content-type"), "application/json");
    let event: Event = serde_json::from_str(body).unwrap();
    assert_eq!(event.id, id);
    event
}

/// Waits until every delivery is made.
async fn wait_until_delivered(app: &TestApp) {
    for _ in 0..100 {
        if app.provider.store().pending_deliveries().await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deliveries are still pending");
}

/// One number read straight from the app's database.
async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    if app.db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
        let value = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        value
    } else {
        let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
        let value = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        value
    }
}

/// Rows in the `events` table.
async fn stored_events(app: &TestApp) -> i64 {
    scalar(app, "SELECT COUNT(*) FROM events").await
}

/// Waits until the server has recorded `count` failed attempts, and so scheduled the next one.
/// The test moves the clock only then: a failure recorded after the move would schedule its
/// retry after the moved clock, which never comes.
async fn wait_for_recorded_failures(app: &TestApp, count: i64) {
    let sql = "SELECT COALESCE(MAX(attempts), 0) FROM event_deliveries";
    for _ in 0..100 {
        if scalar(app, sql).await >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not record failed attempt {count}");
}

#[both_backends]
async fn a_registered_user_reaches_a_failing_webhook_after_retries_with_one_event_id(
    backend: Backend,
) {
    let receiver = Receiver::start(2).await;
    let app = spawn_app_with(backend, |c| receiver.configure(c)).await;
    let registered = app
        .http
        .post(app.url("/api/account/register"))
        .json(&json!({"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}))
        .fetch()
        .await;
    assert_eq!(registered.status(), 202);

    receiver.wait_for(1).await;
    // Retries wait 10 s, then 20 s: move the server's clock past each once it is scheduled.
    wait_for_recorded_failures(&app, 1).await;
    app.clock.advance(time::Duration::seconds(30));
    receiver.wait_for(2).await;
    wait_for_recorded_failures(&app, 2).await;
    app.clock.advance(time::Duration::seconds(60));
    let posts = receiver.wait_for(3).await;
    wait_until_delivered(&app).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.posts().len(), 3, "nothing is sent once delivered");

    let events: Vec<Event> = posts
        .iter()
        .map(|(headers, body)| verify(headers, body))
        .collect();
    assert!(
        events.iter().all(|e| *e == events[0]),
        "every retry sends the same event"
    );
    let event = &events[0];
    assert_eq!(event.kind, EventType::UserRegistered);
    assert_eq!(event.issuer, app.provider.settings().issuer.as_str());
    let user = app.stored_user("ann@example.com").await;
    assert_eq!(event.data.user_id.as_deref(), Some(user.id.as_str()));
    assert_eq!(event.data.email.as_deref(), Some("ann@example.com"));
    assert_eq!(event.data.email_verified, Some(false));
    assert_eq!(event.data.name.as_deref(), Some("Ann"));
    assert_eq!(event.data.roles, Some(vec![]));
    assert_eq!(event.data.disabled, Some(false));
    assert_eq!(event.data.client_id, None);
    assert_eq!(stored_events(&app).await, 1);
}

#[both_backends]
async fn a_registered_user_is_published_to_nats_with_the_event_id(backend: Backend) {
    let prefix = format!("test.{}", uuid::Uuid::new_v4().simple());
    let nats = async_nats::connect("nats://127.0.0.1:4222").await.unwrap();
    let mut subscriber = nats.subscribe(format!("{prefix}.>")).await.unwrap();
    nats.flush().await.unwrap();
    let app = spawn_app_with(backend, |c| {
        c.events.nats_url = Some("nats://127.0.0.1:4222".into());
        c.events.nats_subject_prefix = prefix.clone();
        c.events.poll_interval_secs = 1;
    })
    .await;
    let registered = app
        .http
        .post(app.url("/api/account/register"))
        .json(&json!({"email": "bob@example.com", "password": PASSWORD, "name": "Bob"}))
        .fetch()
        .await;
    assert_eq!(registered.status(), 202);

    let message = tokio::time::timeout(
        Duration::from_secs(10),
        futures::StreamExt::next(&mut subscriber),
    )
    .await
    .expect("a message within 10 s")
    .unwrap();
    assert_eq!(
        message.subject.as_str(),
        format!("{prefix}.user.registered")
    );
    let event: Event = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(event.kind, EventType::UserRegistered);
    assert_eq!(event.data.email.as_deref(), Some("bob@example.com"));
    let msg_id = message
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Msg-Id"))
        .unwrap();
    assert_eq!(msg_id.as_str(), event.id);
    wait_until_delivered(&app).await;
}

#[both_backends]
async fn role_grant_disable_and_delete_each_publish_one_event_in_order(backend: Backend) {
    let receiver = Receiver::start(0).await;
    let app = spawn_app_with(backend, |c| receiver.configure(c)).await;
    let token = app.admin_token().await;
    let admin = |method, path: &str| app.admin_request(&token, method, path);
    let web_secret = app.code_client("webapp").await;
    let user = app.user("cat@example.com").await;
    let id = user.id.as_str();
    let tokens = app
        .tokens_for("webapp", &web_secret, "cat@example.com")
        .await;
    let access = tokens["access_token"].as_str().unwrap();
    assert!(app.is_active("webapp", &web_secret, access).await);

    assert_eq!(
        admin(reqwest::Method::POST, "/roles")
            .json(&json!({"name": "editor"}))
            .fetch_status()
            .await,
        201
    );
    assert_eq!(
        admin(reqwest::Method::PUT, &format!("/users/{id}/roles/editor"))
            .fetch_status()
            .await,
        200
    );
    assert_eq!(
        admin(reqwest::Method::PUT, &format!("/users/{id}/roles/editor"))
            .fetch_status()
            .await,
        200,
        "granting again changes nothing"
    );
    assert_eq!(
        admin(reqwest::Method::POST, &format!("/users/{id}/disable"))
            .fetch_status()
            .await,
        200
    );
    assert_eq!(
        admin(reqwest::Method::DELETE, &format!("/users/{id}"))
            .fetch_status()
            .await,
        204
    );
    assert_eq!(
        admin(reqwest::Method::DELETE, &format!("/users/{id}"))
            .fetch_status()
            .await,
        404
    );
    assert_eq!(
        admin(reqwest::Method::GET, &format!("/users/{id}"))
            .fetch_status()
            .await,
        404
    );
    assert!(
        !app.is_active("webapp", &web_secret, access).await,
        "a deleted user's tokens read inactive"
    );
    let audit: serde_json::Value = admin(
        reqwest::Method::GET,
        &format!("/audit?user={id}&event=user_deleted"),
    )
    .fetch_json()
    .await;
    assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit}");

    wait_until_delivered(&app).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let events: Vec<Event> = receiver
        .posts()
        .iter()
        .map(|(headers, body)| verify(headers, body))
        .collect();
    let kinds: Vec<(EventType, Option<&str>)> = events
        .iter()
        .map(|e| {
            (
                e.kind,
                e.data.user_id.as_deref().or(e.data.client_id.as_deref()),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EventType::ClientCreated, Some("ops")),
            (EventType::ClientCreated, Some("webapp")),
            (EventType::UserRegistered, Some(id)),
            (EventType::UserRolesChanged, Some(id)),
            (EventType::UserDisabled, Some(id)),
            (EventType::UserDeleted, Some(id)),
        ]
    );
    assert_eq!(events[3].data.roles, Some(vec!["editor".to_owned()]));
    assert_eq!(events[4].data.disabled, Some(true));
    assert_eq!(
        events[5].data.email, None,
        "a deleted user's address is not repeated"
    );
}

#[both_backends]
async fn without_a_destination_nothing_is_written_to_the_outbox(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user("dan@example.com").await;
    auth_core::users::set_disabled(&app.provider, &user.id, true)
        .await
        .unwrap();
    let deleted = app.cli(&["user", "delete", "dan@example.com"]);
    assert!(
        deleted.status.success(),
        "{}",
        String::from_utf8_lossy(&deleted.stderr)
    );
    assert!(String::from_utf8_lossy(&deleted.stdout).contains(&format!("deleted {}", user.id)));
    assert!(app.provider.store().user(&user.id).await.unwrap().is_none());
    app.code_client("webapp").await;
    assert_eq!(stored_events(&app).await, 0);
    assert_eq!(app.provider.store().pending_deliveries().await.unwrap(), 0);
}

fn hook(url: &str, secret: &str) -> WebhookConfig {
    WebhookConfig {
        url: url.into(),
        secret: secret.into(),
    }
}

#[test]
fn bad_events_settings_are_refused_naming_the_setting() {
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|c| c.events.webhooks = vec![hook("http://hooks.example.com/x", SECRET)]),
            "events.webhooks[0].url must use https (http only on loopback)",
        ),
        (
            Box::new(|c| c.events.webhooks = vec![hook("not a url", SECRET)]),
            "events.webhooks[0].url `not a url` is not a URL",
        ),
        (
            Box::new(|c| c.events.webhooks = vec![hook("https://hooks.example.com/x", "hunter2")]),
            "events.webhooks[0].secret must start with `whsec_`",
        ),
        (
            Box::new(|c| {
                c.events.webhooks = vec![hook("https://hooks.example.com/x", "whsec_c2hvcnQ=")]
            }),
            "events.webhooks[0].secret must decode to 24 to 64 bytes; it decodes to 5",
        ),
        (
            Box::new(|c| c.events.nats_url = Some("http://127.0.0.1:4222".into())),
            "events.nats_url `http://127.0.0.1:4222` must start with nats://",
        ),
        (
            Box::new(|c| c.events.nats_subject_prefix = "auth.*".into()),
            "events.nats_subject_prefix `auth.*` is not a NATS subject prefix",
        ),
        (
            Box::new(|c| c.events.poll_interval_secs = 0),
            "events.poll_interval_secs must be at least 1",
        ),
    ];
    for (configure, expected) in cases {
        let mut config = Config::default();
        configure(&mut config);
        let message = format!("{:#}", config.validate().unwrap_err());
        assert!(message.contains(expected), "{message}");
        assert!(!message.contains("MfKQ9r8"), "the secret is never printed");
    }
    let mut config = Config::default();
    config.events.webhooks = vec![hook("https://hooks.example.com/x", SECRET)];
    assert!(
        !format!("{config:?}").contains("MfKQ9r8"),
        "Debug hides webhook secrets"
    );
}
