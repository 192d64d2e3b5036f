//! Test support: a fresh database per test (an SQLite file, or a PostgreSQL database on the
//! machine's server), the server spawned in-process on a random port, and a real HTTP client.

use auth_core::Provider;
use auth_core::clients::{self, AuthMethod, GrantType, NewClient, RedirectUri};
use auth_core::clock::ManualClock;
use auth_core::kek::KeyEncryptionKey;
use auth_core::scope::Scope;
use auth_server::config::Config;
use auth_server::state::AppState;
use sqlx::Connection;
use std::process::Stdio;
use std::sync::Arc;
use tempfile::TempDir;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once against SQLite and once against PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident: $ty:ty) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($backend: $ty) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::helpers::postgres_skipped() {
                        return;
                    }
                    run($crate::helpers::Backend::Postgres).await
                }
            }
        )+
    };
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("AUTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// PostgreSQL tests are skipped only when explicitly asked (never in CI).
pub fn postgres_skipped() -> bool {
    let skipped = std::env::var("AUTH_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    if skipped {
        eprintln!("AUTH_TEST_SKIP_POSTGRES=1: skipping the PostgreSQL variant");
    }
    skipped
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: TempDir,
}

impl TestDb {
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("auth.db").display()),
                pg_name: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!(
                    "auth_test_{}_{}",
                    std::process::id(),
                    uuid::Uuid::new_v4().simple()
                );
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for this test at {admin} ({e}); start it or set \
                         AUTH_TEST_POSTGRES_URL (AUTH_TEST_SKIP_POSTGRES=1 skips, never in CI)"
                    )
                });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("admin URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    pg_name: Some(name),
                    _dir: dir,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = postgres_admin_url();
        // Drop runs inside the test's runtime; the database is dropped on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// A running server.
pub struct TestApp {
    pub base_url: String,
    pub http: reqwest::Client,
    pub provider: Provider,
    pub clock: Arc<ManualClock>,
    pub kek: String,
    pub config_mail_folder: std::path::PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    pub db: TestDb,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Registers a confidential client for client_credentials with `scope`; returns its secret.
    pub async fn confidential_client(&self, id: &str, scope: &str) -> String {
        self.client_with(
            id,
            scope,
            AuthMethod::ClientSecretBasic,
            &[GrantType::ClientCredentials],
            &[],
        )
        .await
        .expect("confidential client has a secret")
    }

    pub async fn client_with(
        &self,
        id: &str,
        scope: &str,
        auth_method: AuthMethod,
        grants: &[GrantType],
        redirect_uris: &[&str],
    ) -> Option<String> {
        let mut new = NewClient::new(format!("Client {id}"), auth_method, grants.to_vec());
        new.id = Some(auth_core::clients::ClientId::parse(id).unwrap());
        new.scope = if scope.is_empty() {
            Scope::empty()
        } else {
            Scope::parse(scope).unwrap()
        };
        new.redirect_uris = redirect_uris
            .iter()
            .map(|u| RedirectUri::parse(u).unwrap())
            .collect();
        let (_, secret) = clients::register(&self.provider, new).await.unwrap();
        secret.map(|s| s.expose().to_owned())
    }

    /// Gets a client-credentials token over HTTP.
    pub async fn client_credentials_token(
        &self,
        id: &str,
        secret: &str,
        scope: Option<&str>,
    ) -> serde_json::Value {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let response = self
            .http
            .post(self.url("/token"))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "token request failed");
        response.json().await.unwrap()
    }

    /// Runs the `auth-server` binary against this app's database and KEK.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        cli_command(&self.db.url, &self.kek)
            .args(args)
            .output()
            .expect("run auth-server")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The `auth-server` binary with a database and KEK set through the environment.
pub fn cli_command(database_url: &str, kek: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_auth-server"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTH_DATABASE_URL", database_url)
        .env("AUTH_KEYS__ENCRYPTION_KEY", kek)
        .stdin(Stdio::null());
    command
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Spawns the server on a fresh database, with `configure` applied to the configuration.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDb::create(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (_, kek) = KeyEncryptionKey::generate().unwrap();
    let mut config = Config {
        bind: address.to_string(),
        database_url: db.url.clone().into(),
        ..Config::default()
    };
    config.keys.encryption_key = Some(kek.clone().into());
    config.keys.refresh_interval_secs = 1;
    config.mail.folder = db._dir.path().join("mail");
    config.mail.poll_interval_secs = 1;
    configure(&mut config);
    let settings = config.validate().expect("valid test configuration");
    let clock = Arc::new(ManualClock::starting_now());
    let provider = auth_server::startup::open_provider(&config, &settings, clock.clone())
        .await
        .expect("open provider");
    let state = AppState::new(provider.clone(), &settings).expect("application state");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = auth_server::serve(listener, state, async move {
            let _ = rx.await;
        })
        .await;
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base_url: format!("http://{address}"),
        http,
        provider,
        clock,
        kek,
        config_mail_folder: config.mail.folder.clone(),
        shutdown: Some(tx),
        server: Some(server),
        db,
    }
}

/// Verifies a JWT with the server's published JWKS through `jsonwebtoken` (a library this
/// project did not write), checking issuer and audience; returns header and claims.
pub async fn verify_with_jwks(
    app_base: &str,
    http: &reqwest::Client,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<(jsonwebtoken::Header, serde_json::Value), jsonwebtoken::errors::Error> {
    let jwks: jsonwebtoken::jwk::JwkSet = http
        .get(format!("{app_base}/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token)?;
    let kid = header.kid.clone().expect("kid in header");
    let jwk = jwks.find(&kid).ok_or_else(|| {
        jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)
    })?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk)?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)?;
    Ok((data.header, data.claims))
}

/// An `auth-server serve` process on a random port, logging JSON to a buffer.
pub struct ServerProcess {
    child: std::process::Child,
    pub base_url: String,
    output: Arc<std::sync::Mutex<String>>,
}

impl ServerProcess {
    /// Starts `command` (from [`cli_command`]) with `serve`, waits until it listens.
    pub fn start(mut command: std::process::Command) -> Self {
        use std::io::BufRead;
        command
            .arg("serve")
            .env("AUTH_BIND", "127.0.0.1:0")
            .env("AUTH_LOG__FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn auth-server");
        let output = Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                {
                    if line.contains("auth-server is listening") {
                        let _ = tx.send(line.clone());
                    }
                    output.lock().unwrap().push_str(&line);
                    output.lock().unwrap().push('\n');
                }
            });
        }
        let line = match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("auth-server did not start:\n{}", output.lock().unwrap());
            }
        };
        let event: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
        let address = event["address"]
            .as_str()
            .expect("address in the log")
            .to_owned();
        Self {
            child,
            base_url: format!("http://{address}"),
            output,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        use base64::Engine;
        let verifier = format!(
            "verifier-{}-{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
        Self {
            verifier,
            challenge,
        }
    }
}

/// The value of the form field `name` in an HTML page.
pub fn form_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(
        html[start..start + end]
            .replace("&#x2f;", "/")
            .replace("&#x3d;", "="),
    )
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
pub const PASSWORD: &str = "correct horse battery";

/// A browser: cookies kept, redirects not followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// A user with [`PASSWORD`].
    pub async fn user(&self, email: &str) -> auth_core::users::User {
        use auth_core::users::{Email, NewUser, Origin, Profile, password::Password};
        let new = NewUser {
            email: Email::parse(email).unwrap(),
            password: Password::new(PASSWORD),
            profile: Profile {
                name: "Test User".into(),
                ..Profile::default()
            },
            roles: vec![],
            email_verified: true,
        };
        auth_core::users::register(&self.provider, new, Origin::Admin)
            .await
            .unwrap()
    }

    /// A confidential code-flow client `webapp` redirecting to [`REDIRECT_URI`]; returns its secret.
    pub async fn code_client(&self, id: &str) -> String {
        self.client_with(
            id,
            "openid profile email offline_access permissions",
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode, GrantType::RefreshToken],
            &[REDIRECT_URI],
        )
        .await
        .unwrap()
    }

    /// The `/authorize` URL for `client` with `pkce` and extra parameters.
    pub fn authorize_url(&self, client: &str, pkce: &Pkce, extra: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&self.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", "openid profile email offline_access")
            .append_pair("state", "state-123")
            .append_pair("nonce", "nonce-456")
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        for (k, v) in extra {
            url.query_pairs_mut().append_pair(k, v);
        }
        url.into()
    }

    /// GETs `url` and returns the `Location` it redirects to (panics if it does not redirect).
    pub async fn follow(&self, browser: &reqwest::Client, url: &str) -> String {
        let response = browser.get(url).send().await.unwrap();
        assert_eq!(response.status(), 303, "expected a redirect from {url}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        if location.starts_with('/') {
            self.url(&location)
        } else {
            location
        }
    }

    /// Logs in on the login page at `login_url`; returns where the login redirects.
    pub async fn log_in(
        &self,
        browser: &reqwest::Client,
        login_url: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = browser
            .get(login_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = form_field(&page, "csrf_token").expect("csrf token on the login page");
        let mut form = vec![
            ("csrf_token", csrf),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ];
        if let Some(request) = form_field(&page, "request") {
            form.push(("request", request));
        }
        browser
            .post(self.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Runs the whole browser side of the code flow for a user: authorize, log in, consent.
    /// Returns the callback URL the client receives.
    pub async fn authorize_as(
        &self,
        browser: &reqwest::Client,
        authorize_url: &str,
        email: &str,
    ) -> String {
        let mut location = self.follow(browser, authorize_url).await;
        if location.contains("/login?") {
            let response = self.log_in(browser, &location, email, PASSWORD).await;
            assert_eq!(response.status(), 303, "login failed");
            let next = response.headers()["location"].to_str().unwrap().to_owned();
            location = self.follow(browser, &self.url(&next)).await;
        }
        if location.contains("/consent?") {
            let page = browser
                .get(&location)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let form = [
                ("csrf_token", form_field(&page, "csrf_token").unwrap()),
                ("request", form_field(&page, "request").unwrap()),
                ("decision", "allow".to_owned()),
            ];
            let response = browser
                .post(self.url("/consent"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 303);
            location = response.headers()["location"].to_str().unwrap().to_owned();
        }
        assert!(
            location.starts_with(REDIRECT_URI),
            "expected the callback, got {location}"
        );
        location
    }

    /// Exchanges a code at the token endpoint.
    pub async fn exchange(
        &self,
        client: &str,
        secret: &str,
        code: &str,
        verifier: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url("/token"))
            .basic_auth(client, Some(secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Refreshes at the token endpoint.
    pub async fn refresh(
        &self,
        client: &str,
        secret: &str,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.http
            .post(self.url("/token"))
            .basic_auth(client, Some(secret))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Whether `token` introspects as active (asked by `client`).
    pub async fn is_active(&self, client: &str, secret: &str, token: &str) -> bool {
        let body: serde_json::Value = self
            .http
            .post(self.url("/introspect"))
            .basic_auth(client, Some(secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["active"] == true
    }

    /// The complete flow: a user, a client, a browser, and the token response.
    pub async fn tokens_for(&self, client: &str, secret: &str, email: &str) -> serde_json::Value {
        let pkce = Pkce::new();
        let browser = browser();
        let callback = self
            .authorize_as(&browser, &self.authorize_url(client, &pkce, &[]), email)
            .await;
        let code = query_of(&callback)["code"].clone();
        let response = self.exchange(client, secret, &code, &pkce.verifier).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// A mail received by the test SMTP listener.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl ReceivedMail {
    /// The first link in the text body starting with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let start = self
            .text
            .find(prefix)
            .unwrap_or_else(|| panic!("no link {prefix} in:\n{}", self.text));
        self.text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// The six-digit code in the text body.
    pub fn code(&self) -> String {
        self.text
            .split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| panic!("no code in:\n{}", self.text))
            .to_owned()
    }
}

#[derive(Clone)]
struct SinkHandler {
    received: Arc<std::sync::Mutex<Vec<ReceivedMail>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl mailin_embedded::Handler for SinkHandler {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        let parsed = mailparse::parse_mail(&self.data).expect("a MIME message");
        let subject = parsed
            .headers
            .iter()
            .find(|h| h.get_key_ref().eq_ignore_ascii_case("subject"))
            .map(|h| h.get_value())
            .unwrap_or_default();
        let mut text = String::new();
        let mut html = String::new();
        for part in parsed.subparts.iter().chain(std::iter::once(&parsed)) {
            match part.ctype.mimetype.as_str() {
                "text/plain" => text = part.get_body().unwrap_or_default(),
                "text/html" => html = part.get_body().unwrap_or_default(),
                _ => {}
            }
        }
        self.received.lock().unwrap().push(ReceivedMail {
            to: self.to.clone(),
            subject,
            text,
            html,
        });
        mailin_embedded::response::OK
    }
}

/// A real SMTP server on 127.0.0.1, collecting what it receives.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<std::sync::Mutex<Vec<ReceivedMail>>>,
}

impl SmtpSink {
    /// A free port for a sink that starts later.
    pub fn reserve_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Starts listening on a free port.
    pub fn start() -> Self {
        Self::start_on(Self::reserve_port())
    }

    /// Starts listening on `port`.
    pub fn start_on(port: u16) -> Self {
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP port");
        let handler = SinkHandler {
            received: received.clone(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("sink.test")
            .with_num_threads(2)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, received }
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) for a mail to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str) -> ReceivedMail {
        for _ in 0..150 {
            if let Some(mail) = self.received().into_iter().rev().find(|m| {
                m.to.iter().any(|t| t.eq_ignore_ascii_case(to)) && m.subject.contains(subject)
            }) {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "no mail to {to} about `{subject}`; received: {:?}",
            self.received()
                .iter()
                .map(|m| (&m.to, &m.subject))
                .collect::<Vec<_>>()
        );
    }
}

/// Points the configuration's mail at an SMTP listener on `port`.
pub fn smtp_to(config: &mut Config, port: u16) {
    config.mail.transport = auth_server::config::mail::Transport::Smtp;
    config.mail.smtp_host = "127.0.0.1".into();
    config.mail.smtp_port = port;
    config.mail.smtp_security = auth_core::mail::transport::SmtpSecurity::None;
    config.mail.poll_interval_secs = 1;
    config.mail.from = "Test <no-reply@auth.test>".into();
}

/// A server whose mail goes to a fresh SMTP sink.
pub async fn spawn_app_with_mail(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(backend, move |c| {
        smtp_to(c, port);
        configure(c);
    })
    .await;
    (app, sink)
}

impl TestApp {
    /// Loads `page` (for its CSRF token) and posts `fields` to `action`, like a browser.
    /// The HTML of the page at `url` and the CSRF token of its form.
    pub async fn form_page(&self, browser: &reqwest::Client, url: &str) -> (String, String) {
        let html = browser.get(url).send().await.unwrap().text().await.unwrap();
        let csrf =
            form_field(&html, "csrf_token").unwrap_or_else(|| panic!("no form at {url}:\n{html}"));
        (html, csrf)
    }

    /// Opens a verification link in `browser` and presses its confirm button (the link alone
    /// confirms nothing).
    pub async fn confirm_email(&self, browser: &reqwest::Client, link: &str) -> reqwest::Response {
        let (page, csrf) = self.form_page(browser, link).await;
        let token = form_field(&page, "token").unwrap_or_default();
        browser
            .post(self.url("/verify-email"))
            .form(&[("csrf_token", csrf), ("token", token)])
            .send()
            .await
            .unwrap()
    }

    pub async fn submit(
        &self,
        browser: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (_, csrf) = self.form_page(browser, &self.url(page)).await;
        let mut form: Vec<(&str, String)> = vec![("csrf_token", csrf)];
        form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        browser
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

/// A page body without its per-browser CSRF token, to compare two answers.
pub fn without_csrf(html: &str) -> String {
    html.lines()
        .filter(|l| !l.contains("csrf_token"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl TestApp {
    /// Waits (up to 15 s) until `count` mails wait in the outbox; a reset link is queued by
    /// a background task after the answer.
    pub async fn wait_for_pending_mail(&self, count: i64) {
        for _ in 0..150 {
            if self.provider.store().pending_mail().await.unwrap() == count {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{count} mails never waited in the outbox");
    }

    /// (attempts, sealed message) of every queued mail, read straight from the table.
    pub async fn outbox(&self) -> Vec<(i64, Vec<u8>)> {
        let sql = "SELECT attempts, sealed_message FROM mail_outbox ORDER BY created_at";
        if self.db.url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.db.url).await.unwrap();
            let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        } else {
            let pool = sqlx::PgPool::connect(&self.db.url).await.unwrap();
            let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }
    }
}

/// The single integer an SQL query (usually a `COUNT(*)`) returns, read straight from the
/// database at `database_url` with a connection of its own.
pub async fn db_count(database_url: &str, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }
}
