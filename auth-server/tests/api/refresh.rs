//! Refresh tokens: rotation, reuse detection, narrowing, concurrency.

use crate::support::{Backend, TestApp, both_backends, db_count, spawn_app, spawn_app_with};
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

/// The body of a refresh with `token` as `client`.
async fn refreshed(app: &TestApp, client: &str, secret: &str, token: &str) -> Value {
    app.refresh(client, secret, token, None)
        .await
        .read_json()
        .await
}

/// What a reuse answers.
const REVOKED: &str = "the refresh token was already used; every token of its grant is revoked";

/// A grant of ann's to `webapp`, rotated once under a grace of 10 s: the first refresh token,
/// and the answer of its rotation (which the client "lost").
async fn rotated_under_grace(app: &TestApp, secret: &str) -> (String, Value) {
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", secret, "ann@example.com").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let lost: Value = refreshed(app, "webapp", secret, &first).await;
    assert!(lost["refresh_token"].is_string(), "{lost}");
    (first, lost)
}

fn str_of<'a>(body: &'a Value, key: &str) -> &'a str {
    body[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
}

#[both_backends]
async fn within_the_grace_a_retry_gets_a_new_pair_and_the_lost_one_is_retired(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.tokens.refresh_reuse_grace_secs = 10).await;
    let secret = app.code_client("webapp").await;
    let (first, lost) = rotated_under_grace(&app, &secret).await;
    app.clock.advance(time::Duration::seconds(9));

    // The client lost `lost` and retries with the token it still holds.
    let retry = app.refresh("webapp", &secret, &first, None).await;
    assert_eq!(retry.status(), 200);
    let retry: Value = retry.json().await.unwrap();
    assert_ne!(
        str_of(&retry, "refresh_token"),
        str_of(&lost, "refresh_token")
    );
    assert!(
        retry["id_token"].is_string(),
        "a whole token response: {retry}"
    );
    assert!(
        app.is_active("webapp", &secret, str_of(&retry, "access_token"))
            .await
    );
    // The pair the client never received is retired (docs/decisions/0007).
    assert!(
        !app.is_active("webapp", &secret, str_of(&lost, "access_token"))
            .await,
        "the lost access token is revoked"
    );
    assert!(
        !app.is_active("webapp", &secret, str_of(&lost, "refresh_token"))
            .await,
        "the lost refresh token is retired"
    );
    // A second lost answer: the retry works again within the grace of the first rotation.
    let again: Value = refreshed(&app, "webapp", &secret, &first).await;
    assert!(again["refresh_token"].is_string(), "{again}");
    assert!(
        !app.is_active("webapp", &secret, str_of(&retry, "access_token"))
            .await
    );
    // One live refresh token per grant, and the grant lives on.
    assert_eq!(
        db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM refresh_tokens WHERE rotated_at IS NULL"
        )
        .await,
        1
    );
    let next = app
        .refresh("webapp", &secret, str_of(&again, "refresh_token"), None)
        .await;
    assert_eq!(next.status(), 200, "the family lives on");
}

#[both_backends]
async fn a_retry_after_the_grace_revokes_the_family(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.tokens.refresh_reuse_grace_secs = 10).await;
    let secret = app.code_client("webapp").await;
    let (first, lost) = rotated_under_grace(&app, &secret).await;
    app.clock.advance(time::Duration::seconds(10));
    let reuse: Value = refreshed(&app, "webapp", &secret, &first).await;
    assert_eq!(reuse["error_description"], REVOKED);
    assert!(
        !app.is_active("webapp", &secret, str_of(&lost, "access_token"))
            .await
    );
    let after = app
        .refresh("webapp", &secret, str_of(&lost, "refresh_token"), None)
        .await;
    assert_eq!(after.status(), 400);
}

#[both_backends]
async fn within_the_grace_an_old_token_whose_successor_was_used_revokes_the_family(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |c| c.tokens.refresh_reuse_grace_secs = 10).await;
    let secret = app.code_client("webapp").await;
    let (first, received) = rotated_under_grace(&app, &secret).await;
    // The client did receive its answer and used it: whoever presents `first` now is not
    // that client retrying.
    let used: Value = refreshed(&app, "webapp", &secret, str_of(&received, "refresh_token")).await;
    let replay: Value = refreshed(&app, "webapp", &secret, &first).await;
    assert_eq!(replay["error_description"], REVOKED);
    assert!(
        !app.is_active("webapp", &secret, str_of(&used, "access_token"))
            .await
    );
}

#[both_backends]
async fn a_retired_successor_presented_later_revokes_the_family(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.tokens.refresh_reuse_grace_secs = 10).await;
    let secret = app.code_client("webapp").await;
    let (first, lost) = rotated_under_grace(&app, &secret).await;
    let retry: Value = refreshed(&app, "webapp", &secret, &first).await;
    // Someone holds the answer the retry retired (the "lost" one was received after all, by a
    // thief or by the client): presenting it is a reuse, whatever the grace.
    let reuse: Value = refreshed(&app, "webapp", &secret, str_of(&lost, "refresh_token")).await;
    assert_eq!(reuse["error_description"], REVOKED);
    assert!(
        !app.is_active("webapp", &secret, str_of(&retry, "access_token"))
            .await
    );
}

#[both_backends]
async fn within_the_grace_another_client_cannot_retry(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.tokens.refresh_reuse_grace_secs = 10).await;
    let secret = app.code_client("webapp").await;
    let other = app.code_client("other").await;
    let (first, lost) = rotated_under_grace(&app, &secret).await;
    let stolen: Value = refreshed(&app, "other", &other, &first).await;
    assert_eq!(
        stolen["error_description"],
        "the refresh token was issued to another client"
    );
    assert!(
        app.is_active("webapp", &secret, str_of(&lost, "access_token"))
            .await
    );
}

#[both_backends]
async fn without_a_grace_a_retry_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let first = str_of(&tokens, "refresh_token").to_owned();
    let lost: Value = refreshed(&app, "webapp", &secret, &first).await;
    let retry: Value = refreshed(&app, "webapp", &secret, &first).await;
    assert_eq!(retry["error_description"], REVOKED);
    assert!(
        !app.is_active("webapp", &secret, str_of(&lost, "access_token"))
            .await
    );
}

#[both_backends]
async fn a_retry_at_another_replica_is_answered_like_here(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.tokens.refresh_reuse_grace_secs = 10).await;
    let secret = app.code_client("webapp").await;
    let (first, lost) = rotated_under_grace(&app, &secret).await;
    // The retry reaches another replica: it knows the rotation from the database alone.
    let other = app
        .another_replica_with(|c| c.tokens.refresh_reuse_grace_secs = 10)
        .await;
    let params: auth_core::params::Params = [
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), first.clone()),
    ]
    .into_iter()
    .collect();
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("webapp:{secret}")
        )
    );
    let retried = auth_core::grants::token(&other, Some(&basic), &params, "127.0.0.1", None)
        .await
        .expect("the retry is answered at the other replica");
    let retried = retried.response;
    assert!(
        app.is_active("webapp", &secret, &retried.access_token)
            .await
    );
    assert!(
        !app.is_active("webapp", &secret, str_of(&lost, "access_token"))
            .await
    );
    // And after the grace, here, the same retry revokes the grant made there.
    app.clock.advance(time::Duration::seconds(10));
    let reuse: Value = refreshed(&app, "webapp", &secret, &first).await;
    assert_eq!(reuse["error_description"], REVOKED);
    assert!(
        !app.is_active("webapp", &secret, &retried.access_token)
            .await
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
