//! [`UserStore`], [`RoleStore`] and [`SessionStore`]: addresses are unique whatever their case,
//! references to missing rows are `NotFound`, and deleting a user takes everything of theirs.

use super::{TestStore, client, code, family, has_session, hash, redeem, session, user};
use crate::roles::{Role, RoleName};
use crate::store::sql::Backend;
use crate::store::{ClientStore, GrantStore, RoleStore, StoreError, TokenStore, UserStore};
use crate::users::{Email, UserId};
use auth_testkit_macros::both_backends;

fn role(name: &str) -> RoleName {
    RoleName::parse(name).unwrap()
}

#[both_backends]
async fn an_address_is_taken_whatever_its_case(backend: Backend) {
    let store = TestStore::new(backend).await;
    let ann = user(&store, "ann@example.com").await;
    let mut twin = ann.clone();
    twin.id = UserId::generate();
    twin.email = Email::parse("Ann@Example.com").unwrap();
    let again = store.insert_user(&twin, &[], 1).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    let bob = user(&store, "bob@example.com").await;
    let taken = store
        .set_email(&bob.id, &Email::parse("ANN@example.com").unwrap(), 2)
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let found = store.user_by_email("ann@example.com").await.unwrap();
    assert_eq!(found.map(|u| u.id), Some(ann.id));
}

#[both_backends]
async fn missing_users_and_roles_are_not_found(backend: Backend) {
    let store = TestStore::new(backend).await;
    let nobody = UserId::generate();
    assert!(store.user(&nobody).await.unwrap().is_none());
    let deleted = store.delete_user(&nobody, 1).await;
    assert!(matches!(deleted, Err(StoreError::NotFound)), "{deleted:?}");

    let mut ann = user(&store, "ann@example.com").await;
    ann.id = UserId::generate();
    ann.email = Email::parse("ann2@example.com").unwrap();
    let with_missing_role = store.insert_user(&ann, &[role("missing")], 1).await;
    assert!(
        matches!(with_missing_role, Err(StoreError::NotFound)),
        "{with_missing_role:?}"
    );
    assert!(
        store.user(&ann.id).await.unwrap().is_none(),
        "the user is not stored without their roles"
    );

    let ann = user(&store, "ann3@example.com").await;
    let granted = store.grant_role(&ann.id, &role("missing"), 1).await;
    assert!(matches!(granted, Err(StoreError::NotFound)), "{granted:?}");
    let role_admin = Role {
        name: role("admin"),
        description: String::new(),
        permissions: Vec::new(),
    };
    store.create_role(&role_admin, 1).await.unwrap();
    let again = store.create_role(&role_admin, 1).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let not_held = store.revoke_role(&ann.id, &role("admin"), 1).await;
    assert!(
        matches!(not_held, Err(StoreError::NotFound)),
        "{not_held:?}"
    );
    store.grant_role(&ann.id, &role("admin"), 1).await.unwrap();
    store.grant_role(&ann.id, &role("admin"), 2).await.unwrap();
    store.revoke_role(&ann.id, &role("admin"), 3).await.unwrap();
}

#[both_backends]
async fn deleting_a_user_takes_everything_of_theirs(backend: Backend) {
    let store = TestStore::new(backend).await;
    let admin = Role {
        name: role("admin"),
        description: String::new(),
        permissions: Vec::new(),
    };
    store.create_role(&admin, 1).await.unwrap();
    store.insert_client(&client("c1")).await.unwrap();
    let ann = user(&store, "ann@example.com").await.id;
    store.grant_role(&ann, &admin.name, 1).await.unwrap();
    session(&store, &ann).await;
    store
        .insert_code(&hash(1), &code(&ann, "f1", None))
        .await
        .unwrap();
    let redeemed = redeem(&store, 1, 10, &family("f1", &ann, None), Some(2), "j1").await;
    assert!(redeemed);

    store.delete_user(&ann, 20).await.unwrap();
    assert!(store.user(&ann).await.unwrap().is_none());
    assert!(!has_session(&store).await);
    assert!(store.authorization_code(&hash(1)).await.unwrap().is_none());
    assert!(store.refresh_token(&hash(2)).await.unwrap().is_none());
    assert!(
        store.is_access_token_revoked("j1").await.unwrap(),
        "the access token of a deleted user reads revoked until it expires"
    );
    let grants = store.user_grants(&ann).await.unwrap();
    assert!(grants.roles.is_empty());
}
