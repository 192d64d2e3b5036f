//! [`TokenStore`]: revocations, their stamps, and the purge of what expired.

use super::TestStore;
use crate::clock::{Clock, SystemClock};
use crate::store::TokenStore;
use crate::store::sql::{Backend, on_pool};
use auth_testkit_macros::both_backends;

/// The stamp a revocation gets is the database's time, whatever the caller's clock says:
/// replicas follow revocations by it (`cache.rs`), so one replica's slow clock must not put
/// its revocations behind the others' feeds.
#[both_backends]
async fn revocations_are_stamped_with_the_database_clock(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.revoke_access_token("j1", i64::MAX).await.unwrap();
    let stamp: i64 = on_pool!(store, pool => {
        sqlx::query_scalar("SELECT revoked_at FROM revoked_access_tokens WHERE jti = 'j1'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let wall = SystemClock.unix();
    assert!((wall - 5..=wall).contains(&stamp), "{stamp} vs {wall}");
    let feed = store.revoked_since(Some(stamp)).await.unwrap();
    assert_eq!(feed.rows.len(), 1);
    // The feed says when it was read, by the same clock.
    assert!(
        (stamp..=stamp + 5).contains(&feed.now),
        "{} vs {stamp}",
        feed.now
    );
    assert!(
        store
            .revoked_since(Some(stamp + 1))
            .await
            .unwrap()
            .rows
            .is_empty()
    );
}

#[both_backends]
async fn revoking_twice_is_revoking_once(backend: Backend) {
    let store = TestStore::new(backend).await;
    assert!(!store.is_access_token_revoked("j1").await.unwrap());
    store.revoke_access_token("j1", 100).await.unwrap();
    store.revoke_access_token("j1", 100).await.unwrap();
    assert!(store.is_access_token_revoked("j1").await.unwrap());
    assert!(!store.is_access_token_revoked("j2").await.unwrap());
}

/// Every jti left in `revoked_access_tokens`.
async fn revoked_jtis(store: &TestStore) -> Vec<String> {
    on_pool!(store, pool => {
        sqlx::query_scalar("SELECT jti FROM revoked_access_tokens")
            .fetch_all(pool)
            .await
            .unwrap()
    })
}

#[both_backends]
async fn the_purge_forgets_revocations_of_expired_tokens_only(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.revoke_access_token("old", 100).await.unwrap();
    store.revoke_access_token("live", 300).await.unwrap();
    assert_eq!(store.purge_expired(200).await.unwrap(), 1);
    assert_eq!(revoked_jtis(&store).await, ["live"]);
}

/// A purge of more rows than one batch takes them all, batch after batch, and leaves the rest;
/// one-time codes (a key of two columns) go by the same path.
#[both_backends]
async fn the_purge_goes_batch_by_batch_until_nothing_expired_is_left(backend: Backend) {
    let store = TestStore::new(backend).await;
    let expired = crate::store::sql::tokens::PURGE_BATCH * 2 + 500;
    on_pool!(store, pool => {
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) \
             SELECT 'old-' || CAST(i AS TEXT), 100, 1 FROM n",
        )
        .bind(i64::try_from(expired).unwrap())
        .execute(pool)
        .await
        .unwrap()
        .rows_affected()
    });
    store.revoke_access_token("live", 300).await.unwrap();
    assert_eq!(store.purge_expired(200).await.unwrap(), expired);
    assert_eq!(revoked_jtis(&store).await, ["live"]);
}
