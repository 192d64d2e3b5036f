//! What runs in a child process: the authorization server as configured for the benchmark, or
//! the trivial handler. Each prints `{"address": ...}` on stdout as soon as it is bound; the
//! server then prints the benchmark's credentials ([`Seed`]) when asked to register them.

use crate::cli::ServeAuth;
use anyhow::Context;
use auth_core::Provider;
use auth_core::clients::{self, AuthMethod, ClientId, GrantType, NewClient, RedirectUri};
use auth_core::clock::SystemClock;
use auth_core::keys::SigningAlgorithm;
use auth_core::scope::Scope;
use auth_core::users::password::Password;
use auth_core::users::{self, Email, NewUser, Origin, Profile};
use auth_server::config::{Config, LimitConfig};
use auth_server::state::AppState;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The fixed key-encryption key of every benchmark server (32 bytes, base64), so a restart
/// reads the signing keys the first start wrote.
pub const KEK: &str = "YXV0aC1iZW5jaCBmaXhlZCBrZXktZW5jcnlwdGlvbiE=";

/// Where the code-flow client redirects; nothing listens there, the bench reads the `Location`.
/// The test kit's, which its authorization requests name.
pub const REDIRECT_URI: &str = auth_testkit::REDIRECT_URI;

/// Requests allowed per window by every rate limit of the benchmark server: never reached.
const UNTHROTTLED: u32 = 1_000_000_000;

/// The clients and the user the benchmark drives, as the server child prints them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Seed {
    /// A client_credentials client (`bench-service`).
    pub service_secret: String,
    /// A second client that introspects (`bench-api`).
    pub api_secret: String,
    /// A code-flow client with refresh tokens (`bench-web`).
    pub web_secret: String,
    /// The PKCS#8 key (ES256, base64) of a private_key_jwt client (`bench-keyed`): made for
    /// this run, a key of no real client.
    #[serde(default)]
    pub keyed_pkcs8: String,
    pub email: String,
    pub password: String,
    /// The `auth_session` cookie of an administrator signed in with a second factor
    /// (`--console-admin`).
    #[serde(default)]
    pub console_session: String,
}

impl Seed {
    pub const SERVICE: &'static str = "bench-service";
    pub const API: &'static str = "bench-api";
    pub const WEB: &'static str = "bench-web";
    pub const KEYED: &'static str = "bench-keyed";
}

/// The first line a child prints.
#[derive(Debug, Serialize, Deserialize)]
pub struct Bound {
    pub address: SocketAddr,
}

/// The bearer token that reads the benchmark server's `/metrics`.
pub const METRICS_TOKEN: &str = "auth-bench metrics token, not a secret of any real server";

/// The benchmark's server configuration: defaults, but for the fixed KEK, the algorithm, a
/// mail folder in the run's temporary folder, and rate limits that are never reached.
pub fn config(options: &ServeAuth, address: SocketAddr) -> anyhow::Result<Config> {
    let mut config = Config {
        bind: address.to_string(),
        issuer: Some(format!("http://{address}")),
        database_url: options.database_url.clone().into(),
        ..Config::default()
    };
    config.keys.encryption_key = Some(KEK.into());
    config.keys.algorithm = SigningAlgorithm::parse(&options.algorithm)
        .with_context(|| format!("no signing algorithm is called {}", options.algorithm))?;
    config.keys.encryption_key_file = options.data_dir.join("kek.key");
    config.mail.folder = options.data_dir.join("mail");
    config.metrics.token = Some(METRICS_TOKEN.into());
    let unthrottled = LimitConfig {
        limit: UNTHROTTLED,
        window_secs: 1,
    };
    let limits = &mut config.rate_limits;
    for limit in [
        &mut limits.signup_per_ip,
        &mut limits.forgot_password_per_ip,
        &mut limits.forgot_password_per_account,
        &mut limits.verification_per_account,
        &mut limits.otp_send_per_account,
        &mut limits.otp_verify_per_ip,
        &mut limits.token_failures_per_client,
        &mut limits.token_failures_per_ip,
        &mut limits.login_per_ip,
        &mut limits.login_per_account,
        &mut limits.signup_per_address,
        &mut limits.client_registration_per_ip,
        &mut limits.client_registrations_total,
        &mut limits.verification_per_ip,
        &mut limits.otp_send_per_ip,
        &mut limits.second_factor_failures_per_account,
        &mut limits.pending_authorizations_per_ip,
        &mut limits.pending_authorizations_total,
    ] {
        *limit = unthrottled.clone();
    }
    config.login.max_failures_per_account = UNTHROTTLED;
    config.login.max_failures_per_account_and_ip = UNTHROTTLED;
    config.login.max_failures_per_ip = UNTHROTTLED;
    Ok(config)
}

/// `serve-auth`: the authorization server until the process is killed.
pub async fn auth(options: ServeAuth) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    announce(&Bound { address })?;
    let config = config(&options, address)?;
    let settings = config.validate()?;
    let provider =
        auth_server::startup::open_provider(&config, &settings, Arc::new(SystemClock)).await?;
    let state = AppState::new(provider.clone(), &settings)?;
    let server = tokio::spawn(auth_server::serve(listener, state, std::future::pending()));
    if options.seed {
        let mut seeded = seed(&provider, options.with_user).await?;
        if options.console_admin {
            seeded.console_session = console_admin(&provider).await?;
        }
        announce(&seeded)?;
    }
    server.await?.context("the server failed")
}

/// `serve-trivial`: one handler answering `ok`, until the process is killed.
pub async fn trivial() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    announce(&Bound {
        address: listener.local_addr()?,
    })?;
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(|| async { "ok" }));
    axum::serve(listener, app).await?;
    Ok(())
}

fn announce(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

async fn seed(provider: &Provider, with_user: bool) -> anyhow::Result<Seed> {
    let service_secret = client(
        provider,
        Seed::SERVICE,
        // users:read: the is-registered check of the --dataset rows.
        "bench:read users:read",
        &[GrantType::ClientCredentials],
        &[],
    )
    .await?;
    let api_secret = client(
        provider,
        Seed::API,
        "",
        &[GrantType::ClientCredentials],
        &[],
    )
    .await?;
    let web_secret = client(
        provider,
        Seed::WEB,
        "openid profile email offline_access",
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        &[REDIRECT_URI],
    )
    .await?;
    let keyed_pkcs8 = keyed_client(provider).await?;
    let email = "bench@example.com".to_owned();
    let password = "bench-password-Zq7vX2".to_owned();
    if with_user {
        register_user(provider, &email, &password).await?;
    }
    Ok(Seed {
        service_secret,
        api_secret,
        web_secret,
        keyed_pkcs8,
        email,
        password,
        console_session: String::new(),
    })
}

/// Registers `bench-keyed`, a private_key_jwt client with a new ES256 key; returns the key.
async fn keyed_client(provider: &Provider) -> anyhow::Result<String> {
    use auth_core::keys::{KeyMaterial, SigningAlgorithm};
    use base64::Engine;
    let (key, pkcs8) = KeyMaterial::generate(SigningAlgorithm::Es256, 0)?;
    let mut new = NewClient::new(
        "Benchmark bench-keyed",
        AuthMethod::PrivateKeyJwt,
        vec![GrantType::ClientCredentials],
    );
    new.id = Some(ClientId::parse(Seed::KEYED)?);
    new.scope = Scope::parse("bench:read")?;
    new.security.jwks = Some(serde_json::json!({"keys": [key.jwk()]}));
    clients::register(provider, new).await?;
    Ok(base64::engine::general_purpose::STANDARD.encode(pkcs8))
}

/// An administrator (`console@example.com`, the role `admin`) with a session started with a
/// password and an authenticator app: the session's cookie value.
async fn console_admin(provider: &Provider) -> anyhow::Result<String> {
    use auth_core::roles::{self, Role, RoleName};
    let admin = RoleName::parse("admin")?;
    roles::create(
        provider,
        &Role {
            name: admin.clone(),
            description: "Administrators".into(),
            permissions: vec![admin.clone()],
        },
    )
    .await?;
    let user = users::register(
        provider,
        NewUser {
            email: Email::parse("console@example.com")?,
            password: Password::new("bench-console-password-Hq4"),
            profile: Profile::default(),
            roles: vec![admin],
            email_verified: true,
        },
        Origin::Admin,
    )
    .await?;
    let amr = ["pwd", "otp", "mfa"].map(str::to_owned).to_vec();
    let (_, secret) = auth_core::sessions::start(
        provider,
        &user.id,
        amr,
        &auth_core::sessions::ClientInfo::default(),
    )
    .await?;
    Ok(secret.expose().to_owned())
}

async fn register_user(provider: &Provider, email: &str, password: &str) -> anyhow::Result<()> {
    users::register(
        provider,
        NewUser {
            email: Email::parse(email)?,
            password: Password::new(password),
            profile: Profile {
                name: "Bench User".into(),
                ..Profile::default()
            },
            roles: vec![],
            email_verified: true,
        },
        Origin::Admin,
    )
    .await?;
    Ok(())
}

async fn client(
    provider: &Provider,
    id: &str,
    scope: &str,
    grants: &[GrantType],
    redirect_uris: &[&str],
) -> anyhow::Result<String> {
    let mut new = NewClient::new(
        format!("Benchmark {id}"),
        AuthMethod::ClientSecretBasic,
        grants.to_vec(),
    );
    new.id = Some(ClientId::parse(id)?);
    new.scope = if scope.is_empty() {
        Scope::empty()
    } else {
        Scope::parse(scope)?
    };
    new.redirect_uris = redirect_uris
        .iter()
        .map(|uri| RedirectUri::parse(uri))
        .collect::<Result<_, _>>()?;
    let (_, secret) = clients::register(provider, new).await?;
    let secret = secret.context("a confidential client has a secret")?;
    Ok(secret.expose().to_owned())
}
