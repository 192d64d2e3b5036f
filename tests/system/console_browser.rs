//! The admin console in real headless Chromium with JavaScript off (issue 24): an
//! administrator signs in with a password and an authenticator app, searches a user, grants
//! a role, disables the account, creates a client (its secret shown once), rotates its secret
//! and deletes it, and finds it all in the audit log; a user without an
//! administrator role, and the administrator without the second step, are refused.

use crate::browser::{chrome, click, expect, expect_url, fill, screenshot, sign_in, text_of};
use crate::support::{Backend, PASSWORD, TestApp, both_backends, spawn_app};
use auth_core::clock::Clock;
use auth_core::otp::totp::{self, code_for};
use auth_core::users::User;
use fantoccini::{Client, Locator};

/// Sets up an authenticator app for `user`; returns its secret.
async fn with_totp(app: &TestApp, user: &User) -> String {
    let enrolment = totp::begin(&app.provider, user).await.unwrap();
    let now = u64::try_from(app.clock.unix()).unwrap();
    let code = code_for(&enrolment.secret_base32, now).unwrap();
    totp::confirm(&app.provider, user, &code).await.unwrap();
    enrolment.secret_base32
}

/// Signs in on the login page in front of the browser, with the app's code as second step.
async fn sign_in_with_code(app: &TestApp, b: &Client, email: &str, secret: &str) {
    b.goto(&app.url("/login")).await.unwrap();
    sign_in(b, email, PASSWORD).await;
    expect(b, "#code", "the second step").await;
    // A step after the one the enrolment used (a code counts once).
    app.clock.advance(time::Duration::seconds(30));
    let now = u64::try_from(app.clock.unix()).unwrap();
    fill(b, "code", &code_for(secret, now).unwrap()).await;
    click(b, "button[type=submit]").await;
    expect(b, "#signed-in-as", "the account page").await;
}

#[both_backends]
async fn an_administrator_finds_a_user_grants_a_role_disables_and_audits(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app
        .user_with_role("root@example.com", "admin", &["admin"])
        .await;
    app.role("coach", &[]).await;
    let secret = with_totp(&app, &root).await;
    let ann = app.user("ann@example.com").await;
    app.user("bob@example.com").await;

    let chrome = chrome().await;
    let b = &chrome.client;
    sign_in_with_code(&app, b, "root@example.com", &secret).await;
    b.goto(&app.url("/admin")).await.unwrap();
    expect(b, "nav.console", "the console's home").await;
    screenshot(b, "console-home").await;
    click(b, "main ul.areas a[href='/admin/console/users']").await;
    expect(b, "#q", "the users page").await;
    fill(b, "q", "AN").await;
    click(b, "#search").await;
    // The page before lists every user: wait for the search's.
    expect_url(b, "q=AN", "the search result").await;
    expect(b, "table#users", "the search result").await;
    screenshot(b, "console-users").await;
    let rows = b
        .find_all(Locator::Css("table#users tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only ann@ starts with an");
    click(b, "table#users a").await;
    expect(b, "#grant", "ann's page").await;
    assert_eq!(text_of(b, "main h1").await, "ann@example.com");

    // Grant coach (the only role Ann lacks besides admin; choose it), then disable.
    b.find(Locator::Css("#grant-role option[value='coach']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(b, "#grant").await;
    expect_url(b, "notice=role-granted", "the granted notice").await;
    expect(b, "#notice", "the granted notice").await;
    assert_eq!(text_of(b, "#notice").await, "The role is granted.");
    assert!(text_of(b, "#roles").await.contains("coach"));
    click(b, "#disable").await;
    // The page before had a notice too (the grant's): wait for the disable's.
    expect_url(b, "notice=disabled", "the disabled notice").await;
    expect(b, "#notice", "the disabled notice").await;
    assert!(text_of(b, "#state").await.starts_with("disabled"));
    screenshot(b, "console-user").await;
    let stored = app.provider.store().user(&ann.id).await.unwrap().unwrap();
    assert!(!stored.is_active());

    // The signing keys, with the current one active.
    click(b, "nav.console a[href='/admin/console/keys']").await;
    expect(b, "table#keys", "the keys page").await;
    assert!(text_of(b, "table#keys").await.contains("active"));
    screenshot(b, "console-keys").await;

    // A role through the roles page, then the outboxes.
    click(b, "nav.console a[href='/admin/console/roles']").await;
    expect(b, "#create-role", "the roles page").await;
    fill(b, "name", "referee").await;
    fill(b, "description", "Runs matches").await;
    fill(b, "permissions", "matches:write").await;
    click(b, "#create-role").await;
    expect_url(b, "notice=created", "the created notice").await;
    expect(b, "#notice", "the created notice").await;
    assert!(text_of(b, "#role-referee").await.contains("Runs matches"));
    screenshot(b, "console-roles").await;
    click(b, "nav.console a[href='/admin/console/outboxes']").await;
    expect_url(b, "/admin/console/outboxes", "the outboxes page").await;
    expect(b, "main h1", "the outboxes page").await;
    assert_eq!(text_of(b, "main h1").await, "Outboxes");
    screenshot(b, "console-outboxes").await;

    // A client: created with its secret shown once, given a new one, deleted.
    click(b, "nav.console a[href='/admin/console/clients']").await;
    expect(b, "#create-client", "the clients page").await;
    fill(b, "client_id", "shop").await;
    fill(b, "client_name", "Shop").await;
    click(b, "#grant_authorization_code").await;
    click(b, "#grant_refresh_token").await;
    fill(b, "scope", "openid profile offline_access").await;
    fill(b, "redirect_uris", "https://shop.example/callback").await;
    screenshot(b, "console-clients").await;
    click(b, "#create-client").await;
    expect(b, "#secret", "the new client with its secret").await;
    let first = text_of(b, "#secret").await;
    assert!(first.starts_with("Client secret: "), "{first}");
    let shop = app
        .provider
        .store()
        .client(&auth_core::clients::ClientId::parse("shop").unwrap())
        .await
        .unwrap()
        .expect("the client is stored");
    assert_eq!(
        shop.redirect_uris[0].as_str(),
        "https://shop.example/callback"
    );
    b.goto(&app.url("/admin/console/clients/shop"))
        .await
        .unwrap();
    expect(b, "#rotate-secret", "the client's page").await;
    assert!(b.find(Locator::Css("#secret")).await.is_err(), "shown once");
    screenshot(b, "console-client").await;
    click(b, "#rotate-secret").await;
    expect_url(b, "/secret", "the new secret").await;
    expect(b, "#secret", "the new secret").await;
    assert_ne!(text_of(b, "#secret").await, first);
    click(b, "#delete").await;
    expect_url(b, "notice=deleted", "the deleted notice").await;
    expect(b, "#notice", "the deleted notice").await;
    let gone = b
        .find(Locator::Css("a[href='/admin/console/clients/shop']"))
        .await;
    assert!(gone.is_err(), "the deleted client is not listed");

    // The audit log shows who did it.
    b.goto(&app.url("/admin/console/audit")).await.unwrap();
    fill(b, "event", "user_disabled").await;
    click(b, "#filter").await;
    expect_url(b, "event=user_disabled", "the filtered audit log").await;
    expect(b, "table#events", "the filtered audit log").await;
    screenshot(b, "console-audit").await;
    let row = text_of(b, "table#events tbody tr").await;
    assert!(
        row.contains("user_disabled") && row.contains(root.id.as_str()),
        "{row}"
    );
    chrome.client.clone().close().await.unwrap();
}

#[both_backends]
async fn a_user_without_the_role_and_an_administrator_without_a_second_step_are_refused(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let root = app
        .user_with_role("root@example.com", "admin", &["admin"])
        .await;
    app.user("ann@example.com").await;

    let chrome = chrome().await;
    let b = &chrome.client;
    b.goto(&app.url("/login")).await.unwrap();
    sign_in(b, "ann@example.com", PASSWORD).await;
    expect(b, "#signed-in-as", "ann's account page").await;
    b.goto(&app.url("/admin/console/users")).await.unwrap();
    expect(b, "main h1", "the refusal").await;
    assert_eq!(text_of(b, "main h1").await, "Not an administrator");
    assert!(b.find(Locator::Css("table#users")).await.is_err());
    chrome.client.clone().close().await.unwrap();

    // An operator with users:manage only: the users pages, and no other part.
    let sue = app
        .user_with_role("sue@example.com", "support", &["users:manage"])
        .await;
    let secret = with_totp(&app, &sue).await;
    let chrome = crate::browser::chrome().await;
    let b = &chrome.client;
    sign_in_with_code(&app, b, "sue@example.com", &secret).await;
    b.goto(&app.url("/admin")).await.unwrap();
    expect(b, "nav.console", "sue's console").await;
    let nav = text_of(b, "nav.console").await;
    assert!(
        nav.contains("Users")
            && !nav.contains("Clients")
            && !nav.contains("Roles")
            && !nav.contains("Audit log"),
        "{nav}"
    );
    for path in [
        "/admin/console/clients",
        "/admin/console/clients/shop",
        "/admin/console/roles",
        "/admin/console/keys",
        "/admin/console/outboxes",
        "/admin/console/audit",
    ] {
        b.goto(&app.url(path)).await.unwrap();
        expect(b, "main h1", path).await;
        assert_eq!(text_of(b, "main h1").await, "Not allowed", "{path}");
    }
    // Acting on an administrator from their page is refused.
    b.goto(&app.url(&format!("/admin/console/users/{}", root.id.as_str())))
        .await
        .unwrap();
    expect(b, "#disable", "root's page").await;
    click(b, "#disable").await;
    expect_url(b, "/disable", "the refusal").await;
    expect(b, "#error", "the refusal").await;
    assert!(text_of(b, "#error").await.contains("only an administrator"));
    assert!(
        app.provider
            .store()
            .user(&root.id)
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );
    chrome.client.clone().close().await.unwrap();

    // The administrator without an authenticator app signs in with the password alone.
    let chrome = crate::browser::chrome().await;
    let b = &chrome.client;
    b.goto(&app.url("/login")).await.unwrap();
    sign_in(b, "root@example.com", PASSWORD).await;
    expect(b, "#signed-in-as", "root's account page").await;
    b.goto(&app.url("/admin")).await.unwrap();
    expect(b, "main h1", "the refusal").await;
    assert_eq!(text_of(b, "main h1").await, "Second step needed");
    chrome.client.clone().close().await.unwrap();
}
