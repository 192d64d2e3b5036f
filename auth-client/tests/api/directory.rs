use crate::support::{SECOND, client_clock, dead_address, spawn_server};
use auth_client::{
    ClientCredentials, DirectoryError, FetchError, Registration, TokenError, TokenSource,
    UserDirectory,
};
use std::time::Duration;

async fn directory(
    server: &crate::support::TestServer,
    clock: &std::sync::Arc<auth_client::ManualClock>,
) -> UserDirectory {
    let secret = server.client("tickets", "users:read").await;
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("tickets", secret))
        .scope("users:read")
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    UserDirectory::builder(&server.issuer, tokens)
        .clock(clock.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn registrations_are_answered_by_the_server() {
    let server = spawn_server().await;
    let ann = server.user("ann@example.com").await;
    let bob = server.user("bob@example.com").await;
    auth_core::users::set_disabled(
        &server.provider,
        &auth_core::users::UserId::parse(&bob).unwrap(),
        true,
    )
    .await
    .unwrap();
    let users = directory(&server, &client_clock()).await;

    let registration = users.is_registered(&ann).await.unwrap();
    assert_eq!(
        registration,
        Registration::Registered {
            id: ann.clone(),
            disabled: false
        }
    );
    assert!(registration.is_active());
    let by_email = users
        .is_registered_email(" Ann@Example.com ")
        .await
        .unwrap();
    assert_eq!(by_email, registration);
    let disabled = users.is_registered(&bob).await.unwrap();
    assert!(disabled.is_registered() && !disabled.is_active());
    assert_eq!(
        users
            .is_registered("0193a4e2-7c1d-7e3a-9b1f-2c4d5e6f7a8b")
            .await
            .unwrap(),
        Registration::NotRegistered
    );
    assert_eq!(
        users
            .is_registered_email("nobody@example.com")
            .await
            .unwrap(),
        Registration::NotRegistered
    );
}

#[tokio::test]
async fn a_user_is_looked_up_or_reported_missing() {
    let server = spawn_server().await;
    let ann = server.user("ann@example.com").await;
    let users = directory(&server, &client_clock()).await;

    let info = users.user(&ann).await.unwrap().unwrap();
    assert_eq!(info.id, ann);
    assert_eq!(info.email, "ann@example.com");
    assert_eq!(info.name, "Test User");
    assert!(info.email_verified && !info.disabled);
    assert_eq!(
        users
            .user("0193a4e2-7c1d-7e3a-9b1f-2c4d5e6f7a8b")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn answers_are_cached_for_their_ttl() {
    let server = spawn_server().await;
    let ann = server.user("ann@example.com").await;
    let clock = client_clock();
    let users = directory(&server, &clock).await;
    let unknown = "0193a4e2-7c1d-7e3a-9b1f-2c4d5e6f7a8b";

    users.is_registered(&ann).await.unwrap();
    users.is_registered(unknown).await.unwrap();
    assert_eq!(server.hits("/api/users/registered"), 2);
    users.is_registered(&ann).await.unwrap();
    users.is_registered(unknown).await.unwrap();
    assert_eq!(server.hits("/api/users/registered"), 2, "both cached");

    // "Not registered" lives 10 s, "registered" 60 s.
    clock.advance(11 * SECOND);
    users.is_registered(&ann).await.unwrap();
    users.is_registered(unknown).await.unwrap();
    assert_eq!(server.hits("/api/users/registered"), 3);
    clock.advance(50 * SECOND);
    users.is_registered(&ann).await.unwrap();
    assert_eq!(server.hits("/api/users/registered"), 4);
    assert_eq!(server.hits("/token"), 1, "one service token throughout");
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_not_an_unregistered_user() {
    let server = spawn_server().await;
    let secret = server.client("tickets", "users:read").await;
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("tickets", secret))
        .build()
        .await
        .unwrap();
    let users = UserDirectory::new(&dead_address().await, tokens).unwrap();

    let error = users
        .is_registered("0193a4e2-7c1d-7e3a-9b1f-2c4d5e6f7a8b")
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            DirectoryError::Unavailable(FetchError::Unreachable { .. })
        ),
        "{error:?}"
    );
    assert!(users.ensure_ready().await.is_err());
    let error = users
        .is_registered_email("ann@example.com")
        .await
        .unwrap_err();
    assert!(
        !format!("{error} {error:?}").contains("ann@"),
        "an e-mail address in an error reaches logs: {error}"
    );
}

#[tokio::test]
async fn a_dead_token_endpoint_is_an_error_too() {
    let dead = dead_address().await;
    let tokens = TokenSource::builder(&dead, ClientCredentials::new("tickets", "x"))
        .token_endpoint(format!("{dead}/token"))
        .retry(1, Duration::ZERO)
        .build()
        .await
        .unwrap();
    let users = UserDirectory::new(&dead, tokens).unwrap();

    let error = users
        .is_registered_email("ann@example.com")
        .await
        .unwrap_err();

    assert!(
        matches!(error, DirectoryError::Token(TokenError::Unavailable { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn start_up_check_fails_loudly_without_users_read() {
    let server = spawn_server().await;
    let secret = server.client("tickets", "tickets:read").await;
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("tickets", secret))
        .build()
        .await
        .unwrap();
    let users = UserDirectory::new(&server.issuer, tokens).unwrap();

    let error = users.ensure_ready().await.unwrap_err();

    assert!(
        matches!(error, DirectoryError::Forbidden { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("users:read"), "{error}");
}

#[tokio::test]
async fn start_up_check_passes_against_a_working_server() {
    let server = spawn_server().await;
    let users = directory(&server, &client_clock()).await;

    users.ensure_ready().await.unwrap();
    assert_eq!(server.hits("/api/users/registered"), 1);
}
