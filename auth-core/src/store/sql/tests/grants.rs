//! [`GrantStore`]: a code is redeemed once, a refresh token is rotated once and its reuse is
//! visible, a failed rotation leaves nothing behind, ending a session takes its codes, and an
//! exchanged access token joins only a live family.

use super::{
    TestStore, access, client, code, family, has_session, hash, redeem, refresh, session, user,
};
use crate::store::sql::{Backend, PoolSettings, SqlStore, on_pool};
use crate::store::{
    BackchannelStore, ClientStore, GrantStore, SessionStore, StoreError, TokenStore,
};
use crate::users::UserId;
use auth_testkit_macros::both_backends;

/// Issues the family `f1` of a new user and the client `c1`, with the refresh token `hash(1)` and access token `j0`.
async fn issued_family(store: &SqlStore) -> UserId {
    store.insert_client(&client("c1")).await.unwrap();
    let user = user(store, "ann@example.com").await.id;
    store
        .insert_code(&hash(100), &code(&user, "f1", None))
        .await
        .unwrap();
    let redeemed = redeem(store, 100, 10, &family("f1", &user, None), Some(1), "j0").await;
    assert!(redeemed);
    user
}

/// Rotates the token `old` into `new`, with access token id `jti`.
async fn rotate(store: &SqlStore, old: u8, new: u8, jti: &str) -> Result<bool, StoreError> {
    store
        .rotate_refresh_token(&hash(old), 20, "f1", &refresh(new), &access(jti))
        .await
}

/// Whether a refresh token is stored, and if so whether it was rotated.
async fn token_state(store: &SqlStore, byte: u8) -> Option<bool> {
    let stored = store.refresh_token(&hash(byte)).await.unwrap();
    stored.map(|(token, _)| token.rotated_at.is_some())
}

/// Whether a claim at 10 finds no logout notice due.
async fn nothing_due(store: &SqlStore) -> bool {
    store
        .claim_due_logouts(10, 60, 10)
        .await
        .unwrap()
        .is_empty()
}

async fn has_access(store: &SqlStore, jti: &str) -> bool {
    store.family_of_access_token(jti).await.unwrap().is_some()
}

#[both_backends]
async fn a_code_is_redeemed_once(backend: Backend) {
    let store = TestStore::new(backend).await;
    let user = issued_family(&store).await;
    let stored = store.authorization_code(&hash(100)).await.unwrap().unwrap();
    assert_eq!(stored.used_at, Some(10));

    let again = redeem(&store, 100, 11, &family("f2", &user, None), Some(2), "j1").await;
    assert!(!again, "a used code is not redeemed twice");
    assert_eq!(token_state(&store, 2).await, None, "and issues nothing");
    assert!(!has_access(&store, "j1").await);
    let first = store.family_of_access_token("j0").await.unwrap().unwrap();
    assert_eq!(first, family("f1", &user, None));
}

#[both_backends]
async fn a_refresh_token_is_rotated_once_and_its_reuse_shows(backend: Backend) {
    let store = TestStore::new(backend).await;
    issued_family(&store).await;

    assert!(rotate(&store, 1, 2, "j1").await.unwrap());
    assert_eq!(token_state(&store, 1).await, Some(true));
    assert_eq!(token_state(&store, 2).await, Some(false));
    assert!(has_access(&store, "j1").await);

    let again = rotate(&store, 1, 3, "j2").await.unwrap();
    assert!(!again, "a rotated token is not rotated twice");
    assert_eq!(token_state(&store, 3).await, None);
    assert!(!has_access(&store, "j2").await);

    // What the grant does on reuse: the whole family goes.
    let (_, family) = store.refresh_token(&hash(1)).await.unwrap().unwrap();
    store.revoke_family(&family.id).await.unwrap();
    let (_, family) = store.refresh_token(&hash(2)).await.unwrap().unwrap();
    assert!(family.revoked_at.is_some(), "the successor dies with it");
    for jti in ["j0", "j1"] {
        assert!(store.is_access_token_revoked(jti).await.unwrap(), "{jti}");
    }
}

/// SQLite gets the rotation as one batch of three statements and PostgreSQL as one statement:
/// either way a rotation that fails half-way leaves nothing behind, and the connection it ran
/// on is usable again.
#[both_backends]
async fn a_rotation_that_fails_half_way_leaves_nothing(backend: Backend) {
    // One connection, so the last rotation runs where the failed one did.
    let settings = PoolSettings {
        max_connections: 1,
        ..PoolSettings::default()
    };
    let store = TestStore::with(backend, &settings).await;
    issued_family(&store).await;
    assert!(rotate(&store, 1, 2, "j1").await.unwrap());

    // The access token id is taken: the last write fails after the first two ran, and the
    // transaction takes them back.
    let failed = rotate(&store, 2, 4, "j1").await;
    assert!(matches!(failed, Err(StoreError::Conflict(_))), "{failed:?}");
    assert_eq!(token_state(&store, 2).await, Some(false));
    assert_eq!(token_state(&store, 4).await, None);

    assert!(rotate(&store, 2, 5, "j3").await.unwrap());
    assert_eq!(token_state(&store, 2).await, Some(true));
    assert_eq!(token_state(&store, 5).await, Some(false));
}

#[both_backends]
async fn ending_a_session_takes_its_codes_and_revokes_its_families(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.insert_client(&client("c1")).await.unwrap();
    let user = user(&store, "ann@example.com").await.id;
    session(&store, &user).await;
    for (byte, id) in [(100, "f1"), (101, "f2")] {
        store
            .insert_code(&hash(byte), &code(&user, id, Some("s1")))
            .await
            .unwrap();
    }
    let redeemed = redeem(
        &store,
        100,
        10,
        &family("f1", &user, Some("s1")),
        Some(1),
        "j0",
    )
    .await;
    assert!(redeemed);

    store.end_session("s1").await.unwrap();
    assert!(!has_session(&store).await);
    assert!(
        store
            .authorization_code(&hash(101))
            .await
            .unwrap()
            .is_none()
    );
    let (_, family) = store.refresh_token(&hash(1)).await.unwrap().unwrap();
    assert!(family.revoked_at.is_some());
    assert!(store.is_access_token_revoked("j0").await.unwrap());
}

#[both_backends]
async fn an_ended_session_owes_its_clients_one_logout_notice_each(backend: Backend) {
    let store = TestStore::new(backend).await;
    let mut told = client("c1");
    told.backchannel.uri = Some("https://c1.example.com/bc".to_owned());
    store.insert_client(&told).await.unwrap();
    store.insert_client(&client("c2")).await.unwrap();
    let user = user(&store, "ann@example.com").await.id;
    session(&store, &user).await;
    for (byte, client_id) in [(100, "c1"), (101, "c2")] {
        let mut code = code(&user, &format!("f-{client_id}"), Some("s1"));
        code.client_id = client_id.to_owned();
        store.insert_code(&hash(byte), &code).await.unwrap();
        let mut family = family(&format!("f-{client_id}"), &user, Some("s1"));
        family.client_id = client_id.to_owned();
        let redeemed = redeem(&store, byte, 10, &family, None, client_id).await;
        assert!(redeemed);
    }

    store.end_session("s1").await.unwrap();
    // Ending it again (another replica, a double click) owes nothing more.
    store.end_session("s1").await.unwrap();

    assert_eq!(store.pending_logouts().await.unwrap(), 1);
    let notices = store.claim_due_logouts(10, 60, 10).await.unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        (
            notices[0].client_id.as_str(),
            notices[0].session_id.as_str(),
            notices[0].user_id.as_str()
        ),
        ("c1", "s1", user.as_str())
    );
    // Claimed: leased, so no other replica gets it meanwhile.
    assert!(nothing_due(&store).await);
    store
        .logout_failed(&notices[0].id, 1, 20, "down", None)
        .await
        .unwrap();
    let again = store.claim_due_logouts(20, 60, 10).await.unwrap();
    assert_eq!(again[0].attempts, 1);
    store.logout_delivered(&again[0].id, 21).await.unwrap();
    assert_eq!(store.pending_logouts().await.unwrap(), 0);
}

/// Finding 1 of the security review: the claim kept no order, so new notices could wait behind
/// retries. Notices come out earliest due first, ties by id, and deferring one is no attempt.
#[both_backends]
async fn logout_notices_are_claimed_earliest_due_first(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.insert_client(&client("c1")).await.unwrap();
    // Ids in an order unlike the due times; `n-e` is not due yet at 10.
    for (id, due) in [("n-a", 7), ("n-b", 0), ("n-c", 3), ("n-d", 0), ("n-e", 50)] {
        on_pool!(store, pool => {
            sqlx::query(
                "INSERT INTO backchannel_logouts \
                 (id, client_id, user_id, session_id, created_at, next_attempt_at) \
                 VALUES ($1, 'c1', 'u1', 's1', 1, $2)",
            )
            .bind(id)
            .bind(due)
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap()
        });
    }
    let ids = |notices: Vec<crate::backchannel::LogoutNotice>| {
        notices.into_iter().map(|n| n.id).collect::<Vec<_>>()
    };
    let first = store.claim_due_logouts(10, 60, 3).await.unwrap();
    assert_eq!(ids(first), ["n-b", "n-d", "n-c"]);
    store.logout_deferred("n-b", 8).await.unwrap();
    let second = store.claim_due_logouts(10, 60, 10).await.unwrap();
    assert_eq!(second[1].attempts, 0, "deferring is no attempt");
    assert_eq!(ids(second), ["n-a", "n-b"]);
    assert!(nothing_due(&store).await);
    assert_eq!(store.pending_logouts().await.unwrap(), 5);
}

#[both_backends]
async fn consent_is_replaced_not_duplicated(backend: Backend) {
    let store = TestStore::new(backend).await;
    let user = user(&store, "ann@example.com").await.id;
    let shop = client("c1");
    store.insert_client(&shop).await.unwrap();
    assert_eq!(store.consent(&user, &shop.id).await.unwrap(), None);
    store
        .save_consent(&user, &shop.id, "openid", 1)
        .await
        .unwrap();
    store
        .save_consent(&user, &shop.id, "openid profile", 2)
        .await
        .unwrap();
    let consent = store.consent(&user, &shop.id).await.unwrap();
    assert_eq!(consent.as_deref(), Some("openid profile"));
}

#[both_backends]
async fn an_exchanged_access_token_joins_a_live_family_only(backend: Backend) {
    let store = TestStore::new(backend).await;
    issued_family(&store).await;
    assert!(
        store
            .record_exchanged_access_token("f1", &access("x1"))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .family_of_access_token("x1")
            .await
            .unwrap()
            .unwrap()
            .id,
        "f1"
    );
    assert!(!store.is_access_token_revoked("x1").await.unwrap());
    assert!(
        !store
            .record_exchanged_access_token("no-such-family", &access("x2"))
            .await
            .unwrap()
    );
    assert!(!has_access(&store, "x2").await);

    store.revoke_family("f1").await.unwrap();
    assert!(store.is_access_token_revoked("x1").await.unwrap());
    assert!(
        !store
            .record_exchanged_access_token("f1", &access("x3"))
            .await
            .unwrap(),
        "a revoked family takes no new token"
    );
    assert!(!has_access(&store, "x3").await);
}
