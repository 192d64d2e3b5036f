//! Smaller findings of the attack on the landed server: reset links, content types, file modes,
//! key reloads, e-mail change notices (issue 19).

use crate::support::{
    Backend, PASSWORD, both_backends, browser, spawn_app_with, spawn_app_with_mail,
};
use auth_core::clock::Clock;
use auth_testkit::Fetch as _;
use serde_json::{Value, json};

/// Asks for a reset link through the API and waits for the `n`th reset mail to `to`.
async fn reset_link(
    app: &crate::support::TestApp,
    mail: &crate::support::SmtpSink,
    to: &str,
    n: usize,
) -> String {
    let asked = app
        .http
        .post(app.url("/api/account/password/forgot"))
        .json(&json!({"email": to}))
        .fetch()
        .await;
    assert_eq!(asked.status(), 202);
    for _ in 0..150 {
        let links: Vec<String> = mail
            .received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == to) && m.subject.contains("Reset your"))
            .map(|m| m.link(&app.url("/reset-password?token=")))
            .collect();
        if links.len() >= n {
            return links[n - 1].split("token=").nth(1).unwrap().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no reset mail number {n} to {to}");
}

async fn reset(app: &crate::support::TestApp, token: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/account/password/reset"))
        .json(&json!({"token": token, "password": password}))
        .fetch()
        .await
}

#[both_backends]
async fn a_reset_voids_every_older_reset_link(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let older = reset_link(&app, &mail, "ann@example.com", 1).await;
    let newer = reset_link(&app, &mail, "ann@example.com", 2).await;
    assert_eq!(
        reset(&app, &newer, "a brand new password").await.status(),
        204
    );
    let replay = reset(&app, &older, "the attacker's password").await;
    assert_eq!(
        replay.status(),
        400,
        "an older link must not undo the reset"
    );
    assert_eq!(
        app.login(&browser(), "ann@example.com", "a brand new password")
            .await
            .status(),
        303
    );
}

#[both_backends]
async fn a_password_change_voids_reset_links_still_out(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let link = reset_link(&app, &mail, "ann@example.com", 1).await;
    let b = app.signed_in_browser("ann@example.com").await;
    let changed = app
        .on_account(
            &b,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303, "{}", changed.text().await.unwrap());
    assert_eq!(
        reset(&app, &link, "the attacker's password").await.status(),
        400
    );
}

#[both_backends]
async fn a_reset_link_is_bound_to_the_address_it_was_sent_to(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let user = app.user("ann@example.com").await;
    let link = reset_link(&app, &mail, "ann@example.com", 1).await;
    let new = auth_core::users::Email::parse("ann@new.example.com").unwrap();
    app.provider
        .store()
        .set_email(&user.id, &new, app.clock.unix())
        .await
        .unwrap();
    assert_eq!(
        reset(&app, &link, "a brand new password").await.status(),
        400,
        "a link mailed to the old address is void"
    );
}

#[both_backends]
async fn changing_the_address_tells_the_old_one(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let b = app.signed_in_browser("ann@example.com").await;
    let changed = app
        .change_email(&b, &mail, "ann@example.com", "ann@new.example.com")
        .await;
    assert_eq!(changed.headers()["location"], "/account?notice=email");
    let notice = mail
        .wait_for("ann@example.com", "e-mail address was changed")
        .await;
    assert!(notice.text.contains("was not you"), "{}", notice.text);
    assert!(
        !notice.text.contains("ann@new.example.com"),
        "the notice does not hand the new address to whoever reads the old inbox"
    );
}

#[both_backends]
async fn a_sign_up_under_someone_elses_address_is_not_confirmed_by_a_mail_scanner(
    backend: Backend,
) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let squatted = app
        .http
        .post(app.url("/api/account/register"))
        .json(&json!({"email": "victim@example.com", "password": "the attacker's password"}))
        .fetch()
        .await;
    assert_eq!(squatted.status(), 202);
    let link = mail
        .wait_for("victim@example.com", "Confirm your e-mail address")
        .await
        .link(&app.url("/verify-email?token="));
    // A scanner or link preview opens the link; nobody presses the button.
    let opened = browser().get(&link).fetch().await;
    assert_eq!(opened.status(), 200);
    let user = app.stored_user("victim@example.com").await;
    assert!(!user.email_verified, "opening the link confirms nothing");
    let login = app
        .login(&browser(), "victim@example.com", "the attacker's password")
        .await;
    assert_ne!(
        login.status(),
        303,
        "an unconfirmed account signs nobody in"
    );
}

#[both_backends]
async fn json_under_any_media_type_is_scanned_for_nul_and_registration_reads_only_json(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open
    })
    .await;
    let register = |media_type: &str, body: &'static str| {
        app.http
            .post(app.url("/register"))
            .header("content-type", media_type)
            .body(body)
            .fetch()
    };
    let body = r#"{"redirect_uris":["https://app.example/cb"],"client_name":"evil\u0000name"}"#;
    for media_type in ["application/jsonx", "text/plain", "application/json"] {
        let response = register(media_type, body).await;
        assert_eq!(response.status(), 400, "{media_type}");
    }
    let clean = r#"{"redirect_uris":["https://app.example/cb"],"client_name":"fine"}"#;
    let jsonx = register("application/jsonx", clean).await;
    assert_eq!(
        jsonx.status(),
        400,
        "only application/json is client metadata"
    );
    let error: Value = jsonx.json().await.unwrap();
    assert_eq!(error["error"], "invalid_client_metadata");
    let json = register("application/json; charset=utf-8", clean).await;
    assert_eq!(json.status(), 201);
    let names: Vec<String> = app
        .provider
        .store()
        .clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(names.iter().all(|n| !n.contains('\0')), "{names:?}");
}

#[both_backends]
async fn concurrent_requests_with_an_unknown_key_id_reload_the_keys_once(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let keys = app.provider.keys();
    let floor = std::time::Duration::from_millis(50);
    // The replica's periodic refresh may have just read the keys, so a round can find the
    // ring fresh and read nothing; a round that reads must read once.
    let mut rounds_that_read = 0;
    for _ in 0..5 {
        tokio::time::sleep(floor * 2).await;
        let before = keys.reloads();
        let floods = (0..64).map(|_| keys.refresh_for_unknown_kid(floor));
        for result in futures::future::join_all(floods).await {
            result.unwrap();
        }
        let reads = keys.reloads() - before;
        assert!(
            reads <= 1,
            "{reads} reloads: one reload serves every request that found the ring stale"
        );
        rounds_that_read += reads;
    }
    assert!(rounds_that_read > 0, "a stale ring is reloaded");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_and_mail_files_are_for_the_servers_user_only() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    app.user("ann@example.com").await;
    let asked = app
        .http
        .post(app.url("/api/account/password/forgot"))
        .json(&json!({"email": "ann@example.com"}))
        .fetch()
        .await;
    assert_eq!(asked.status(), 202);
    let folder = app.config_mail_folder.clone();
    let mut mails = Vec::new();
    for _ in 0..150 {
        mails = std::fs::read_dir(&folder)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!mails.is_empty(), "the reset mail is written");
    assert_eq!(mode(&folder), 0o700, "mail folder");
    for mail in &mails {
        assert_eq!(mode(mail), 0o600, "{}", mail.display());
    }
    let db = folder.parent().unwrap().join("auth.db");
    for file in [db.clone(), db.with_extension("db-wal")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[cfg(unix)]
#[test]
fn the_binary_writes_private_files_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    // The defaults: `./data/auth.db` and a generated `./data/kek.key`.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_auth-server"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir.path())
        .args(["client", "create", "--name", "Svc", "--id", "svc"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    auth_testkit::accounts::assert_success(&output);
    let data = dir.path().join("data");
    assert_eq!(mode(&data), 0o700, "data folder");
    let files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("auth.db"))
            && files.iter().any(|f| f.ends_with("kek.key")),
        "{files:?}"
    );
    for path in files {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}
