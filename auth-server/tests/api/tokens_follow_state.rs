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
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

const NEW_PASSWORD: &str = "another correct horse battery";
/// The scope of a grant with a refresh token and nothing more.
const OFFLINE: &str = "openid offline_access";
/// The scope of a grant an admin asks for with the `admin` scope.
const OFFLINE_ADMIN: &str = "openid offline_access admin";

/// What every test starts from: the app, the resource server `rs` that may introspect (the
/// observer in every test) and the client `webapp` (code flow, refresh and client
/// credentials, with the `admin` scope among those it may obtain), with their secrets.
struct Scene {
    app: TestApp,
    rs: String,
    secret: String,
}

impl Scene {
    async fn new(backend: Backend) -> Self {
        let app = spawn_app(backend).await;
        let rs = app.confidential_client("rs", "").await;
        let secret = webapp(&app).await;
        Self { app, rs, secret }
    }

    /// Whether `token` introspects as active, asked by the resource server `rs`.
    async fn active(&self, token: &str) -> bool {
        self.app.is_active("rs", &self.rs, token).await
    }

    /// What `rs` reads when it introspects `token`.
    async fn introspect(&self, token: &str) -> Value {
        self.app
            .http
            .post(self.app.url("/introspect"))
            .basic_auth("rs", Some(&self.rs))
            .form(&[("token", token)])
            .fetch_json()
            .await
    }

    /// The token response of `webapp` for `email` with `scope`, through a fresh browser.
    async fn tokens(&self, email: &str, scope: &str) -> Value {
        let (code, verifier) = code_in(&self.app, &browser(), "webapp", email, scope).await;
        self.exchange(&self.secret, &code, &verifier).await
    }

    /// Exchanges `code` at `webapp` with `secret`, which succeeds.
    async fn exchange(&self, secret: &str, code: &str, verifier: &str) -> Value {
        let response = self.app.exchange("webapp", secret, code, verifier).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// A client-credentials access token of `webapp` with `secret`.
    async fn service_token(&self, secret: &str) -> String {
        let answer = self
            .app
            .client_credentials_token("webapp", secret, None)
            .await;
        text(&answer, "access_token")
    }

    /// The error code of refreshing `refresh_token` at `webapp` with `secret`.
    async fn refresh_error(&self, secret: &str, refresh_token: &str) -> String {
        let refreshed = self
            .app
            .refresh("webapp", secret, refresh_token, None)
            .await;
        token_error(refreshed).await
    }

    /// Asserts that neither the access nor the refresh token of `granted` introspects as
    /// active, and that the refresh token no longer refreshes.
    async fn assert_tokens_ended(&self, granted: &Value) {
        assert!(!self.active(&text(granted, "access_token")).await);
        assert!(!self.active(&text(granted, "refresh_token")).await);
        let refresh = text(granted, "refresh_token");
        assert_eq!(
            self.refresh_error(&self.secret, &refresh).await,
            "invalid_grant"
        );
    }

    /// Asserts what an event that ends a grant leaves of it: the pending `code` no longer
    /// exchanges (`why` says which event), and the grant's tokens neither introspect as active
    /// nor refresh.
    async fn assert_grant_ended(&self, granted: &Value, (code, verifier): (&str, &str), why: &str) {
        let exchanged = self
            .app
            .exchange("webapp", &self.secret, code, verifier)
            .await;
        assert_eq!(token_error(exchanged).await, "invalid_grant", "{why}");
        self.assert_tokens_ended(granted).await;
    }

    /// In browser `b`, a grant with a refresh token and then a code not yet exchanged.
    async fn grant_and_pending_code(&self, b: &reqwest::Client) -> (Value, (String, String)) {
        let (first, first_verifier) = code_in(&self.app, b, "webapp", ANN, OFFLINE).await;
        let granted: Value = self
            .app
            .exchange("webapp", &self.secret, &first, &first_verifier)
            .await
            .read_json()
            .await;
        let pending = code_in(&self.app, b, "webapp", ANN, "openid").await;
        (granted, pending)
    }

    /// Sends the `ops` client's admin API request `request` (with its token `ops`), which
    /// answers `status`.
    async fn admin(&self, ops: &str, request: reqwest::RequestBuilder, status: u16) {
        let answer = request.bearer_auth(ops).fetch().await;
        assert_eq!(answer.status(), status);
    }
}

const ANN: &str = "ann@example.com";

/// Registers the client `webapp` (see [`Scene`]). Returns its secret.
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

#[both_backends]
async fn a_change_made_at_another_replica_is_seen_here_within_the_cache_bound(backend: Backend) {
    let s = Scene::new(backend).await;
    let ada = admin_user(&s.app, "ada@example.com").await;
    let granted = s.tokens("ada@example.com", OFFLINE_ADMIN).await;
    let access = text(&granted, "access_token");
    let service = s.service_token(&s.secret).await;
    // This replica has read the client and the revocations, and keeps them for a second.
    assert!(s.active(&access).await);
    assert!(s.active(&service).await);

    let other = s.app.another_replica().await;
    auth_core::roles::revoke(&other, &ada.id, &RoleName::parse("admin").unwrap())
        .await
        .unwrap();
    auth_core::clients::rotate_secret(&other, &ClientId::parse("webapp").unwrap())
        .await
        .unwrap();
    // `database.cache_secs` is 1.
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    assert!(
        !s.active(&access).await,
        "the role revoked elsewhere ended the user's token here"
    );
    assert!(
        !s.active(&service).await,
        "the secret rotated elsewhere ended the service token here"
    );
}

#[both_backends]
async fn a_revoked_role_ends_the_grants_it_was_part_of(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    let ops = app.admin_token().await;
    let ada = admin_user(app, "ada@example.com").await;
    let granted = s.tokens("ada@example.com", OFFLINE_ADMIN).await;
    assert_eq!(granted["scope"], "admin offline_access openid", "{granted}");
    let access = text(&granted, "access_token");
    let users = || {
        app.bearer_request(Method::GET, "/admin/users", &access)
            .send()
    };
    assert_eq!(
        users().await.unwrap().status(),
        200,
        "an admin's token opens the admin API"
    );

    let demote = app.url(&format!("/admin/users/{}/roles/admin", ada.id));
    s.admin(&ops, app.http.delete(demote), 200).await;

    assert_eq!(
        users().await.unwrap().status(),
        401,
        "the demoted admin's token no longer works"
    );
    s.assert_tokens_ended(&granted).await;
    // Authorizing again gives what the user holds now.
    let again = s.tokens("ada@example.com", OFFLINE_ADMIN).await;
    assert_eq!(again["scope"], "offline_access openid", "{again}");
}

#[both_backends]
async fn a_permission_taken_from_a_role_ends_the_grants_that_list_it(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    let ops = app.admin_token().await;
    admin_user(app, "ada@example.com").await;
    let listed = s
        .tokens("ada@example.com", "openid offline_access permissions")
        .await;
    let unlisted = s.tokens("ada@example.com", OFFLINE).await;
    let introspected = s.introspect(&text(&listed, "access_token")).await;
    assert_eq!(
        introspected["permissions"],
        serde_json::json!(["users:write"]),
        "{introspected}"
    );

    let change = app
        .http
        .put(app.url("/admin/roles/admin/permissions"))
        .json(&serde_json::json!({"permissions": []}));
    s.admin(&ops, change, 200).await;

    assert!(
        !s.active(&text(&listed, "access_token")).await,
        "a token listing the permission ends"
    );
    let refresh = text(&listed, "refresh_token");
    assert_eq!(s.refresh_error(&s.secret, &refresh).await, "invalid_grant");
    assert!(
        s.active(&text(&unlisted, "access_token")).await,
        "a grant without `permissions` lists none and goes on"
    );
}

#[both_backends]
async fn a_refresh_and_introspection_give_no_more_scope_than_the_client_holds_now(
    backend: Backend,
) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    admin_user(app, "ada@example.com").await;
    let granted = s.tokens("ada@example.com", OFFLINE_ADMIN).await;
    let access = text(&granted, "access_token");
    let mut client = app.stored_client("webapp").await;
    client.scope = auth_core::scope::Scope::parse(OFFLINE).unwrap();
    app.provider.store().update_client(&client).await.unwrap();

    let introspected = s.introspect(&access).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(
        introspected["scope"], "offline_access openid",
        "{introspected}"
    );
    let users = app
        .bearer_request(Method::GET, "/admin/users", &access)
        .fetch()
        .await;
    assert_eq!(
        users.status(),
        403,
        "the token no longer carries `admin` for this client"
    );
    let refreshed: Value = app
        .refresh("webapp", &s.secret, &text(&granted, "refresh_token"), None)
        .await
        .read_json()
        .await;
    assert_eq!(refreshed["scope"], "offline_access openid", "{refreshed}");
}

#[both_backends]
async fn a_disabled_user_s_tokens_end(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    let ops = app.admin_token().await;
    let ann = app.user(ANN).await;
    let granted = s.tokens(ANN, OFFLINE).await;
    let disable = app.url(&format!("/admin/users/{}/disable", ann.id));
    s.admin(&ops, app.http.post(disable), 200).await;
    assert!(!s.active(&text(&granted, "access_token")).await);
    assert!(!s.active(&text(&granted, "refresh_token")).await);
    let userinfo = app
        .bearer_request(Method::GET, "/userinfo", &text(&granted, "access_token"))
        .fetch()
        .await;
    assert_eq!(userinfo.status(), 401);
    let refresh = text(&granted, "refresh_token");
    assert_eq!(s.refresh_error(&s.secret, &refresh).await, "invalid_grant");
}

#[both_backends]
async fn a_deleted_user_s_tokens_end(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    let ops = app.admin_token().await;
    let ann = app.user(ANN).await;
    let granted = s.tokens(ANN, OFFLINE).await;
    let deleted = app
        .bearer_request(Method::DELETE, &format!("/admin/users/{}", ann.id), &ops)
        .fetch()
        .await;
    assert!(deleted.status().is_success(), "{}", deleted.status());
    s.assert_tokens_ended(&granted).await;
}

#[both_backends]
async fn a_deleted_client_s_tokens_end_and_a_new_client_with_its_id_revives_none(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    let ops = app.admin_token().await;
    app.user(ANN).await;
    let granted = s.tokens(ANN, OFFLINE).await;
    let (code, verifier) = code_in(app, &browser(), "webapp", ANN, "openid").await;
    let service = s.service_token(&s.secret).await;
    let tokens = [
        ("user access token", text(&granted, "access_token")),
        ("refresh token", text(&granted, "refresh_token")),
        ("service token", service),
    ];
    for (_, token) in &tokens {
        assert!(s.active(token).await);
    }

    let delete = app.http.delete(app.url("/admin/clients/webapp"));
    s.admin(&ops, delete, 204).await;
    for (what, token) in &tokens {
        assert!(
            !s.active(token).await,
            "the {what} of a deleted client is inactive"
        );
    }

    // Someone registers a client with the same id: the old grants stay dead.
    let new_secret = webapp(app).await;
    for (what, token) in &tokens {
        assert!(
            !s.active(token).await,
            "the {what} of the old registration is inactive"
        );
    }
    let refresh = text(&granted, "refresh_token");
    assert_eq!(
        s.refresh_error(&new_secret, &refresh).await,
        "invalid_grant"
    );
    let exchanged = app.exchange("webapp", &new_secret, &code, &verifier).await;
    assert_eq!(
        token_error(exchanged).await,
        "invalid_grant",
        "a code of the old registration is gone"
    );
}

#[both_backends]
async fn a_rotated_client_secret_ends_the_tokens_issued_under_the_old_one(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    let ops = app.admin_token().await;
    app.user(ANN).await;
    let granted = s.tokens(ANN, OFFLINE).await;
    let service = s.service_token(&s.secret).await;

    let rotated = app
        .bearer_request(Method::POST, "/admin/clients/webapp/secret", &ops)
        .fetch()
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new_secret = text(&rotated, "client_secret");
    assert_ne!(new_secret, s.secret);

    let old = app
        .http
        .post(app.url("/token"))
        .basic_auth("webapp", Some(&s.secret))
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
            !s.active(&token).await,
            "the {what} issued under the old secret is inactive"
        );
    }
    let refresh = text(&granted, "refresh_token");
    assert_eq!(
        s.refresh_error(&new_secret, &refresh).await,
        "invalid_grant"
    );
    let fresh = s.service_token(&new_secret).await;
    assert!(s.active(&fresh).await, "the new secret works");
}

#[both_backends]
async fn a_password_change_ends_other_sessions_grants_and_every_pending_code(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    let ann = app.user(ANN).await;
    let elsewhere = s.tokens(ANN, OFFLINE).await;
    app.clock.advance(time::Duration::seconds(2));
    let here = browser();
    let (code, verifier) = code_in(app, &here, "webapp", ANN, "openid").await;
    let current = app.live_sessions(&ann.id).await[0].id.clone();

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

    let why = "a code issued before the change is void";
    s.assert_grant_ended(&elsewhere, (&code, &verifier), why)
        .await;
    // The session the password was changed in goes on.
    let (code, verifier) = code_in(app, &here, "webapp", ANN, "openid").await;
    s.exchange(&s.secret, &code, &verifier).await;
}

#[both_backends]
async fn a_password_reset_ends_every_grant_and_every_pending_code(backend: Backend) {
    let s = Scene::new(backend).await;
    let ann = s.app.user(ANN).await;
    let granted = s.tokens(ANN, OFFLINE).await;
    let code = code_in(&s.app, &browser(), "webapp", ANN, "openid").await;

    // What a reset link does once it is checked and used.
    let new_password = Password::new(NEW_PASSWORD);
    auth_core::password_reset::set_password(&s.app.provider, &ann, &new_password, None)
        .await
        .unwrap();

    let why = "a code issued before the reset is void";
    s.assert_grant_ended(&granted, (&code.0, &code.1), why)
        .await;
}

#[both_backends]
async fn logout_ends_the_session_s_grants_and_its_pending_codes(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    app.user(ANN).await;
    let b = browser();
    let (granted, code) = s.grant_and_pending_code(&b).await;

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

    let why = "a code issued before the logout is void";
    s.assert_grant_ended(&granted, (&code.0, &code.1), why)
        .await;
}

#[both_backends]
async fn a_session_ended_from_the_account_takes_its_grants_and_pending_codes(backend: Backend) {
    let s = Scene::new(backend).await;
    let ann = s.app.user(ANN).await;
    let (granted, code) = s.grant_and_pending_code(&browser()).await;

    // What the account page and `DELETE /api/account/sessions/{id}` do.
    let sessions = s.app.live_sessions(&ann.id).await;
    assert_eq!(sessions.len(), 1, "one session");
    auth_core::sessions::end(&s.app.provider, &sessions[0].id)
        .await
        .unwrap();

    let why = "a code of the ended session is void";
    s.assert_grant_ended(&granted, (&code.0, &code.1), why)
        .await;
}

#[both_backends]
async fn refreshing_does_not_extend_a_grant_past_its_absolute_lifetime(backend: Backend) {
    let s = Scene::new(backend).await;
    let app = &s.app;
    app.user(ANN).await;
    let granted = s.tokens(ANN, OFFLINE).await;
    let day = time::Duration::days(1);
    let mut refresh = text(&granted, "refresh_token");
    // Each refresh inside the 30-day refresh token lifetime, up to day 87 of the grant.
    for _ in 0..3 {
        app.clock.advance(day * 29);
        let refreshed = app.refresh("webapp", &s.secret, &refresh, None).await;
        assert_eq!(refreshed.status(), 200);
        refresh = text(&refreshed.json().await.unwrap(), "refresh_token");
    }
    // The grant is 90 days old at day 90, however recently it was refreshed.
    app.clock.advance(day * 4);
    assert!(!s.active(&refresh).await);
    assert_eq!(s.refresh_error(&s.secret, &refresh).await, "invalid_grant");
}
