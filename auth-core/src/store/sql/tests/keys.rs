//! [`KeyStore`]: a rotation retires the keys before it, and of two rotations to the same
//! generation one wins and the other is a conflict.

use super::TestStore;
use crate::store::sql::Backend;
use crate::store::{KeyStore, StoreError, StoredKey};
use auth_testkit_macros::both_backends;

fn key(kid: &str, generation: i64, activates_at: i64) -> StoredKey {
    StoredKey {
        kid: kid.to_owned(),
        alg: "RS256".to_owned(),
        generation,
        public_jwk: "{}".to_owned(),
        sealed_private_key: vec![1, 2, 3],
        created_at: activates_at,
        activates_at,
        retires_at: None,
        expires_at: None,
    }
}

#[both_backends]
async fn a_rotation_retires_the_keys_before_it_and_wins_its_generation_once(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.rotate_signing_key(&key("k1", 1, 0), 0).await.unwrap();
    store
        .rotate_signing_key(&key("k2", 2, 100), 500)
        .await
        .unwrap();

    let lost = store.rotate_signing_key(&key("k3", 2, 110), 510).await;
    assert!(matches!(lost, Err(StoreError::Conflict(_))), "{lost:?}");

    let keys = store.signing_keys().await.unwrap();
    let summary: Vec<_> = keys
        .iter()
        .map(|k| (k.kid.as_str(), k.retires_at, k.expires_at))
        .collect();
    assert_eq!(
        summary,
        [("k2", None, None), ("k1", Some(100), Some(500))],
        "newest first; the lost rotation changed nothing"
    );
    assert_eq!(store.delete_expired_keys(500).await.unwrap(), 0);
    assert_eq!(store.delete_expired_keys(501).await.unwrap(), 1);
}
