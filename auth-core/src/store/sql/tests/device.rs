//! [`DeviceStore`]: polling keeps the interval in the row, another client's poll matches
//! nothing, a request is decided once, an approval is redeemed once (also when racing), and an
//! approval goes with the session it was given in.

use super::{TestStore, access, client, family, hash, session, user};
use crate::store::sql::{Backend, SqlStore};
use crate::store::{
    ClientStore, DeviceDecision, DeviceStatus, DeviceStore, NewDeviceAuthorization, SessionStore,
};
use auth_testkit_macros::both_backends;

/// A pending request of client `c1` with device code `hash(device)` and user code
/// `hash(user_code)`, made at 0, expiring at 600, interval 5.
async fn requested(store: &SqlStore, device: u8, user_code: u8) {
    let new = NewDeviceAuthorization {
        client_id: "c1".to_owned(),
        scope: "openid profile".to_owned(),
        created_at: 0,
        expires_at: 600,
        interval_secs: 5,
        family_id: format!("f{device}"),
    };
    store
        .insert_device_authorization(&hash(device), &hash(user_code), &new)
        .await
        .unwrap();
}

#[both_backends]
async fn polls_keep_the_interval_and_another_clients_poll_matches_nothing(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.insert_client(&client("c1")).await.unwrap();
    requested(&store, 1, 2).await;
    let (store, device): (&SqlStore, _) = (&store, hash(1));
    let poll = |at: i64| store.poll_device_authorization(&device, "c1", at);
    assert!(
        store
            .poll_device_authorization(&hash(1), "c2", 10)
            .await
            .unwrap()
            .is_none()
    );
    let first = poll(10).await.unwrap().unwrap();
    assert!(!first.polled_too_fast, "the first poll is never too fast");
    assert_eq!(first.status, DeviceStatus::Pending);
    let early = poll(12).await.unwrap().unwrap();
    assert!(early.polled_too_fast);
    assert_eq!(early.interval_secs, 10);
    // The next poll is due an interval after the early one: 22.
    let on_time = poll(22).await.unwrap().unwrap();
    assert!(!on_time.polled_too_fast);
    assert_eq!(on_time.interval_secs, 10);
    let early = poll(31).await.unwrap().unwrap();
    assert!(early.polled_too_fast);
    assert_eq!(early.interval_secs, 15);
}

#[both_backends]
async fn a_request_is_decided_once_and_an_approval_redeemed_once(backend: Backend) {
    let store = std::sync::Arc::new(TestStore::new(backend).await);
    store.insert_client(&client("c1")).await.unwrap();
    let ann = user(&store, "ann@example.com").await.id;
    let session = session(&store, &ann).await;
    requested(&store, 1, 2).await;
    requested(&store, 3, 4).await;
    let approve = DeviceDecision::Approve {
        session: session.clone(),
        scope: "openid".to_owned(),
    };
    let deny = DeviceDecision::Deny {
        user: session.user_id.clone(),
    };
    assert!(
        store
            .pending_device_authorization(&hash(2), 10)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .decide_device_authorization(&hash(2), 10, &approve)
            .await
            .unwrap()
    );
    assert!(
        !store
            .decide_device_authorization(&hash(2), 11, &deny)
            .await
            .unwrap()
    );
    assert!(
        store
            .pending_device_authorization(&hash(2), 11)
            .await
            .unwrap()
            .is_none()
    );
    // After expiry nothing is decided.
    assert!(
        !store
            .decide_device_authorization(&hash(4), 600, &deny)
            .await
            .unwrap()
    );
    let approved = store
        .poll_device_authorization(&hash(1), "c1", 12)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approved.status, DeviceStatus::Approved);
    assert_eq!(approved.user_id.as_ref(), Some(&session.user_id));
    assert_eq!(approved.session_id.as_deref(), Some("s1"));
    assert_eq!(approved.scope, "openid");

    let user = session.user_id.clone();
    let redemptions = (0..8).map(|i| {
        let store = store.clone();
        let user = user.clone();
        tokio::spawn(async move {
            store
                .redeem_device_code(
                    &hash(1),
                    13,
                    &family("f1", &user, Some("s1")),
                    None,
                    &access(&format!("j{i}")),
                )
                .await
                .unwrap()
        })
    });
    let mut winners = 0;
    for task in redemptions {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    let used = store
        .poll_device_authorization(&hash(1), "c1", 14)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.status, DeviceStatus::Used);
}

#[both_backends]
async fn an_approval_goes_with_its_session(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.insert_client(&client("c1")).await.unwrap();
    let ann = user(&store, "ann@example.com").await.id;
    let session = session(&store, &ann).await;
    requested(&store, 1, 2).await;
    let approve = DeviceDecision::Approve {
        session: session.clone(),
        scope: "openid".to_owned(),
    };
    assert!(
        store
            .decide_device_authorization(&hash(2), 10, &approve)
            .await
            .unwrap()
    );
    store.end_session("s1").await.unwrap();
    assert!(
        store
            .poll_device_authorization(&hash(1), "c1", 11)
            .await
            .unwrap()
            .is_none()
    );
}
