//! Tokens follow the state they were issued from: role, user, client, password and session changes revoke or narrow what they must (issue 19).
//!
//! One test per event. Each asks what a client or resource server can see (the token endpoint,
//! introspection, a bearer-protected API), and each runs on SQLite and PostgreSQL.

use crate::support::{
    Backend, PASSWORD, Pkce, REDIRECT_URI, TestApp, both_backends, browser, form_field, query_of,
    spawn_app,
};
use auth_core::clients::{AuthMethod, ClientId, GrantType};
use auth_core::roles::{Role, RoleName};
use auth_core::users::User;
use auth_core::users::password::Password;
use auth_testkit::{Fetch as _, ReadJson as _};
use serde_json::Value;
use std::time::Duration;

const NEW_PASSWORD: &str = "another correct horse battery";

/// A resource server that may introspect: the observer in every test.
async fn resource_server(app: &TestApp) -> String {
    app.confidential_client("rs", "").await
}

/// Whether `token` introspects as active, asked by the resource server `rs`.
async fn active(app: &TestApp, rs_secret: &str, token: &str) -> bool {
    app.is_active("rs", rs_secret, token).await
}

/// A token of the `ops` client with the `admin` scope.
async fn operator(app: &TestApp) -> String {
    let secret = app.confidential_client("ops", "admin").await;
    app.client_credentials_token("ops", &secret, Some("admin"))
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The client `webapp`: code flow, refresh and client credentials, with the `admin` scope
/// among those it may obtain. Returns its secret.
async fn webapp(app: &TestApp) -> String {
    app.client_with(
        "webapp",
        "openid profile email offline_access permissions admin",
        AuthMethod::ClientSecretBasic,
        &[
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ],
        &[REDIRECT_URI],
    )
    .await
    .unwrap()
}

/// A user holding the `admin` role.
async fn admin_user(app: &TestApp, email: &str) -> User {
    let admin = RoleName::parse("admin").unwrap();
    let role = Role {
        name: admin.clone(),
        description: String::new(),
        permissions: vec![RoleName::parse("users:write").unwrap()],
    };
    auth_core::roles::create(&app.provider, &role)
        .await
        .unwrap();
    let user = app.user(email).await;
    auth_core::roles::grant(&app.provider, &user.id, &admin)
        .await
        .unwrap();
    user
}

/// The authorize URL of `client` asking for `scope`.
fn authorize_url(app: &TestApp, client: &str, pkce: &Pkce, scope: &str) -> String {
    let base = url::Url::parse(&app.authorize_url(client, pkce, &[])).unwrap();
    let mut url = base.clone();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(base.query_pairs().map(|(k, v)| {
            if k == "scope" {
                (k, scope.to_owned().into())
            } else {
                (k, v)
            }
        }));
    url.into()
}

/// A code for `email` at `client` (not redeemed), issued in `browser`'s session, and its
/// PKCE verifier.
async fn code_in(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &str,
    email: &str,
    scope: &str,
) -> (String, String) {
    let pkce = Pkce::new();
    let callback = app
        .authorize_as(browser, &authorize_url(app, client, &pkce, scope), email)
        .await;
    (query_of(&callback)["code"].clone(), pkce.verifier)
}

/// The token response for `email` at `client` with `scope`, through a fresh browser.
async fn tokens(app: &TestApp, client: &str, secret: &str, email: &str, scope: &str) -> Value {
    let (code, verifier) = code_in(app, &browser(), client, email, scope).await;
    let response = app.exchange(client, secret, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {value}"))
        .to_owned()
}

/// The error code of a token endpoint answer.
async fn token_error(response: reqwest::Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_client_error(), "{status}: {body}");
    body["error"].as_str().unwrap_or_default().to_owned()
}

/// The one live session of a user.
/// Asserts what an event that ends a grant leaves of it: the pending `code` no longer
/// exchanges (`why` says which event), and the grant's tokens neither introspect as active nor
/// refresh.
async fn assert_grant_ended(
    app: &TestApp,
    rs: &str,
    secret: &str,
    granted: &Value,
    (code, verifier): (&str, &str),
    why: &str,
) {
    let exchanged = app.exchange("webapp", secret, code, verifier).await;
    assert_eq!(token_error(exchanged).await, "invalid_grant", "{why}");
    assert!(!active(app, rs, &text(granted, "access_token")).await);
    assert!(!active(app, rs, &text(granted, "refresh_token")).await);
    let refreshed = app
        .refresh("webapp", secret, &text(granted, "refresh_token"), None)
        .await;
    assert_eq!(token_error(refreshed).await, "invalid_grant");
}

/// In browser `b`, a grant with a refresh token and then a code not yet exchanged.
async fn grant_and_pending_code(
    app: &TestApp,
    b: &reqwest::Client,
    secret: &str,
) -> (Value, (String, String)) {
    let scope = "openid offline_access";
    let (first, first_verifier) = code_in(app, b, "webapp", "ann@example.com", scope).await;
    let granted: Value = app
        .exchange("webapp", secret, &first, &first_verifier)
        .await
        .read_json()
        .await;
    let pending = code_in(app, b, "webapp", "ann@example.com", "openid").await;
    (granted, pending)
}

async fn only_session(app: &TestApp, user: &User) -> String {
    let now = auth_core::clock::Clock::unix(&*app.clock);
    let sessions = app
        .provider
        .store()
        .user_sessions(&user.id, now)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1, "one session");
    sessions[0].id.clone()
}

#[both_backends]
async fn a_change_made_at_another_replica_is_seen_here_within_the_cache_bound(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let secret = webapp(&app).await;
    let ada = admin_user(&app, "ada@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ada@example.com",
        "openid offline_access admin",
    )
    .await;
    let access = text(&granted, "access_token");
    let service = text(
        &app.client_credentials_token("webapp", &secret, None).await,
        "access_token",
    );
    // This replica has read the client and the revocations, and keeps them for a second.
    assert!(active(&app, &rs, &access).await);
    assert!(active(&app, &rs, &service).await);

    let other = app.another_replica().await;
    auth_core::roles::revoke(&other, &ada.id, &RoleName::parse("admin").unwrap())
        .await
        .unwrap();
    auth_core::clients::rotate_secret(&other, &ClientId::parse("webapp").unwrap())
        .await
        .unwrap();
    // `database.cache_secs` is 1.
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    assert!(
        !active(&app, &rs, &access).await,
        "the role revoked elsewhere ended the user's token here"
    );
    assert!(
        !active(&app, &rs, &service).await,
        "the secret rotated elsewhere ended the service token here"
    );
}

#[both_backends]
async fn a_revoked_role_ends_the_grants_it_was_part_of(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let ops = operator(&app).await;
    let secret = webapp(&app).await;
    let ada = admin_user(&app, "ada@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ada@example.com",
        "openid offline_access admin",
    )
    .await;
    assert_eq!(granted["scope"], "admin offline_access openid", "{granted}");
    let access = text(&granted, "access_token");
    let users = || {
        app.http
            .get(app.url("/admin/users"))
            .bearer_auth(&access)
            .send()
    };
    assert_eq!(
        users().await.unwrap().status(),
        200,
        "an admin's token opens the admin API"
    );

    let demoted = app
        .http
        .delete(app.url(&format!("/admin/users/{}/roles/admin", ada.id)))
        .bearer_auth(&ops)
        .fetch()
        .await;
    assert_eq!(demoted.status(), 200);

    assert_eq!(
        users().await.unwrap().status(),
        401,
        "the demoted admin's token no longer works"
    );
    assert!(!active(&app, &rs, &access).await);
    let refresh = text(&granted, "refresh_token");
    assert!(!active(&app, &rs, &refresh).await);
    let refreshed = app.refresh("webapp", &secret, &refresh, None).await;
    assert_eq!(token_error(refreshed).await, "invalid_grant");
    // Authorizing again gives what the user holds now.
    let again = tokens(
        &app,
        "webapp",
        &secret,
        "ada@example.com",
        "openid offline_access admin",
    )
    .await;
    assert_eq!(again["scope"], "offline_access openid", "{again}");
}

#[both_backends]
async fn a_permission_taken_from_a_role_ends_the_grants_that_list_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let ops = operator(&app).await;
    let secret = webapp(&app).await;
    admin_user(&app, "ada@example.com").await;
    let listed = tokens(
        &app,
        "webapp",
        &secret,
        "ada@example.com",
        "openid offline_access permissions",
    )
    .await;
    let unlisted = tokens(
        &app,
        "webapp",
        &secret,
        "ada@example.com",
        "openid offline_access",
    )
    .await;
    let introspected: Value = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("rs", Some(&rs))
        .form(&[("token", text(&listed, "access_token").as_str())])
        .fetch_json()
        .await;
    assert_eq!(
        introspected["permissions"],
        serde_json::json!(["users:write"]),
        "{introspected}"
    );

    let changed = app
        .http
        .put(app.url("/admin/roles/admin/permissions"))
        .bearer_auth(&ops)
        .json(&serde_json::json!({"permissions": []}))
        .fetch()
        .await;
    assert_eq!(changed.status(), 200);

    assert!(
        !active(&app, &rs, &text(&listed, "access_token")).await,
        "a token listing the permission ends"
    );
    let refreshed = app
        .refresh("webapp", &secret, &text(&listed, "refresh_token"), None)
        .await;
    assert_eq!(token_error(refreshed).await, "invalid_grant");
    assert!(
        active(&app, &rs, &text(&unlisted, "access_token")).await,
        "a grant without `permissions` lists none and goes on"
    );
}

#[both_backends]
async fn a_refresh_and_introspection_give_no_more_scope_than_the_client_holds_now(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let secret = webapp(&app).await;
    admin_user(&app, "ada@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ada@example.com",
        "openid offline_access admin",
    )
    .await;
    let access = text(&granted, "access_token");
    let id = ClientId::parse("webapp").unwrap();
    let mut client = app
        .provider
        .store()
        .client(&id)
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    client.scope = auth_core::scope::Scope::parse("openid offline_access").unwrap();
    app.provider.store().update_client(&client).await.unwrap();

    let introspected: Value = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("rs", Some(&rs))
        .form(&[("token", access.as_str())])
        .fetch_json()
        .await;
    assert_eq!(introspected["active"], true);
    assert_eq!(
        introspected["scope"], "offline_access openid",
        "{introspected}"
    );
    let users = app
        .http
        .get(app.url("/admin/users"))
        .bearer_auth(&access)
        .fetch()
        .await;
    assert_eq!(
        users.status(),
        403,
        "the token no longer carries `admin` for this client"
    );
    let refreshed: Value = app
        .refresh("webapp", &secret, &text(&granted, "refresh_token"), None)
        .await
        .read_json()
        .await;
    assert_eq!(refreshed["scope"], "offline_access openid", "{refreshed}");
}

#[both_backends]
async fn a_disabled_user_s_tokens_end(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let ops = operator(&app).await;
    let secret = webapp(&app).await;
    let ann = app.user("ann@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ann@example.com",
        "openid offline_access",
    )
    .await;
    let disabled = app
        .http
        .post(app.url(&format!("/admin/users/{}/disable", ann.id)))
        .bearer_auth(&ops)
        .fetch()
        .await;
    assert_eq!(disabled.status(), 200);
    assert!(!active(&app, &rs, &text(&granted, "access_token")).await);
    assert!(!active(&app, &rs, &text(&granted, "refresh_token")).await);
    let userinfo = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(text(&granted, "access_token"))
        .fetch()
        .await;
    assert_eq!(userinfo.status(), 401);
    let refreshed = app
        .refresh("webapp", &secret, &text(&granted, "refresh_token"), None)
        .await;
    assert_eq!(token_error(refreshed).await, "invalid_grant");
}

#[both_backends]
async fn a_deleted_user_s_tokens_end(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let ops = operator(&app).await;
    let secret = webapp(&app).await;
    let ann = app.user("ann@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ann@example.com",
        "openid offline_access",
    )
    .await;
    let deleted = app
        .http
        .delete(app.url(&format!("/admin/users/{}", ann.id)))
        .bearer_auth(&ops)
        .fetch()
        .await;
    assert!(deleted.status().is_success(), "{}", deleted.status());
    assert!(!active(&app, &rs, &text(&granted, "access_token")).await);
    assert!(!active(&app, &rs, &text(&granted, "refresh_token")).await);
    let refreshed = app
        .refresh("webapp", &secret, &text(&granted, "refresh_token"), None)
        .await;
    assert_eq!(token_error(refreshed).await, "invalid_grant");
}

#[both_backends]
async fn a_deleted_client_s_tokens_end_and_a_new_client_with_its_id_revives_none(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let ops = operator(&app).await;
    let secret = webapp(&app).await;
    app.user("ann@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ann@example.com",
        "openid offline_access",
    )
    .await;
    let (code, verifier) = code_in(&app, &browser(), "webapp", "ann@example.com", "openid").await;
    let service = text(
        &app.client_credentials_token("webapp", &secret, None).await,
        "access_token",
    );
    let access = text(&granted, "access_token");
    let refresh = text(&granted, "refresh_token");
    for token in [&access, &refresh, &service] {
        assert!(active(&app, &rs, token).await);
    }

    let deleted = app
        .http
        .delete(app.url("/admin/clients/webapp"))
        .bearer_auth(&ops)
        .fetch()
        .await;
    assert_eq!(deleted.status(), 204);
    for (what, token) in [
        ("user access token", &access),
        ("refresh token", &refresh),
        ("service token", &service),
    ] {
        assert!(
            !active(&app, &rs, token).await,
            "the {what} of a deleted client is inactive"
        );
    }

    // Someone registers a client with the same id: the old grants stay dead.
    let new_secret = webapp(&app).await;
    for (what, token) in [
        ("user access token", &access),
        ("refresh token", &refresh),
        ("service token", &service),
    ] {
        assert!(
            !active(&app, &rs, token).await,
            "the {what} of the old registration is inactive"
        );
    }
    let refreshed = app.refresh("webapp", &new_secret, &refresh, None).await;
    assert_eq!(token_error(refreshed).await, "invalid_grant");
    let exchanged = app.exchange("webapp", &new_secret, &code, &verifier).await;
    assert_eq!(
        token_error(exchanged).await,
        "invalid_grant",
        "a code of the old registration is gone"
    );
}

#[both_backends]
async fn a_rotated_client_secret_ends_the_tokens_issued_under_the_old_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let ops = operator(&app).await;
    let secret = webapp(&app).await;
    app.user("ann@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ann@example.com",
        "openid offline_access",
    )
    .await;
    let service = text(
        &app.client_credentials_token("webapp", &secret, None).await,
        "access_token",
    );

    let rotated = app
        .http
        .post(app.url("/admin/clients/webapp/secret"))
        .bearer_auth(&ops)
        .fetch()
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new_secret = text(&rotated, "client_secret");
    assert_ne!(new_secret, secret);

    let old = app
        .http
        .post(app.url("/token"))
        .basic_auth("webapp", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .fetch()
        .await;
    assert_eq!(old.status(), 401, "the old secret no longer authenticates");
    for (what, token) in [
        ("user access token", text(&granted, "access_token")),
        ("refresh token", text(&granted, "refresh_token")),
        ("service token", service),
    ] {
        assert!(
            !active(&app, &rs, &token).await,
            "the {what} issued under the old secret is inactive"
        );
    }
    let refreshed = app
        .refresh(
            "webapp",
            &new_secret,
            &text(&granted, "refresh_token"),
            None,
        )
        .await;
    assert_eq!(token_error(refreshed).await, "invalid_grant");
    let fresh = text(
        &app.client_credentials_token("webapp", &new_secret, None)
            .await,
        "access_token",
    );
    assert!(active(&app, &rs, &fresh).await, "the new secret works");
}

#[both_backends]
async fn a_password_change_ends_other_sessions_grants_and_every_pending_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let secret = webapp(&app).await;
    let ann = app.user("ann@example.com").await;
    let elsewhere = tokens(
        &app,
        "webapp",
        &secret,
        "ann@example.com",
        "openid offline_access",
    )
    .await;
    app.clock.advance(time::Duration::seconds(2));
    let here = browser();
    let (code, verifier) = code_in(&app, &here, "webapp", "ann@example.com", "openid").await;
    let now = auth_core::clock::Clock::unix(&*app.clock);
    let current = app
        .provider
        .store()
        .user_sessions(&ann.id, now)
        .await
        .unwrap()[0]
        .id
        .clone();

    auth_core::account::change_password(
        &app.provider,
        &ann,
        Some(current.as_str()),
        &Password::new(PASSWORD),
        &Password::new(NEW_PASSWORD),
        "127.0.0.1",
    )
    .await
    .unwrap();

    assert_grant_ended(
        &app,
        &rs,
        &secret,
        &elsewhere,
        (&code, &verifier),
        "a code issued before the change is void",
    )
    .await;
    // The session the password was changed in goes on.
    let (code, verifier) = code_in(&app, &here, "webapp", "ann@example.com", "openid").await;
    assert_eq!(
        app.exchange("webapp", &secret, &code, &verifier)
            .await
            .status(),
        200
    );
}

#[both_backends]
async fn a_password_reset_ends_every_grant_and_every_pending_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let secret = webapp(&app).await;
    let ann = app.user("ann@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ann@example.com",
        "openid offline_access",
    )
    .await;
    let (code, verifier) = code_in(&app, &browser(), "webapp", "ann@example.com", "openid").await;

    // What a reset link does once it is checked and used.
    auth_core::password_reset::set_password(
        &app.provider,
        &ann,
        &Password::new(NEW_PASSWORD),
        None,
    )
    .await
    .unwrap();

    assert_grant_ended(
        &app,
        &rs,
        &secret,
        &granted,
        (&code, &verifier),
        "a code issued before the reset is void",
    )
    .await;
}

#[both_backends]
async fn logout_ends_the_session_s_grants_and_its_pending_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let secret = webapp(&app).await;
    app.user("ann@example.com").await;
    let b = browser();
    let (granted, (code, verifier)) = grant_and_pending_code(&app, &b, &secret).await;

    let page = b
        .get(app.url("/logout?client_id=webapp"))
        .fetch_text()
        .await;
    let confirm = [
        ("csrf_token", form_field(&page, "csrf_token").unwrap()),
        ("confirm", "yes".to_owned()),
        ("client_id", "webapp".to_owned()),
    ];
    let done = b.post(app.url("/logout")).form(&confirm).fetch().await;
    assert!(
        done.status().is_success() || done.status().is_redirection(),
        "{}",
        done.status()
    );

    assert_grant_ended(
        &app,
        &rs,
        &secret,
        &granted,
        (&code, &verifier),
        "a code issued before the logout is void",
    )
    .await;
}

#[both_backends]
async fn a_session_ended_from_the_account_takes_its_grants_and_pending_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let secret = webapp(&app).await;
    let ann = app.user("ann@example.com").await;
    let b = browser();
    let (granted, (code, verifier)) = grant_and_pending_code(&app, &b, &secret).await;

    // What the account page and `DELETE /api/account/sessions/{id}` do.
    let session = only_session(&app, &ann).await;
    auth_core::sessions::end(&app.provider, &session)
        .await
        .unwrap();

    assert_grant_ended(
        &app,
        &rs,
        &secret,
        &granted,
        (&code, &verifier),
        "a code of the ended session is void",
    )
    .await;
}

#[both_backends]
async fn refreshing_does_not_extend_a_grant_past_its_absolute_lifetime(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = resource_server(&app).await;
    let secret = webapp(&app).await;
    app.user("ann@example.com").await;
    let granted = tokens(
        &app,
        "webapp",
        &secret,
        "ann@example.com",
        "openid offline_access",
    )
    .await;
    let day = time::Duration::days(1);
    let mut refresh = text(&granted, "refresh_token");
    // Each refresh inside the 30-day refresh token lifetime, up to day 87 of the grant.
    for _ in 0..3 {
        app.clock.advance(day * 29);
        let refreshed = app.refresh("webapp", &secret, &refresh, None).await;
        assert_eq!(refreshed.status(), 200);
        refresh = text(&refreshed.json().await.unwrap(), "refresh_token");
    }
    // The grant is 90 days old at day 90, however recently it was refreshed.
    app.clock.advance(day * 4);
    assert!(!active(&app, &rs, &refresh).await);
    let refreshed = app.refresh("webapp", &secret, &refresh, None).await;
    assert_eq!(token_error(refreshed).await, "invalid_grant");
}
