//! [`RequestStore`]: a signed JWT is used once while remembered, and a pushed request is taken
//! once, whichever connection (replica) asks.

use super::{TestStore, client, hash};
use crate::store::sql::Backend;
use crate::store::{ClientStore, PushedRequest, RequestStore, TokenStore};
use auth_testkit_macros::both_backends;

#[both_backends]
async fn a_jwt_id_is_used_once_until_it_expires(backend: Backend) {
    let store = TestStore::new(backend).await;
    assert!(store.first_use(&hash(1), 100, 10).await.unwrap());
    assert!(!store.first_use(&hash(1), 100, 50).await.unwrap(), "replay");
    assert!(
        !store.first_use(&hash(1), 200, 100).await.unwrap(),
        "at expiry"
    );
    assert!(
        store.first_use(&hash(2), 100, 50).await.unwrap(),
        "another id"
    );
    // Once forgotten, the id is usable again (its JWT has expired by then).
    assert!(store.first_use(&hash(1), 300, 101).await.unwrap());
    assert!(!store.first_use(&hash(1), 300, 102).await.unwrap());
}

#[both_backends]
async fn racing_first_uses_have_one_winner(backend: Backend) {
    let store = std::sync::Arc::new(TestStore::new(backend).await);
    let tries = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.first_use(&hash(7), 100, 10).await.unwrap() })
    });
    let mut winners = 0;
    for task in tries {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
}

#[both_backends]
async fn a_pushed_request_is_taken_once_and_goes_with_its_client(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.insert_client(&client("shop")).await.unwrap();
    let request = PushedRequest {
        client_id: "shop".to_owned(),
        params: "response_type=code&client_id=shop".to_owned(),
        expires_at: 60,
    };
    store
        .insert_pushed_request(&hash(1), &request)
        .await
        .unwrap();
    store
        .insert_pushed_request(&hash(2), &request)
        .await
        .unwrap();
    assert_eq!(
        store.take_pushed_request(&hash(1), "other").await.unwrap(),
        None,
        "another client neither gets nor spends it"
    );
    assert_eq!(
        store.take_pushed_request(&hash(1), "shop").await.unwrap(),
        Some(request)
    );
    assert_eq!(
        store.take_pushed_request(&hash(1), "shop").await.unwrap(),
        None
    );
    store
        .delete_client(&crate::clients::ClientId::parse("shop").unwrap(), 1)
        .await
        .unwrap();
    assert_eq!(
        store.take_pushed_request(&hash(2), "shop").await.unwrap(),
        None
    );
}

#[both_backends]
async fn expired_requests_and_ids_are_purged(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.insert_client(&client("shop")).await.unwrap();
    let request = PushedRequest {
        client_id: "shop".to_owned(),
        params: String::new(),
        expires_at: 60,
    };
    store
        .insert_pushed_request(&hash(1), &request)
        .await
        .unwrap();
    assert!(store.first_use(&hash(2), 60, 10).await.unwrap());
    assert_eq!(store.purge_expired(61).await.unwrap(), 2);
    assert_eq!(
        store.take_pushed_request(&hash(1), "shop").await.unwrap(),
        None
    );
}
