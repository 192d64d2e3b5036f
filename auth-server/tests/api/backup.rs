//! Backup and restore, as `docs/operations.md` tells an operator to do them: a copy of the
//! database taken while the server serves and writes (`auth-server backup` on SQLite, `pg_dump`
//! on PostgreSQL), restored into a new database under a new server process with the same
//! key-encryption key, which then logs the user in through the hosted login page and honours
//! the tokens issued before the backup.

use crate::support::{
    Backend, Pkce, REDIRECT_URI, ServerProcess, TestApp, TestDb, both_backends, browser,
    cli_command, query_of, spawn_app, verify_with_jwks,
};
use auth_core::clients::{self, AuthMethod, ClientId, GrantType, NewClient};
use auth_testkit::Fetch as _;
use auth_testkit::sign_in::{authorize_url, log_in, redirect_of};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const EMAIL: &str = "kept@example.com";

/// Clients the writer registers before the backup starts, so it runs amid writes.
const WRITES_BEFORE: usize = 20;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a program to completion off the runtime's threads (the server under test shares them).
async fn output_of(mut command: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("run the program"))
        .await
        .unwrap()
}

fn program(name: &str, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(name);
    command.args(args);
    command
}

/// Registers clients `writer-0`, `writer-1`, ... one after another until stopped, and gets a
/// client-credentials token over HTTP between registrations; counts the registrations done.
struct Writer {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    fn start(app: &TestApp, service_secret: String) -> Self {
        let (stop, done) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        let provider = app.provider.clone();
        let (http, token_url) = (app.http.clone(), app.url("/token"));
        let task = tokio::spawn({
            let (stop, done) = (stop.clone(), done.clone());
            async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let mut new = NewClient::new(
                        format!("Writer {n}"),
                        AuthMethod::ClientSecretBasic,
                        vec![GrantType::ClientCredentials],
                    );
                    new.id = Some(ClientId::parse(&format!("writer-{n}")).unwrap());
                    clients::register(&provider, new).await.unwrap();
                    n += 1;
                    done.store(n, Ordering::SeqCst);
                    let response = http
                        .post(&token_url)
                        .basic_auth("service", Some(&service_secret))
                        .form(&[("grant_type", "client_credentials")])
                        .fetch()
                        .await;
                    assert_eq!(
                        response.status(),
                        200,
                        "the server failed during the backup"
                    );
                }
            }
        });
        Self { stop, done, task }
    }

    fn done(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
    }
}

/// Copies `app`'s database while it runs; returns the restored database's URL (and, on
/// PostgreSQL, the database, dropped when the test ends).
async fn back_up_and_restore(
    app: &TestApp,
    backend: Backend,
    dir: &Path,
) -> (String, Option<TestDb>) {
    match backend {
        Backend::Sqlite => {
            let backup = dir.join("auth-backup.db");
            let backup_arg = backup.display().to_string();
            let made = output_of({
                let mut c = cli_command(&app.db.url, &app.kek);
                c.args(["backup", "--to", &backup_arg]);
                c
            })
            .await;
            assert!(made.status.success(), "{}", stderr(&made));
            let printed = String::from_utf8_lossy(&made.stdout).into_owned();
            assert!(printed.contains("integrity check ok"), "{printed}");
            assert!(
                printed.contains("never store it next to this backup"),
                "{printed}"
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
                assert_eq!(mode & 0o077, 0, "the backup is readable by its owner only");
            }

            // A second backup to the same file is refused and leaves the first intact.
            let first = std::fs::read(&backup).unwrap();
            let again = output_of({
                let mut c = cli_command(&app.db.url, &app.kek);
                c.args(["backup", "--to", &backup_arg]);
                c
            })
            .await;
            assert!(!again.status.success());
            assert!(
                stderr(&again).contains("already exists"),
                "{}",
                stderr(&again)
            );
            assert_eq!(std::fs::read(&backup).unwrap(), first);

            // Restoring is putting the file where the new server's database_url points.
            let restored: PathBuf = dir.join("restored").join("auth.db");
            std::fs::create_dir_all(restored.parent().unwrap()).unwrap();
            std::fs::copy(&backup, &restored).unwrap();
            (format!("sqlite://{}", restored.display()), None)
        }
        Backend::Postgres => {
            // The command names the tool for PostgreSQL instead of copying.
            let refused = output_of({
                let mut c = cli_command(&app.db.url, &app.kek);
                c.args(["backup", "--to", &dir.join("x.db").display().to_string()]);
                c
            })
            .await;
            assert!(!refused.status.success());
            assert!(
                stderr(&refused).contains("pg_dump --format=custom"),
                "{}",
                stderr(&refused)
            );

            let dump = dir.join("auth.dump").display().to_string();
            let dumped = output_of(program(
                "pg_dump",
                &["--format=custom", "--file", &dump, &app.db.url],
            ))
            .await;
            assert!(dumped.status.success(), "pg_dump: {}", stderr(&dumped));
            let restored = TestDb::create(Backend::Postgres).await;
            let loaded = output_of(program(
                "pg_restore",
                &[
                    "--no-owner",
                    "--exit-on-error",
                    "--dbname",
                    &restored.url,
                    &dump,
                ],
            ))
            .await;
            assert!(loaded.status.success(), "pg_restore: {}", stderr(&loaded));
            (restored.url.clone(), Some(restored))
        }
    }
}

/// The browser side of the code flow at `server` for the user, through the hosted login form
/// (with its CSRF token); the consent given before the backup is remembered. Returns the token
/// response.
async fn log_in_at(server: &ServerProcess, client: &str, secret: &str) -> Value {
    let http = browser();
    let pkce = Pkce::new();
    let authorize = authorize_url(&server.url("/authorize"), client, &pkce, &[]).unwrap();
    let login = redirect_of(http.get(&authorize).fetch().await, &server.base_url).await;
    assert!(
        login.contains("/login?"),
        "the restored server asks to log in: {login}"
    );
    let callback = log_in(&http, &server.base_url, &login, EMAIL).await;
    assert!(
        callback.starts_with(REDIRECT_URI),
        "the consent given before the backup is remembered: {callback}"
    );
    let code = query_of(&callback)["code"].clone();
    let response = http
        .post(server.url("/token"))
        .basic_auth(client, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", pkce.verifier.as_str()),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[both_backends]
async fn a_backup_taken_while_the_server_writes_restores_into_a_server_that_logs_in(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let issuer = app.base_url.clone();
    app.user(EMAIL).await;
    let web_secret = app.code_client("webapp").await;
    let service_secret = app.confidential_client("service", "").await;
    // A flow before the backup: tokens, and the consent the server remembers.
    let before = app.tokens_for("webapp", &web_secret, EMAIL).await;
    let access_before = before["access_token"].as_str().unwrap().to_owned();
    let refresh_before = before["refresh_token"].as_str().unwrap().to_owned();

    let writer = Writer::start(&app, service_secret);
    while writer.done() < WRITES_BEFORE {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let registered_before = writer.done();
    let (restored_url, _restored_db) = back_up_and_restore(&app, backend, dir.path()).await;
    let registered_after = writer.done();
    writer.stop().await;
    assert!(
        registered_after > registered_before,
        "the writes went on while the backup ran ({registered_before} before, {registered_after} after)"
    );

    // The same KEK, the same issuer; a new process on the restored database.
    let mail = dir.path().join("mail").display().to_string();
    let mut command = cli_command(&restored_url, &app.kek);
    command
        .env("AUTH_ISSUER", &issuer)
        .env("AUTH_MAIL__FOLDER", &mail);
    let restored = ServerProcess::start(command);
    let http = reqwest::Client::new();

    // A token issued before the backup verifies against the restored server's JWKS, and
    // is still active there.
    verify_with_jwks(&restored.base_url, &http, &access_before, &issuer, &issuer)
        .await
        .expect("the pre-backup token verifies against the restored keys");
    let introspected: Value = http
        .post(restored.url("/introspect"))
        .basic_auth("webapp", Some(&web_secret))
        .form(&[("token", access_before.as_str())])
        .fetch_json()
        .await;
    assert_eq!(introspected["active"], true, "{introspected}");

    // The user logs in on the hosted page; the new tokens are signed with the same key.
    let after = log_in_at(&restored, "webapp", &web_secret).await;
    let access_after = after["access_token"].as_str().unwrap();
    let (_, claims) = verify_with_jwks(&restored.base_url, &http, access_after, &issuer, &issuer)
        .await
        .unwrap();
    assert_eq!(claims["sub"], introspected["sub"]);
    assert_eq!(kid_of(access_after), kid_of(&access_before));

    // The refresh token issued before the backup rotates at the restored server.
    let rotated = http
        .post(restored.url("/token"))
        .basic_auth("webapp", Some(&web_secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_before.as_str()),
        ])
        .fetch()
        .await;
    assert_eq!(rotated.status(), 200);

    // The copy is one moment of the database: every registration acknowledged before the
    // backup began, then an unbroken run of those made while it ran, none half there.
    let listed = output_of({
        let mut c = cli_command(&restored_url, &app.kek);
        c.args(["client", "list", "--json"])
            .env("AUTH_MAIL__FOLDER", &mail);
        c
    })
    .await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let listed: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let writers: BTreeSet<usize> = listed
        .iter()
        .filter_map(|c| {
            c["client_id"]
                .as_str()?
                .strip_prefix("writer-")?
                .parse()
                .ok()
        })
        .collect();
    let kept = writers.len();
    assert!(
        (registered_before..=registered_after + 1).contains(&kept),
        "{kept} registrations restored; {registered_before} were acknowledged before the backup, {registered_after} after it"
    );
    assert_eq!(
        writers,
        (0..kept).collect(),
        "the restored registrations are a prefix"
    );
    for id in ["webapp", "service"] {
        assert!(
            listed.iter().any(|c| c["client_id"] == id),
            "{id} is restored"
        );
    }
}
