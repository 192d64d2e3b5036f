//! The admin console (issue 24) over HTTP: who gets in (an administrator signed in with a
//! second factor), what each area needs, the user search and its paging, the actions with
//! their CSRF token, re-authentication and audit entries, and the audit log's filters.

use crate::support::{Backend, PASSWORD, REDIRECT_URI, TestApp, both_backends, browser, spawn_app};
use auth_core::store::AuditFilter;
use auth_core::users::User;
use auth_testkit::Fetch as _;
use reqwest::Method;

async fn session_of(app: &TestApp, user: &User, amr: &[&str]) -> reqwest::Client {
    app.session_browser(user, amr).await
}

async fn user_with_role(app: &TestApp, email: &str, name: &str, permissions: &[&str]) -> User {
    app.user_with_role(email, name, permissions).await
}

/// The audit entries of `event`, newest first.
async fn audited(app: &TestApp, event: &str) -> Vec<auth_core::store::AuditEvent> {
    app.provider
        .store()
        .audit_events(&AuditFilter {
            event: Some(event.into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap()
}

/// An administrator signed in with a second factor.
async fn admin(app: &TestApp) -> (User, reqwest::Client) {
    let user = user_with_role(app, "root@example.com", "admin", &["admin"]).await;
    let b = session_of(app, &user, &["pwd", "otp", "mfa"]).await;
    (user, b)
}

async fn get(app: &TestApp, b: &reqwest::Client, path: &str) -> (u16, String) {
    answer(b.get(app.url(path)).fetch().await).await
}

async fn post(
    app: &TestApp,
    b: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    answer(b.post(app.url(path)).form(form).fetch().await).await
}

/// Posts `fields` to `path` with the CSRF token `csrf`, as a console form does.
async fn post_form(
    app: &TestApp,
    b: &reqwest::Client,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut form = vec![("csrf_token", csrf)];
    form.extend_from_slice(fields);
    post(app, b, path, &form).await
}

/// The status of a console answer, and where it redirects (a 303) or its page (otherwise).
async fn answer(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    (status, if status == 303 { location } else { body })
}

/// Whether the stored account of `user` is active.
async fn account_active(app: &TestApp, user: &User) -> bool {
    let stored = app.provider.store().user(&user.id).await.unwrap();
    stored
        .unwrap_or_else(|| panic!("no user {}", user.id))
        .is_active()
}

/// Ian, who manages clients (`clients:manage`, without `admin`), signed in with a second
/// factor, and the console's client list he sees.
async fn client_manager(app: &TestApp) -> (Operator<'_>, String) {
    let manager = user_with_role(app, "ian@example.com", "integrations", &["clients:manage"]).await;
    let b = session_of(app, &manager, &["pwd", "otp", "mfa"]).await;
    let (page, csrf) = app.form_page(&b, &app.url("/admin/console/clients")).await;
    (Operator { app, b, csrf }, page)
}

/// An operator's browser with the CSRF token of the console's forms.
struct Operator<'a> {
    app: &'a TestApp,
    b: reqwest::Client,
    csrf: String,
}

impl Operator<'_> {
    async fn get(&self, path: &str) -> (u16, String) {
        get(self.app, &self.b, path).await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        post_form(self.app, &self.b, &self.csrf, path, fields).await
    }

    /// Asserts that the client `id` is shown read-only, and that changing it (with `fields`),
    /// a new secret and deleting it are refused, showing no secret.
    async fn assert_read_only(&self, id: &str, fields: &[(&str, &str)]) {
        let path = format!("/admin/console/clients/{id}");
        let (status, page) = self.get(&path).await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"read-only\""), "{id}: {page}");
        for action in ["", "/secret", "/delete"] {
            let (status, page) = self.post(&format!("{path}{action}"), fields).await;
            assert_eq!(status, 403, "{path}{action}");
            assert!(!page.contains("Client secret:"), "{page}");
        }
    }
}

fn user_path(user: &User) -> String {
    format!("/admin/console/users/{}", user.id.as_str())
}

#[both_backends]
async fn only_administrators_signed_in_with_a_second_factor_get_in(backend: Backend) {
    let app = spawn_app(backend).await;
    // Nobody signed in: to the login page.
    let (status, location) = get(&app, &browser(), "/admin").await;
    assert_eq!((status, location.as_str()), (303, "/login"));

    // A user while no administrator exists: how to make the first one.
    let ann = app.user("ann@example.com").await;
    let ann_browser = session_of(&app, &ann, &["pwd", "otp", "mfa"]).await;
    let (status, page) = get(&app, &ann_browser, "/admin").await;
    assert_eq!(status, 403);
    assert!(page.contains("auth-server role create admin"), "{page}");

    // Once one exists, another user is told they are no administrator.
    let (root, root_browser) = admin(&app).await;
    let (status, page) = get(&app, &ann_browser, "/admin").await;
    assert_eq!(status, 403);
    assert!(page.contains("no administrator role"), "{page}");
    for path in [
        "/admin/console/users",
        "/admin/console/audit",
        &user_path(&root),
    ] {
        let (status, _) = get(&app, &ann_browser, path).await;
        assert_eq!(status, 403, "{path}");
    }

    // The administrator with the password alone: a second step is needed.
    let password_only = session_of(&app, &root, &["pwd"]).await;
    let (status, page) = get(&app, &password_only, "/admin").await;
    assert_eq!(status, 403);
    assert!(page.contains("second step"), "{page}");

    // With it: in, and an admin token instead of a session is no way in.
    let (status, page) = get(&app, &root_browser, "/admin").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("href=\"/admin/console/users\""), "{page}");
    let secret = app
        .client_with(
            "ops",
            "admin",
            auth_core::clients::AuthMethod::ClientSecretBasic,
            &[auth_core::clients::GrantType::ClientCredentials],
            &[],
        )
        .await
        .unwrap();
    let answer = app
        .client_credentials_token("ops", &secret, Some("admin"))
        .await;
    let token = answer["access_token"].as_str().unwrap().to_owned();
    let response = app
        .bearer_request(Method::GET, "/admin/console/users", &token)
        .fetch()
        .await;
    assert_eq!(response.status(), 303, "a token is not a console session");
}

#[both_backends]
async fn each_area_needs_its_own_permission(backend: Backend) {
    let app = spawn_app(backend).await;
    admin(&app).await;
    let support = user_with_role(&app, "sue@example.com", "support", &["users:manage"]).await;
    let auditor = user_with_role(&app, "al@example.com", "auditor", &["audit:read"]).await;
    let sue = session_of(&app, &support, &["pwd", "otp", "mfa"]).await;
    let al = session_of(&app, &auditor, &["pwd", "otp", "mfa"]).await;

    let (status, home) = get(&app, &sue, "/admin").await;
    assert_eq!(status, 200);
    assert!(home.contains("/admin/console/users") && !home.contains("/admin/console/audit"));
    assert_eq!(get(&app, &sue, "/admin/console/users").await.0, 200);
    let (status, page) = get(&app, &sue, "/admin/console/audit").await;
    assert_eq!(status, 403);
    assert!(page.contains("audit:read"), "{page}");

    // The support operator cannot grant what they do not hold, themselves included.
    let (html, csrf) = app.form_page(&sue, &app.url(&user_path(&auditor))).await;
    assert!(
        !html.contains("<option value=\"admin\">"),
        "admin is not offered"
    );
    for (who, role) in [
        (&support, "admin"),
        (&auditor, "admin"),
        (&support, "auditor"),
    ] {
        let (status, _) = post_form(
            &app,
            &sue,
            &csrf,
            &format!("{}/roles/grant", user_path(who)),
            &[("role", role)],
        )
        .await;
        assert_eq!(status, 403, "{role}");
    }
    assert!(
        !app.provider
            .store()
            .user_grants(&support.id)
            .await
            .unwrap()
            .has_role("admin")
    );
    // Nor act on an account that holds more than they do, nor drop their own role.
    let root = app.stored_user("root@example.com").await;
    for action in ["disable", "delete", "sign-out", "second-factor/reset"] {
        let (status, _) = post_form(
            &app,
            &sue,
            &csrf,
            &format!("{}/{action}", user_path(&root)),
            &[("current_password", PASSWORD)],
        )
        .await;
        assert_eq!(status, 403, "{action} on an administrator");
    }
    assert!(account_active(&app, &root).await);
    let (status, _) = post_form(
        &app,
        &sue,
        &csrf,
        &format!("{}/roles/revoke", user_path(&support)),
        &[("role", "support")],
    )
    .await;
    assert_eq!(status, 409, "not their own role");
    assert_eq!(get(&app, &al, "/admin/console/audit").await.0, 200);
    assert_eq!(get(&app, &al, "/admin/console/users").await.0, 403);
    // Nor can the auditor act on a user.
    let (_, csrf) = app.form_page(&al, &app.url("/account")).await;
    let (status, _) = post_form(
        &app,
        &al,
        &csrf,
        &format!("{}/disable", user_path(&support)),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    assert!(account_active(&app, &support).await);
}

#[both_backends]
async fn users_are_found_by_the_start_of_their_address_or_name_page_by_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, b) = admin(&app).await;
    for i in 0..120 {
        let user = app.user(&format!("player{i:03}@club.example")).await;
        let mut profile = user.profile.clone();
        profile.name = format!("Zed Player {i:03}");
        app.provider
            .store()
            .update_profile(&user.id, &profile, 0)
            .await
            .unwrap();
    }
    app.user("coach@club.example").await;

    // By address, 50 a page, in order, nothing twice, nothing left out.
    let mut seen = Vec::new();
    let mut path = "/admin/console/users?q=PLAYER&by=email".to_owned();
    // At most a few pages: a cursor that does not move fails the comparison below.
    for _ in 0..5 {
        let (status, page) = get(&app, &b, &path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page.match_indices("@club.example</a>")
                .map(|(at, _)| page[..at].rsplit('>').next().unwrap().to_owned()),
        );
        match page
            .split("id=\"next-page\"")
            .next()
            .and_then(|p| p.rsplit("href=\"").next())
        {
            Some(href) if page.contains("id=\"next-page\"") => {
                path = href
                    .split('"')
                    .next()
                    .unwrap()
                    .replace("&#38;", "&")
                    .replace("&amp;", "&");
            }
            _ => break,
        }
    }
    let expected: Vec<String> = (0..120).map(|i| format!("player{i:03}")).collect();
    assert_eq!(seen, expected);

    // By name, case-insensitive.
    let (_, page) = get(&app, &b, "/admin/console/users?q=zed+player+11&by=name").await;
    assert_eq!(page.matches("@club.example</a>").count(), 10, "{page}");
    let (_, page) = get(&app, &b, "/admin/console/users?q=nobody&by=email").await;
    assert!(page.contains("id=\"no-users\""));
}

#[both_backends]
async fn actions_need_the_csrf_token_are_audited_and_deleting_needs_reauthentication(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (root, b) = admin(&app).await;
    let ann = app.user("ann@example.com").await;
    let page = user_path(&ann);
    let (html, csrf) = app.form_page(&b, &app.url(&page)).await;
    assert!(html.contains("ann@example.com"));

    // Without the CSRF token nothing happens.
    let (status, _) = post(&app, &b, &format!("{page}/disable"), &[]).await;
    assert_eq!(status, 403);
    assert!(account_active(&app, &ann).await);

    let (status, location) = post_form(&app, &b, &csrf, &format!("{page}/disable"), &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("{page}?notice=disabled").as_str())
    );
    assert!(!account_active(&app, &ann).await);
    let events = audited(&app, "user_disabled").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some(root.id.as_str()));
    assert_eq!(events[0].user_id.as_deref(), Some(ann.id.as_str()));

    let (status, _) = post_form(
        &app,
        &b,
        &csrf,
        &format!("{page}/roles/grant"),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        app.provider
            .store()
            .user_grants(&ann.id)
            .await
            .unwrap()
            .has_role("admin")
    );

    // Resetting the second factor ends the account's sessions (started with it).
    let cat = app.user("cat@example.com").await;
    let cat_browser = session_of(&app, &cat, &["pwd", "otp", "mfa"]).await;
    assert_eq!(get(&app, &cat_browser, "/account").await.0, 200);
    let (status, _) = post_form(
        &app,
        &b,
        &csrf,
        &format!("{}/second-factor/reset", user_path(&cat)),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        get(&app, &cat_browser, "/account").await.0,
        303,
        "signed out"
    );

    // The administrator cannot lock themselves out.
    for action in ["disable", "delete", "sign-out"] {
        let (status, _) = post_form(
            &app,
            &b,
            &csrf,
            &format!("{}/{action}", user_path(&root)),
            &[("current_password", PASSWORD)],
        )
        .await;
        assert_eq!(status, 409, "{action}");
    }
    let (status, _) = post_form(
        &app,
        &b,
        &csrf,
        &format!("{}/roles/revoke", user_path(&root)),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(status, 409);

    // Deleting: ten minutes after signing in, only with the password.
    app.clock.advance(time::Duration::minutes(10));
    let (status, html) = post_form(&app, &b, &csrf, &format!("{page}/delete"), &[]).await;
    assert_eq!(status, 403);
    assert!(html.contains("Enter your password"), "{html}");
    assert!(html.contains("The account is not deleted."), "{html}");
    let (status, _) = post_form(
        &app,
        &b,
        &csrf,
        &format!("{page}/delete"),
        &[("current_password", "wrong password here")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(app.provider.store().user(&ann.id).await.unwrap().is_some());
    let (status, location) = post_form(
        &app,
        &b,
        &csrf,
        &format!("{page}/delete"),
        &[("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/console/users?deleted=1")
    );
    assert!(app.provider.store().user(&ann.id).await.unwrap().is_none());
    assert_eq!(get(&app, &b, &page).await.0, 404);
}

#[both_backends]
async fn the_audit_log_is_filtered_by_event_user_outcome_and_day(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, b) = admin(&app).await;
    let ann = app.user("ann@example.com").await;
    let login = browser();
    app.login(&login, "ann@example.com", "not the password")
        .await;
    app.login(&login, "ann@example.com", PASSWORD).await;

    // A wrong password is recorded without the account (no user id), the sign-in with it.
    let (status, page) = get(&app, &b, "/admin/console/audit?event=login&outcome=failure").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.matches("<td>failure</td>").count(), 1, "{page}");
    assert_eq!(page.matches("<td>success</td>").count(), 0, "{page}");
    let (_, page) = get(
        &app,
        &b,
        &format!("/admin/console/audit?event=login&user={}", ann.id.as_str()),
    )
    .await;
    assert_eq!(page.matches("<td>success</td>").count(), 1, "{page}");
    assert_eq!(page.matches("<td>failure</td>").count(), 0, "{page}");
    let today = {
        use auth_core::clock::Clock as _;
        app.clock.now().date().to_string()
    };
    let (_, page) = get(
        &app,
        &b,
        &format!("/admin/console/audit?event=login&since={today}&until={today}"),
    )
    .await;
    assert_eq!(page.matches("<td>login</td>").count(), 2, "{page}");
    let (_, page) = get(
        &app,
        &b,
        "/admin/console/audit?event=login&since=2001-01-01&until=2001-01-02",
    )
    .await;
    assert!(page.contains("id=\"no-events\""), "{page}");
    let (status, page) = get(&app, &b, "/admin/console/audit?since=yesterday").await;
    assert_eq!(status, 422);
    assert!(page.contains("not a date"), "{page}");
}

#[both_backends]
async fn a_key_rotation_needs_the_permission_and_reauthentication(backend: Backend) {
    let app = spawn_app(backend).await;
    let (root, b) = admin(&app).await;
    let support = user_with_role(&app, "sue@example.com", "support", &["users:manage"]).await;
    let sue = session_of(&app, &support, &["pwd", "otp", "mfa"]).await;
    assert_eq!(get(&app, &sue, "/admin/console/keys").await.0, 403);
    let keys = || async { app.provider.keys().ring().keys().len() };
    let before = keys().await;

    let (page, csrf) = app.form_page(&b, &app.url("/admin/console/keys")).await;
    assert_eq!(
        page.matches("<td class=\"state\">active</td>").count(),
        1,
        "{page}"
    );
    let (status, _) = post_form(&app, &sue, &csrf, "/admin/console/keys/rotate", &[]).await;
    assert_eq!(status, 403, "not with users:manage");
    app.clock.advance(time::Duration::minutes(10));
    let (status, page) = post_form(&app, &b, &csrf, "/admin/console/keys/rotate", &[]).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("No key is added."), "{page}");
    assert_eq!(keys().await, before);

    let (status, location) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/keys/rotate",
        &[("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/console/keys?notice=rotated")
    );
    assert_eq!(keys().await, before + 1);
    let (_, page) = get(&app, &b, "/admin/console/keys?notice=rotated").await;
    assert!(page.contains("<td class=\"state\">next</td>"), "{page}");
    let events = audited(&app, "key_rotated").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some(root.id.as_str()));
}

#[both_backends]
async fn roles_are_created_and_changed_within_what_the_operator_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    let (root, b) = admin(&app).await;
    let keeper = user_with_role(
        &app,
        "kay@example.com",
        "keeper",
        &["roles:manage", "events:write"],
    )
    .await;
    let kay = session_of(&app, &keeper, &["pwd", "otp", "mfa"]).await;
    let support = user_with_role(&app, "sue@example.com", "support", &["users:manage"]).await;
    let sue = session_of(&app, &support, &["pwd", "otp", "mfa"]).await;
    assert_eq!(get(&app, &sue, "/admin/console/roles").await.0, 403);

    let (page, csrf) = app.form_page(&kay, &app.url("/admin/console/roles")).await;
    assert!(page.contains("id=\"role-admin\""), "{page}");
    assert!(
        !page.contains("id=\"permissions-admin\""),
        "admin is not changeable by kay"
    );
    let role_of = |name: &str| {
        let name = name.to_owned();
        let app = &app;
        async move {
            app.provider
                .store()
                .roles()
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.name.as_str() == name)
        }
    };
    // Within what Kay holds: fine.
    let (status, location) = post_form(
        &app,
        &kay,
        &csrf,
        "/admin/console/roles",
        &[
            ("name", "editor"),
            ("description", "Writes events"),
            ("permissions", "events:write"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/console/roles?notice=created")
    );
    assert_eq!(role_of("editor").await.unwrap().permissions.len(), 1);
    // Beyond it: refused, nothing changes.
    for (path, fields) in [
        (
            "/admin/console/roles",
            vec![("name", "boss"), ("permissions", "admin")],
        ),
        (
            "/admin/console/roles",
            vec![("name", "boss"), ("permissions", "keys:manage")],
        ),
        (
            "/admin/console/roles/editor/permissions",
            vec![("permissions", "events:write admin")],
        ),
        (
            "/admin/console/roles/admin/permissions",
            vec![("permissions", "")],
        ),
    ] {
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(fields);
        let (status, _) = post(&app, &kay, path, &form).await;
        assert_eq!(status, 403, "{path} {form:?}");
    }
    assert!(role_of("boss").await.is_none());
    assert_eq!(role_of("admin").await.unwrap().permissions.len(), 1);
    // A malformed name and a taken one.
    let (status, _) = post_form(
        &app,
        &kay,
        &csrf,
        "/admin/console/roles",
        &[("name", "Not Valid")],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = post_form(
        &app,
        &kay,
        &csrf,
        "/admin/console/roles",
        &[("name", "editor")],
    )
    .await;
    assert_eq!(status, 409);
    // The full administrator may change any role; audited with the actor.
    let (_, csrf) = app.form_page(&b, &app.url("/admin/console/roles")).await;
    let (status, _) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/roles/editor/permissions",
        &[("permissions", "events:write, audit:read")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(role_of("editor").await.unwrap().permissions.len(), 2);
    let events = audited(&app, "role_permissions_set").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some(root.id.as_str()));
}

#[both_backends]
async fn the_outboxes_show_what_waits_and_retry_it_now(backend: Backend) {
    // No SMTP server listens: the mail stays in the outbox.
    let port = crate::support::SmtpSink::reserve_port();
    let app = crate::support::spawn_app_with(backend, |c| crate::support::smtp_to(c, port)).await;
    let (root, b) = admin(&app).await;
    let support = user_with_role(&app, "sue@example.com", "support", &["users:manage"]).await;
    let sue = session_of(&app, &support, &["pwd", "otp", "mfa"]).await;
    assert_eq!(get(&app, &sue, "/admin/console/outboxes").await.0, 403);

    let (_, page) = get(&app, &b, "/admin/console/outboxes").await;
    assert!(page.contains("id=\"no-mail\""), "{page}");
    let (_, csrf) = app.form_page(&b, &app.url("/account")).await;
    // An unconfirmed account and a new link for it: one sealed message waits.
    let newcomer = app.unverified_user("new@example.com").await;
    auth_core::admin::resend_verification(&app.provider, root.id.as_str(), &newcomer.id)
        .await
        .unwrap();
    let (_, page) = get(&app, &b, "/admin/console/outboxes").await;
    assert!(
        page.contains("<table class=\"list\" id=\"mail\">"),
        "{page}"
    );
    assert!(
        !page.contains("new@example.com"),
        "sealed: no recipient shows"
    );
    let id = page
        .split("name=\"id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    let (status, location) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/outboxes/retry",
        &[("outbox", "mail"), ("id", &id)],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/console/outboxes?notice=retried")
    );
    let (status, _) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/outboxes/retry",
        &[("outbox", "mail"), ("id", "no-such-message")],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/outboxes/retry",
        &[("outbox", "pigeons"), ("id", &id)],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = post_form(
        &app,
        &sue,
        &csrf,
        "/admin/console/outboxes/retry",
        &[("outbox", "mail"), ("id", &id)],
    )
    .await;
    assert_eq!(status, 403);
    let events = audited(&app, "outbox_retried").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some(root.id.as_str()));
}

/// The secret a client page shows once.
fn shown_secret(page: &str) -> String {
    let start = page
        .find("Client secret: <code>")
        .expect("a secret on the page")
        + 21;
    let end = start + page[start..].find("</code>").unwrap();
    page[start..end].to_owned()
}

#[both_backends]
async fn clients_are_created_changed_rotated_and_deleted_with_what_must_stop_stopping(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (root, b) = admin(&app).await;
    app.user("ann@example.com").await;
    let (_, csrf) = app.form_page(&b, &app.url("/admin/console/clients")).await;
    let shop = [
        ("csrf_token", csrf.as_str()),
        ("client_id", "shop"),
        ("client_name", "Shop"),
        ("token_endpoint_auth_method", "client_secret_basic"),
        ("grant_authorization_code", "yes"),
        ("grant_refresh_token", "yes"),
        ("scope", "openid profile email offline_access"),
        ("redirect_uris", REDIRECT_URI),
    ];

    // Without the CSRF token nothing is created.
    let (status, _) = post(&app, &b, "/admin/console/clients", &shop[1..]).await;
    assert_eq!(status, 403);
    let id = auth_core::clients::ClientId::parse("shop").unwrap();
    assert!(app.provider.store().client(&id).await.unwrap().is_none());

    // A bad redirect URI: refused with the reason, the form keeps what was typed.
    let mut bad = shop.to_vec();
    bad.push(("redirect_uris", "not a uri"));
    bad.retain(|(k, v)| *k != "redirect_uris" || *v == "not a uri");
    let (status, page) = post(&app, &b, "/admin/console/clients", &bad).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"error\""), "{page}");
    assert!(page.contains("value=\"Shop\""), "{page}");
    assert!(app.provider.store().client(&id).await.unwrap().is_none());

    // Created: the secret is on this answer and nowhere after.
    let (status, page) = post(&app, &b, "/admin/console/clients", &shop).await;
    assert_eq!(status, 201, "{page}");
    let secret = shown_secret(&page);
    assert!(secret.len() > 30, "{secret}");
    let (status, page) = get(&app, &b, "/admin/console/clients/shop").await;
    assert_eq!(status, 200);
    assert!(!page.contains(&secret));
    let (status, _) = post(&app, &b, "/admin/console/clients", &shop).await;
    assert_eq!(status, 409, "the id is taken");
    let created = audited(&app, "client_created").await;
    assert_eq!(created[0].actor.as_deref(), Some(root.id.as_str()));
    assert_eq!(created[0].client_id.as_deref(), Some("shop"));

    // The secret works; then the redirect URI and the refresh grant are taken away: a code
    // issued for the old URI and the refresh token stop working.
    let tokens = app.tokens_for("shop", &secret, "ann@example.com").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (code, pkce) = app.code_for("shop", "ann@example.com").await;
    let (status, location) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/clients/shop",
        &[
            ("client_name", "Shop (new site)"),
            ("grant_authorization_code", "yes"),
            ("scope", "openid profile"),
            ("redirect_uris", "https://shop.example/callback"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/console/clients/shop?notice=updated")
    );
    let stored = app.provider.store().client(&id).await.unwrap().unwrap();
    assert_eq!(stored.name, "Shop (new site)");
    assert_eq!(
        stored.redirect_uris[0].as_str(),
        "https://shop.example/callback"
    );
    let response = app.exchange("shop", &secret, &code, &pkce.verifier).await;
    assert_eq!(response.status(), 400, "a code for a removed redirect URI");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let response = app.refresh("shop", &secret, &refresh_token, None).await;
    assert_eq!(response.status(), 400, "the refresh grant is gone");
    assert_eq!(audited(&app, "client_updated").await.len(), 1);

    // A change the rules refuse keeps the client as it was.
    let (status, page) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/clients/shop",
        &[("client_name", "Shop"), ("grant_authorization_code", "yes")],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("at least one redirect URI"), "{page}");
    let unchanged = app.provider.store().client(&id).await.unwrap().unwrap();
    assert_eq!(unchanged.name, "Shop (new site)");

    // Rotating and deleting: ten minutes after signing in, only with the password.
    app.clock.advance(time::Duration::minutes(10));
    for (path, unchanged) in [
        (
            "/admin/console/clients/shop/secret",
            "The secret is not changed.",
        ),
        (
            "/admin/console/clients/shop/delete",
            "The client is not deleted.",
        ),
    ] {
        let (status, page) = post_form(&app, &b, &csrf, path, &[]).await;
        assert_eq!(status, 403, "{path}");
        assert!(page.contains(unchanged), "{page}");
        let (status, _) = post_form(
            &app,
            &b,
            &csrf,
            path,
            &[("current_password", "wrong password here")],
        )
        .await;
        assert_eq!(status, 403, "{path}");
    }
    let still = app.provider.store().client(&id).await.unwrap().unwrap();
    assert_eq!(still.secret_hash, unchanged.secret_hash);
    let (status, page) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/clients/shop/secret",
        &[("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let rotated = shown_secret(&page);
    assert_ne!(rotated, secret);
    let answer = app
        .http
        .post(app.url("/introspect"))
        .basic_auth("shop", Some(&secret))
        .form(&[("token", "x")])
        .fetch()
        .await;
    assert_eq!(answer.status(), 401, "the old secret no longer works");
    assert_eq!(audited(&app, "client_secret_rotated").await.len(), 1);

    let (status, location) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/clients/shop/delete",
        &[("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/console/clients?notice=deleted")
    );
    assert!(app.provider.store().client(&id).await.unwrap().is_none());
    assert_eq!(get(&app, &b, "/admin/console/clients/shop").await.0, 404);
    let deleted = audited(&app, "client_deleted").await;
    assert_eq!(deleted[0].actor.as_deref(), Some(root.id.as_str()));
}

#[both_backends]
async fn a_client_manager_without_admin_cannot_reach_a_privileged_client(backend: Backend) {
    let app = spawn_app(backend).await;
    admin(&app).await;
    let ops_secret = app.confidential_client("ops", "admin").await;
    app.confidential_client("reader", "users:read").await;
    app.confidential_client("orders", "orders:read").await;
    let (ian, page) = client_manager(&app).await;
    assert!(
        page.contains("href=\"/admin/console/clients/ops\""),
        "{page}"
    );
    assert_eq!(ian.get("/admin/console/users").await.0, 403);

    // Seeing is allowed; changing, a new secret and deleting are not.
    let change = [
        ("current_password", PASSWORD),
        ("client_name", "Mine now"),
        ("grant_client_credentials", "yes"),
        ("scope", "orders:read"),
    ];
    for privileged in ["ops", "reader"] {
        ian.assert_read_only(privileged, &change).await;
    }
    let ops = auth_core::clients::ClientId::parse("ops").unwrap();
    assert!(app.provider.store().client(&ops).await.unwrap().is_some());
    app.client_credentials_token("ops", &ops_secret, Some("admin"))
        .await;

    // Nor is a client of their own given `admin` or a service scope, new or changed.
    for scope in ["admin", "openid users:read", "metrics"] {
        let (status, _) = ian
            .post(
                "/admin/console/clients",
                &[
                    ("client_id", "backdoor"),
                    ("client_name", "Backdoor"),
                    ("token_endpoint_auth_method", "client_secret_basic"),
                    ("grant_client_credentials", "yes"),
                    ("scope", scope),
                ],
            )
            .await;
        assert_eq!(status, 403, "{scope}");
    }
    let (status, _) = ian
        .post(
            "/admin/console/clients/orders",
            &[
                ("client_name", "Orders"),
                ("grant_client_credentials", "yes"),
                ("scope", "orders:read admin"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let orders = auth_core::clients::ClientId::parse("orders").unwrap();
    let stored = app.provider.store().client(&orders).await.unwrap().unwrap();
    assert_eq!(stored.scope.to_string(), "orders:read");

    // Their own kind of client is theirs to manage.
    let (status, page) = ian
        .post(
            "/admin/console/clients/orders/secret",
            &[("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let secret = shown_secret(&page);
    app.client_credentials_token("orders", &secret, Some("orders:read"))
        .await;
}

/// A code-flow request without `redirect_uri` (allowed without `openid` when the client has
/// one), as `authorize_url` would make it otherwise.
fn request_without_redirect_uri(app: &TestApp, client: &str, pkce: &auth_testkit::Pkce) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client)
        .append_pair("scope", "profile")
        .append_pair("state", "s")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    url.into()
}

#[both_backends]
async fn a_redirect_uri_taken_away_receives_nothing_more(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, b) = admin(&app).await;
    app.user("ann@example.com").await;
    let secret = app.code_client("shop").await;
    let (_, csrf) = app
        .form_page(&b, &app.url("/admin/console/clients/shop"))
        .await;

    // A code issued for the only URI, the request naming none (RFC 6749 section 3.1.2.3).
    let pkce = auth_testkit::Pkce::new();
    let callback = app
        .authorize_as(
            &browser(),
            &request_without_redirect_uri(&app, "shop", &pkce),
            "ann@example.com",
        )
        .await;
    let code = auth_testkit::query_of(&callback)["code"].clone();
    // A second request waits at the login page.
    let waiting = browser();
    let pkce_2 = auth_testkit::Pkce::new();
    let login = app
        .follow(&waiting, &app.authorize_url("shop", &pkce_2, &[]))
        .await;
    assert!(login.contains("/login?"), "{login}");

    let (status, _) = post_form(
        &app,
        &b,
        &csrf,
        "/admin/console/clients/shop",
        &[
            ("client_name", "Shop"),
            ("grant_authorization_code", "yes"),
            ("scope", "openid profile"),
            ("redirect_uris", "https://shop.example/callback"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let response = app
        .exchange_with("shop", &secret, &code, &pkce.verifier, None)
        .await;
    assert_eq!(response.status(), 400, "the unused code went with the URI");
    // The waiting sign-in ends on a page of this server: nothing goes to the old URI.
    let response = app
        .log_in(&waiting, &login, "ann@example.com", PASSWORD)
        .await;
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(!location.starts_with(REDIRECT_URI), "{location}");
    if response.status() == 303 {
        let next = waiting.get(app.url(&location)).fetch().await;
        let next_location = next
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(!next_location.starts_with(REDIRECT_URI), "{next_location}");
        assert_eq!(next.status(), 400);
    }
    let changed = audited(&app, "client_updated").await;
    assert!(
        changed[0].details.contains("scope redirect_uris"),
        "{}",
        changed[0].details
    );
}

#[both_backends]
async fn a_refresh_grant_taken_away_and_given_back_revives_no_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, b) = admin(&app).await;
    app.user("ann@example.com").await;
    let secret = app.code_client("shop").await;
    let tokens = app.tokens_for("shop", &secret, "ann@example.com").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (_, csrf) = app
        .form_page(&b, &app.url("/admin/console/clients/shop"))
        .await;
    let settings = |refresh: bool| {
        let mut form = vec![
            ("csrf_token", csrf.clone()),
            ("client_name", "Shop".to_owned()),
            ("grant_authorization_code", "yes".to_owned()),
            ("scope", "openid profile email offline_access".to_owned()),
            ("redirect_uris", REDIRECT_URI.to_owned()),
        ];
        if refresh {
            form.push(("grant_refresh_token", "yes".to_owned()));
        }
        form
    };
    for refresh in [false, true] {
        let form = settings(refresh);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _) = post(&app, &b, "/admin/console/clients/shop", &form).await;
        assert_eq!(status, 303);
    }
    let response = app.refresh("shop", &secret, &refresh_token, None).await;
    assert_eq!(response.status(), 400, "revoked when the grant was taken");
    assert!(
        !app.is_active("shop", &secret, tokens["access_token"].as_str().unwrap())
            .await
    );
}

#[both_backends]
async fn a_self_registered_client_stays_within_what_registration_gives(backend: Backend) {
    let app = auth_testkit::spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open
    })
    .await;
    let (_, b) = admin(&app).await;
    let registered: serde_json::Value = app
        .http
        .post(app.url("/register"))
        .json(&serde_json::json!({
            "client_name": "Dyn App",
            "redirect_uris": ["https://dyn.example/cb"],
            "grant_types": ["authorization_code"],
            "scope": "openid profile",
        }))
        .fetch_json()
        .await;
    let id = registered["client_id"].as_str().unwrap().to_owned();
    let path = format!("/admin/console/clients/{id}");
    let (page, csrf) = app.form_page(&b, &app.url(&path)).await;
    assert!(page.contains("dynamic registration"), "{page}");
    let base = [
        ("csrf_token", csrf.as_str()),
        ("client_name", "Dyn App"),
        ("grant_authorization_code", "yes"),
        ("redirect_uris", "https://dyn.example/cb"),
    ];
    for (extra, why) in [
        (("trusted", "yes"), "first-party"),
        (("grant_client_credentials", "yes"), "grant types"),
        (("scope", "openid profile email"), "scopes"),
    ] {
        let mut form = base.to_vec();
        form.push(extra);
        if extra.0 != "scope" {
            form.push(("scope", "openid profile"));
        }
        let (status, page) = post(&app, &b, &path, &form).await;
        assert_eq!(status, 422, "{why}: {page}");
    }
    let client_id = auth_core::clients::ClientId::parse(&id).unwrap();
    let stored = app
        .provider
        .store()
        .client(&client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.trusted);
    assert!(!stored.may_use(auth_core::clients::GrantType::ClientCredentials));
    // Narrower is allowed.
    let mut form = base.to_vec();
    form.push(("scope", "openid"));
    let (status, _) = post(&app, &b, &path, &form).await;
    assert_eq!(status, 303);
}

#[both_backends]
async fn a_client_manager_neither_makes_nor_touches_first_party_or_exchanging_clients(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    admin(&app).await;
    app.code_client("portal").await;
    let portal = auth_core::clients::ClientId::parse("portal").unwrap();
    let mut trusted = app
        .provider
        .store()
        .client(&portal)
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    trusted.trusted = true;
    app.provider.store().update_client(&trusted).await.unwrap();
    app.confidential_client("exch", "openid").await;
    let exch = auth_core::clients::ClientId::parse("exch").unwrap();
    auth_core::clients::set_token_exchange(
        &app.provider,
        &exch,
        vec!["https://svc.example".into()],
    )
    .await
    .unwrap();
    let (ian, _) = client_manager(&app).await;
    let change = [
        ("current_password", PASSWORD),
        ("client_name", "Mine"),
        ("grant_authorization_code", "yes"),
        ("scope", "openid"),
        ("redirect_uris", "https://ian.example/cb"),
    ];
    for id in ["portal", "exch"] {
        ian.assert_read_only(id, &change).await;
    }
    let (status, _) = ian
        .post(
            "/admin/console/clients",
            &[
                ("client_id", "silent"),
                ("client_name", "Silent"),
                ("token_endpoint_auth_method", "client_secret_basic"),
                ("grant_authorization_code", "yes"),
                ("scope", "openid profile"),
                ("redirect_uris", "https://ian.example/cb"),
                ("trusted", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 403, "a first-party client needs admin");
    let silent = auth_core::clients::ClientId::parse("silent").unwrap();
    assert!(
        app.provider
            .store()
            .client(&silent)
            .await
            .unwrap()
            .is_none()
    );
}
