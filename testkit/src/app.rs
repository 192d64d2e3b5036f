//! The server in-process: `auth_server::serve` on 127.0.0.1:0 over a fresh database, with the
//! provider, clock and key-encryption key a test needs to set things up and look inside.

use crate::Fetch as _;
use crate::db::{Backend, TestDb};
use crate::process::cli_command;
use crate::sign_in::{PASSWORD, REDIRECT_URI};
use auth_core::Provider;
use auth_core::clients::{self, AuthMethod, GrantType, NewClient, RedirectUri};
use auth_core::clock::ManualClock;
use auth_core::kek::KeyEncryptionKey;
use auth_core::scope::Scope;
use auth_server::config::Config;
use auth_server::state::AppState;
use std::sync::Arc;

/// A running server.
pub struct TestApp {
    pub base_url: String,
    pub http: reqwest::Client,
    pub provider: Provider,
    pub clock: Arc<ManualClock>,
    pub kek: String,
    /// The configuration the server was started with.
    pub config: Config,
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
            .fetch()
            .await;
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

    /// Another replica on the same database: its own provider, with its own in-memory copies,
    /// on this app's clock.
    pub async fn another_replica(&self) -> auth_core::Provider {
        self.another_replica_with(|_| {}).await
    }

    /// [`Self::another_replica`], configured by `configure` (as the app's own configuration
    /// was, where it matters).
    pub async fn another_replica_with(
        &self,
        configure: impl FnOnce(&mut Config),
    ) -> auth_core::Provider {
        let mut config = Config {
            database_url: self.db.url.clone().into(),
            issuer: Some(self.url("")),
            ..Config::default()
        };
        configure(&mut config);
        config.keys.encryption_key = Some(self.kek.clone().into());
        config.mail.folder = self.config_mail_folder.clone();
        let settings = config.validate().expect("valid configuration");
        auth_server::startup::open_provider(&config, &settings, self.clock.clone())
            .await
            .expect("a second provider")
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
    config.mail.folder = db.folder().join("mail");
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
        config,
        shutdown: Some(tx),
        server: Some(server),
        db,
    }
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
}

impl TestApp {
    /// A browser (no redirects followed) holding a fresh session of `user` signed in with
    /// `amr` (as after a sign-in just now).
    pub async fn session_browser(
        &self,
        user: &auth_core::users::User,
        amr: &[&str],
    ) -> reqwest::Client {
        let client = auth_core::sessions::ClientInfo::default();
        let (_, secret) = auth_core::sessions::start(
            &self.provider,
            &user.id,
            amr.iter().map(|m| (*m).to_owned()).collect(),
            &client,
        )
        .await
        .unwrap();
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let url = url::Url::parse(&self.url("/")).unwrap();
        jar.add_cookie_str(&format!("auth_session={}; Path=/", secret.expose()), &url);
        reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// The role `name` with `permissions` (created if it does not exist yet), granted to a new
    /// user `email` (with [`PASSWORD`](crate::PASSWORD)).
    pub async fn user_with_role(
        &self,
        email: &str,
        name: &str,
        permissions: &[&str],
    ) -> auth_core::users::User {
        let role = self.role(name, permissions).await;
        let user = self.user(email).await;
        auth_core::roles::grant(&self.provider, &user.id, &role)
            .await
            .unwrap();
        user
    }

    /// The role `name` with `permissions`, created unless it exists.
    pub async fn role(&self, name: &str, permissions: &[&str]) -> auth_core::roles::RoleName {
        use auth_core::roles::{self, Role, RoleName};
        let role = RoleName::parse(name).unwrap();
        let roles_now = self.provider.store().roles().await.unwrap();
        if roles_now.iter().all(|r| r.name != role) {
            roles::create(
                &self.provider,
                &Role {
                    name: role.clone(),
                    description: String::new(),
                    permissions: permissions
                        .iter()
                        .map(|p| RoleName::parse(p).unwrap())
                        .collect(),
                },
            )
            .await
            .unwrap();
        }
        role
    }
}

/// [`spawn_app_with`] with the issuer `http://localhost:PORT` (and [`TestApp::url`] on it):
/// a WebAuthn relying party id must be a domain name, and `localhost` is one, an IP address
/// is not, so passkeys are only on with such an issuer.
pub async fn spawn_app_on_localhost(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let mut issuer = String::new();
    let mut app = spawn_app_with(backend, |c| {
        let port = c.bind.rsplit(':').next().unwrap_or_default().to_owned();
        issuer = format!("http://localhost:{port}");
        c.issuer = Some(issuer.clone());
        configure(c);
    })
    .await;
    app.base_url = issuer;
    app
}
