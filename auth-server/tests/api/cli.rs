use crate::support::{Backend, TestDb, both_backends, cli_command, spawn_app};
use auth_testkit::Fetch as _;
use serde_json::Value;
use std::process::Output;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The binary with an empty environment and one working directory, for configuration tests.
fn bare_command(dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_auth-server"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir);
    command
}

#[both_backends]
async fn clients_are_created_listed_shown_and_deleted_from_the_cli(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app.cli(&[
        "client",
        "create",
        "--name",
        "Ticket service",
        "--id",
        "tickets",
        "--scope",
        "users:read tickets:write",
        "--json",
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(created["client_id"], "tickets");
    assert_eq!(
        created["grant_types"],
        serde_json::json!(["client_credentials"])
    );
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    // The secret works at once against the running server.
    app.client_credentials_token("tickets", &secret, Some("users:read"))
        .await;

    let shown = app.cli(&["client", "show", "tickets", "--json"]);
    assert!(shown.status.success());
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert!(
        shown.get("client_secret").is_none(),
        "the secret is shown only at creation"
    );
    assert_eq!(shown["scope"], "tickets:write users:read");

    let listed = app.cli(&["client", "list"]);
    assert!(
        stdout(&listed)
            .contains("tickets\tclient_secret_basic\tclient_credentials\tTicket service")
    );

    let duplicate = app.cli(&["client", "create", "--name", "Again", "--id", "tickets"]);
    assert!(!duplicate.status.success());
    assert!(stderr(&duplicate).contains("a client with id `tickets` already exists"));

    let deleted = app.cli(&["client", "delete", "tickets"]);
    assert!(deleted.status.success());
    let gone = app.cli(&["client", "show", "tickets"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(stderr(&gone).contains("no client is registered with id `tickets`"));
    // The server process keeps clients in memory for database.cache_secs (1 s by default):
    // a deletion by another process is seen within that time.
    let mut status = None;
    for _ in 0..30 {
        let response = app
            .http
            .post(app.url("/token"))
            .basic_auth("tickets", Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .fetch()
            .await;
        status = Some(response.status());
        if status == Some(reqwest::StatusCode::UNAUTHORIZED) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        Some(reqwest::StatusCode::UNAUTHORIZED),
        "the deleted client is refused"
    );
}

#[both_backends]
async fn token_exchange_is_given_and_taken_from_the_cli(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app.cli(&[
        "client",
        "create",
        "--name",
        "Events service",
        "--id",
        "events",
        "--scope",
        "profile",
        "--exchange-audience",
        "https://tickets.example.com",
        "--json",
    ]);
    assert!(created.status.success(), "{}", stderr(&created));
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(
        created["grant_types"],
        serde_json::json!([
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ])
    );
    assert_eq!(
        created["token_exchange"],
        serde_json::json!({"audiences": ["https://tickets.example.com"]})
    );

    let changed = app.cli(&[
        "client",
        "token-exchange",
        "events",
        "--audience",
        "https://payments.example.com",
        "--audience",
        "https://tickets.example.com",
        "--json",
    ]);
    assert!(changed.status.success(), "{}", stderr(&changed));
    let changed: Value = serde_json::from_slice(&changed.stdout).unwrap();
    assert_eq!(
        changed["token_exchange"]["audiences"],
        serde_json::json!([
            "https://payments.example.com",
            "https://tickets.example.com"
        ])
    );

    let removed = app.cli(&["client", "token-exchange", "events", "--json"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let removed: Value = serde_json::from_slice(&removed.stdout).unwrap();
    assert!(removed.get("token_exchange").is_none(), "{removed}");
    assert_eq!(
        removed["grant_types"],
        serde_json::json!(["client_credentials"])
    );

    let public = app.cli(&[
        "client",
        "create",
        "--name",
        "App",
        "--public",
        "--redirect-uri",
        "http://127.0.0.1:9/cb",
        "--exchange-audience",
        "https://tickets.example.com",
    ]);
    assert!(!public.status.success());
    assert!(
        stderr(&public).contains("public client"),
        "{}",
        stderr(&public)
    );
}

#[both_backends]
async fn invalid_client_metadata_is_refused_with_the_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases: [(&[&str], &str); 4] = [
        (
            &["--redirect-uri", "http://app.example.com/cb"],
            "only https",
        ),
        (
            &["--public", "--grant", "client_credentials"],
            "cannot use client_credentials",
        ),
        (&["--grant", "implicit"], "--grant `implicit` is not one of"),
        (&["--id", "has space"], "must be 1 to 128 characters"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["client", "create", "--name", "Bad"];
        args.extend_from_slice(extra);
        let output = app.cli(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(
        app.provider.store().clients().await.unwrap().is_empty(),
        "nothing half-created"
    );
}

#[both_backends]
async fn a_wrong_key_encryption_key_stops_start_up_with_a_clear_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, other) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    let output = cli_command(&app.db.url, &other)
        .args(["keys", "list"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("cannot load the signing keys"),
        "{message}"
    );
    assert!(
        message
            .contains("the configured key-encryption key is not the one the keys were stored with"),
        "{message}"
    );
    let malformed = cli_command(&app.db.url, "bm90IDMyIGJ5dGVz")
        .args(["keys", "list"])
        .output()
        .unwrap();
    assert!(stderr(&malformed).contains("keys.encryption_key is invalid"));
}

#[test]
fn bad_configuration_values_are_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "bind = \"not-an-address\"",
            "bind `not-an-address` is not an address:port",
        ),
        ("issuer = \"http://example.com\"", "must use https"),
        (
            "database_url = \"mysql://x\"",
            "database_url must start with",
        ),
        (
            "[tokens]\naccess_token_ttl_secs = 0",
            "tokens.access_token_ttl_secs must be between 1 and 86400",
        ),
        (
            "[keys]\nrsa_bits = 1000",
            "keys.rsa_bits must be 2048, 3072 or 4096",
        ),
        ("[tokens]\nlifetime = 5", "`tokens.lifetime`: unknown field"),
        ("bind = ", "invalid configuration"),
    ];
    for (toml, expected) in cases {
        let file = dir.path().join("auth.toml");
        std::fs::write(&file, toml).unwrap();
        let output = bare_command(dir.path())
            .args(["--config", file.to_str().unwrap(), "serve"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{toml}");
        let message = stderr(&output);
        assert!(message.starts_with("error: "), "{message}");
        assert!(message.contains(expected), "{toml}: {message}");
        assert!(!message.contains("panicked"));
    }
    let missing = bare_command(dir.path())
        .args(["--config", "nope.toml", "serve"])
        .output()
        .unwrap();
    assert!(stderr(&missing).contains("configuration file nope.toml does not exist"));
    let env = bare_command(dir.path())
        .env("AUTH_TOKENS__ACCESS_TOKEN_TTL_SECS", "soon")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(env.status.code(), Some(1));
    assert!(
        stderr(&env).contains("tokens.access_token_ttl_secs"),
        "{}",
        stderr(&env)
    );
}

#[test]
fn an_unreachable_database_is_reported_with_its_address_and_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let output = bare_command(dir.path())
        .env(
            "AUTH_DATABASE_URL",
            "postgres://app:hunter2@127.0.0.1:9/auth",
        )
        .env("AUTH_DATABASE__CONNECT_TIMEOUT_SECS", "2")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("cannot open the database at postgres://app:***@127.0.0.1:9/auth"),
        "{message}"
    );
    assert!(!message.contains("hunter2"));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[tokio::test]
async fn the_default_set_up_creates_its_database_and_key_and_reuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let first = bare_command(dir.path())
        .args(["keys", "list", "--json"])
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(dir.path().join("data/auth.db").exists());
    let kek_file = dir.path().join("data/kek.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&kek_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(stderr(&first).contains("generated a new key-encryption key"));
    let keys: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(keys[0]["state"], "active");

    let second = bare_command(dir.path())
        .args(["keys", "list", "--json"])
        .output()
        .unwrap();
    assert!(second.status.success());
    assert_eq!(
        serde_json::from_slice::<Value>(&second.stdout).unwrap(),
        keys
    );
    assert!(!stderr(&second).contains("generated"));

    std::fs::remove_file(&kek_file).unwrap();
    let lost = bare_command(dir.path())
        .args(["keys", "list"])
        .output()
        .unwrap();
    assert_eq!(lost.status.code(), Some(1));
    assert!(stderr(&lost).contains("the database holds signing keys but the key-encryption key file data/kek.key does not exist"));
}

#[both_backends]
async fn migrate_applies_the_schema_and_is_idempotent(backend: Backend) {
    let db = TestDb::create(backend).await;
    for _ in 0..2 {
        let output = cli_command(&db.url, "unused")
            .arg("migrate")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(stdout(&output).trim(), "migrations applied");
    }
}

#[tokio::test]
async fn seed_creates_demo_accounts_once_and_they_can_sign_in() {
    let db = TestDb::create(Backend::Sqlite).await;
    let (_, kek) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    let first = cli_command(&db.url, &kek).arg("seed").output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let printed = stdout(&first);
    let line = printed
        .lines()
        .find(|l| l.contains("coach@example.com"))
        .unwrap();
    let password = line
        .split("password ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(printed.contains("client  tickets-service  secret cs_"));
    let again = cli_command(&db.url, &kek).arg("seed").output().unwrap();
    assert!(stdout(&again).contains("coach@example.com      exists already"));
    assert!(!stdout(&again).contains("secret cs_"));

    let mut command = cli_command(&db.url, &kek);
    command.env("AUTH_MAIL__FOLDER", db_mail_folder());
    let server = crate::support::ServerProcess::start(command);
    let b = crate::support::browser();
    let page = b.get(server.url("/login")).fetch_text().await;
    let csrf = crate::support::form_field(&page, "csrf_token").unwrap();
    let login = b
        .post(server.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "coach@example.com"),
            ("password", password.as_str()),
        ])
        .fetch()
        .await;
    assert_eq!(login.status(), 303);
    let account = b.get(server.url("/account")).fetch_text().await;
    assert!(account.contains("coach") && account.contains("event-creator"));
}

fn db_mail_folder() -> String {
    tempfile::tempdir()
        .unwrap()
        .keep()
        .join("mail")
        .display()
        .to_string()
}
