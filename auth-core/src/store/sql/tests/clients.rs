//! [`ClientStore`]: ids are unique, a missing client is `NotFound`, and deleting a client or
//! rotating its secret ends what was issued to it.

use super::{TestStore, client, code, family, hash, redeem, user};
use crate::clients::ClientId;
use crate::store::sql::Backend;
use crate::store::{ClientStore, GrantStore, StoreError, StoredCode, TokenFamily};
use auth_testkit_macros::both_backends;

#[both_backends]
async fn a_taken_client_id_is_a_conflict(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.insert_client(&client("shop")).await.unwrap();
    let again = store.insert_client(&client("shop")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let stored = store.clients().await.unwrap();
    assert_eq!(stored.len(), 1);
}

#[both_backends]
async fn changing_a_missing_client_is_not_found(backend: Backend) {
    let store = TestStore::new(backend).await;
    let missing = ClientId::parse("missing").unwrap();
    assert!(store.client(&missing).await.unwrap().is_none());
    let deleted = store.delete_client(&missing, 1).await;
    assert!(matches!(deleted, Err(StoreError::NotFound)), "{deleted:?}");
    let rotated = store.rotate_client_secret(&missing, &hash(2), "r2").await;
    assert!(matches!(rotated, Err(StoreError::NotFound)), "{rotated:?}");
    let updated = store.update_client(&client("missing")).await;
    assert!(matches!(updated, Err(StoreError::NotFound)), "{updated:?}");
}

#[both_backends]
async fn deleting_a_client_takes_its_codes_and_revokes_its_families(backend: Backend) {
    let store = TestStore::new(backend).await;
    let user = user(&store, "ann@example.com").await.id;
    let shop = client("shop");
    store.insert_client(&shop).await.unwrap();
    let code = |family: &str| StoredCode {
        client_id: "shop".to_owned(),
        ..code(&user, family, None)
    };
    store.insert_code(&hash(1), &code("f1")).await.unwrap();
    store.insert_code(&hash(2), &code("f2")).await.unwrap();
    let family = TokenFamily {
        client_id: "shop".to_owned(),
        client_registration: shop.registration_id.clone(),
        ..family("f1", &user, None)
    };
    let redeemed = redeem(&store, 1, 10, &family, None, "j1").await;
    assert!(redeemed);

    store.delete_client(&shop.id, 20).await.unwrap();
    assert!(store.client(&shop.id).await.unwrap().is_none());
    assert!(store.authorization_code(&hash(2)).await.unwrap().is_none());
    let family = store.family_of_access_token("j1").await.unwrap().unwrap();
    assert!(family.revoked_at.is_some());
}

#[both_backends]
async fn a_public_client_has_no_secret_to_rotate(backend: Backend) {
    let store = TestStore::new(backend).await;
    let mut public = client("spa");
    public.auth_method = crate::clients::AuthMethod::None;
    public.secret_hash = None;
    store.insert_client(&public).await.unwrap();
    let rotated = store.rotate_client_secret(&public.id, &hash(2), "r2").await;
    assert!(matches!(rotated, Err(StoreError::NotFound)), "{rotated:?}");

    store.insert_client(&client("shop")).await.unwrap();
    let shop = ClientId::parse("shop").unwrap();
    store
        .rotate_client_secret(&shop, &hash(2), "r2")
        .await
        .unwrap();
    let rotated = store.client(&shop).await.unwrap().unwrap();
    assert_eq!(rotated.secret_hash, Some(hash(2)));
    assert_eq!(rotated.registration_id, "r2");
}
