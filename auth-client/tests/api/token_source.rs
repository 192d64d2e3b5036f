use crate::support::{SECOND, client_clock, spawn_server, spawn_server_with};
use auth_client::{ClientCredentials, FetchError, TokenError, TokenSource};
use axum::http::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[tokio::test]
async fn fifty_concurrent_tasks_cause_one_token_request() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("events", secret))
        .scope("users:read")
        .build()
        .await
        .unwrap();

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let tokens = tokens.clone();
            tokio::spawn(async move { tokens.token().await.unwrap().secret().to_owned() })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }

    assert_eq!(server.hits("/token"), 1);
    seen.dedup();
    assert_eq!(seen.len(), 1, "every task got the same token");
    let verifier = server.verifier(&client_clock()).await;
    let claims = verifier.verify(&seen[0]).await.unwrap();
    assert!(claims.has_scope("users:read"));
}

#[tokio::test]
async fn the_token_is_renewed_before_it_expires() {
    // 300 s tokens: renewed when less than max(60 s, 30 s) remains, i.e. after 240 s.
    let server = spawn_server_with(|c| c.tokens.access_token_ttl_secs = 300).await;
    let secret = server.client("events", "users:read").await;
    let clock = client_clock();
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("events", secret))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();

    let first = tokens.token().await.unwrap();
    clock.advance(239 * SECOND);
    let still = tokens.token().await.unwrap();
    assert_eq!(still.secret(), first.secret());
    assert_eq!(server.hits("/token"), 1);

    clock.advance(2 * SECOND);
    server.clock.advance(time::Duration::seconds(241));
    let renewed = tokens.token().await.unwrap();
    assert_ne!(renewed.secret(), first.secret());
    assert!(renewed.expires_at() > first.expires_at());
    assert_eq!(server.hits("/token"), 2);
}

#[tokio::test]
async fn wrong_credentials_are_reported_at_once_with_the_servers_description() {
    let server = spawn_server().await;
    server.client("events", "users:read").await;
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("events", "cs_wrong"))
        .build()
        .await
        .unwrap();

    let error = tokens.token().await.unwrap_err();

    match &error {
        TokenError::Rejected {
            status,
            error,
            description,
        } => {
            assert_eq!(*status, 401);
            assert_eq!(error.as_deref(), Some("invalid_client"));
            assert!(description.is_some());
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(error.to_string().contains("invalid_client"), "{error}");
    assert_eq!(server.hits("/token"), 1, "a 4xx is not retried");
}

#[tokio::test]
async fn a_scope_the_client_may_not_have_is_reported_as_invalid_scope() {
    let server = spawn_server().await;
    let secret = server.client("events", "tickets:read").await;
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("events", secret))
        .scope("users:read")
        .build()
        .await
        .unwrap();

    let error = tokens.token().await.unwrap_err();

    assert!(
        matches!(&error, TokenError::Rejected { error: Some(code), .. } if code == "invalid_scope"),
        "{error:?}"
    );
}

/// A source for client `events` asking `endpoint` directly, `attempts` times, 10 ms apart at
/// first.
async fn source_at(endpoint: String, attempts: u32) -> TokenSource {
    TokenSource::builder("http://unused.test", ClientCredentials::new("events", "x"))
        .token_endpoint(endpoint)
        .retry(attempts, Duration::from_millis(10))
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance") }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/token", listener.local_addr().unwrap());
    let stub = tokio::spawn(async move { axum::serve(listener, app).await });
    let tokens = source_at(endpoint, 3).await;

    let error = tokens.token().await.unwrap_err();

    assert!(
        matches!(
            &error,
            TokenError::Unavailable {
                attempts: 3,
                last: FetchError::Status { status: 503, .. }
            }
        ),
        "{error:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    stub.abort();
}

#[tokio::test]
async fn an_unreachable_server_is_reported_after_the_retries() {
    let endpoint = format!("{}/token", crate::support::dead_address().await);
    let tokens = source_at(endpoint, 2).await;

    let error = tokens.token().await.unwrap_err();

    assert!(
        matches!(
            &error,
            TokenError::Unavailable {
                attempts: 2,
                last: FetchError::Unreachable { .. }
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn nothing_secret_is_printed_in_debug_output() {
    let server = spawn_server().await;
    let secret = server.client("events", "users:read").await;
    let tokens = TokenSource::builder(
        &server.issuer,
        ClientCredentials::new("events", secret.clone()),
    )
    .build()
    .await
    .unwrap();
    let token = tokens.token().await.unwrap();

    let printed = format!("{tokens:?} {token:?}");

    assert!(!printed.contains(&secret), "{printed}");
    assert!(!printed.contains(token.secret()), "{printed}");
}
