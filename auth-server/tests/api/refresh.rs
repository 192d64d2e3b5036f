//! Refresh tokens: rotation, reuse detection, narrowing, concurrency.

use crate::support::{Backend, both_backends, spawn_app, spawn_app_with};
use auth_testkit::{Fetch as _, ReadJson as _};
use serde_json::Value;

#[both_backends]
async fn every_refresh_rotates_the_token_and_keeps_the_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let response = app.refresh("webapp", &secret, &first, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let refreshed: Value = response.json().await.unwrap();
    let second = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(second, first);
    assert_eq!(refreshed["scope"], "email offline_access openid profile");
    // OIDC Core 12.2: a new ID token, without nonce, same auth_time.
    let id =
        jsonwebtoken::dangerous::insecure_decode::<Value>(refreshed["id_token"].as_str().unwrap())
            .unwrap()
            .claims;
    assert!(id.get("nonce").is_none());
    assert!(app.is_active("webapp", &secret, second).await);
    assert!(
        !app.is_active("webapp", &secret, &first).await,
        "the rotated token is no longer active"
    );
}

#[both_backends]
async fn reusing_a_rotated_token_revokes_the_whole_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: Value = app
        .refresh("webapp", &secret, &first, None)
        .await
        .read_json()
        .await;
    let second = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let access = refreshed["access_token"].as_str().unwrap().to_owned();

    let reuse = app.refresh("webapp", &secret, &first, None).await;
    assert_eq!(reuse.status(), 400);
    let body: Value = reuse.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "the refresh token was already used; every token of its grant is revoked"
    );
    let after: Value = app
        .refresh("webapp", &secret, &second, None)
        .await
        .read_json()
        .await;
    assert_eq!(
        after["error_description"],
        "the refresh token has been revoked"
    );
    assert!(
        !app.is_active("webapp", &secret, &access).await,
        "access tokens of the family are revoked too"
    );
}

#[both_backends]
async fn a_grace_period_lets_a_client_retry_without_revoking(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.tokens.refresh_reuse_grace_secs = 10).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: Value = app
        .refresh("webapp", &secret, &first, None)
        .await
        .read_json()
        .await;
    let retry: Value = app
        .refresh("webapp", &secret, &first, None)
        .await
        .read_json()
        .await;
    assert_eq!(
        retry["error_description"],
        "the refresh token was already used"
    );
    let second = refreshed["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.refresh("webapp", &secret, second, None).await.status(),
        200,
        "the family lives on"
    );
}

#[both_backends]
async fn a_refresh_can_narrow_the_scope_but_not_widen_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let wider: Value = app
        .refresh("webapp", &secret, &token, Some("openid permissions"))
        .await
        .read_json()
        .await;
    assert_eq!(wider["error"], "invalid_scope");
    assert!(
        wider["error_description"]
            .as_str()
            .unwrap()
            .contains("`permissions` was not granted")
    );
    let narrow: Value = app
        .refresh("webapp", &secret, &token, Some("email"))
        .await
        .read_json()
        .await;
    assert_eq!(narrow["scope"], "email");
    assert!(narrow.get("id_token").is_none(), "no openid, no ID token");
    // The new refresh token keeps the original scope (RFC 6749 section 6).
    let again: Value = app
        .refresh(
            "webapp",
            &secret,
            narrow["refresh_token"].as_str().unwrap(),
            None,
        )
        .await
        .read_json()
        .await;
    assert_eq!(again["scope"], "email offline_access openid profile");
}

#[both_backends]
async fn refresh_tokens_are_bound_to_their_client_and_die_with_a_disabled_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    let other = app.code_client("other").await;
    let user = app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let stolen: Value = app
        .refresh("other", &other, &token, None)
        .await
        .read_json()
        .await;
    assert_eq!(
        stolen["error_description"],
        "the refresh token was issued to another client"
    );
    auth_core::users::set_disabled(&app.provider, &user.id, true)
        .await
        .unwrap();
    let after: Value = app
        .refresh("webapp", &secret, &token, None)
        .await
        .read_json()
        .await;
    assert_eq!(after["error"], "invalid_grant");
    assert!(
        !app.is_active("webapp", &secret, tokens["access_token"].as_str().unwrap())
            .await
    );
}

#[both_backends]
async fn revoking_a_refresh_token_revokes_its_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let introspected: Value = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("webapp", Some(&secret))
        .form(&[("token", refresh)])
        .fetch_json()
        .await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["token_type"], "refresh_token");
    let revoked = app
        .http
        .post(app.url("/revoke"))
        .basic_auth("webapp", Some(&secret))
        .form(&[("token", refresh), ("token_type_hint", "refresh_token")])
        .fetch()
        .await;
    assert_eq!(revoked.status(), 200);
    assert!(!app.is_active("webapp", &secret, refresh).await);
    assert!(
        !app.is_active("webapp", &secret, tokens["access_token"].as_str().unwrap())
            .await
    );
}

#[both_backends]
async fn with_the_caches_off_revocations_are_read_from_the_database(backend: Backend) {
    // database.cache_secs = 0: every check queries revoked_access_tokens and the families.
    let app = spawn_app_with(backend, |c| c.database.cache_secs = 0).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let revoke = |token: String| {
        app.http
            .post(app.url("/revoke"))
            .basic_auth("webapp", Some(&secret))
            .form(&[("token", token)])
            .send()
    };
    let direct = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let direct_access = direct["access_token"].as_str().unwrap().to_owned();
    assert!(app.is_active("webapp", &secret, &direct_access).await);
    assert_eq!(revoke(direct_access.clone()).await.unwrap().status(), 200);
    assert!(
        !app.is_active("webapp", &secret, &direct_access).await,
        "a revoked access token"
    );

    let family = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let family_access = family["access_token"].as_str().unwrap().to_owned();
    assert!(app.is_active("webapp", &secret, &family_access).await);
    assert_eq!(
        revoke(family["refresh_token"].as_str().unwrap().to_owned())
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        !app.is_active("webapp", &secret, &family_access).await,
        "an access token of a revoked family"
    );
}
