//! What the fuzz targets share: a real provider over a real SQLite file with a few registered
//! clients, for the targets that drive `auth-core`'s endpoints, and the fixed keys of the
//! targets that verify tokens and webhooks.
//!
//! The provider is built once per fuzzing process (libFuzzer runs every input in the same
//! process) in a temporary folder; `scripts/fuzz` points `TMPDIR` at a scratch folder it
//! removes afterwards, since libFuzzer exits without running destructors.

pub mod keys;

use auth_core::clients::{AuthMethod, Client, ClientExtras, ClientId, GrantType, RedirectUri};
use auth_core::clock::SystemClock;
use auth_core::kek::KeyEncryptionKey;
use auth_core::keys::{KeyPolicy, SigningAlgorithm};
use auth_core::provider::Services;
use auth_core::scope::Scope;
use auth_core::store::Store;
use auth_core::store::sql::{PoolSettings, SqlStore};
use auth_core::throttle::{Limit, ThrottlePolicy};
use auth_core::{Issuer, Provider, Settings};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::runtime::Runtime;

/// The issuer of the fuzzing provider.
pub const ISSUER: &str = "https://id.example.com";

/// The audience of the tokens the token targets verify.
pub const AUDIENCE: &str = "https://api.example.com";

/// The verifier's time in the token targets: within the lifetime of the seeds' tokens.
pub const NOW: i64 = 1_767_225_600;

/// The secret of every confidential client of the fixture (seeds carry it).
pub const CLIENT_SECRET: &str = "cs_fuzz-secret-4f1c2a9e7b";

/// A provider with registered clients, and the runtime to drive it.
pub struct Fixture {
    /// Runs the provider's futures.
    pub runtime: Runtime,
    /// The provider.
    pub provider: Provider,
    /// The registered clients, as registered.
    pub clients: Vec<Client>,
    _dir: tempfile::TempDir,
}

/// The clients the seeds name:
/// - `shop`: confidential (HTTP Basic), code + refresh + client credentials, two https URIs;
/// - `reports`: confidential (secret in the body), client credentials only;
/// - `cli`: public native app, loopback and private-use redirect URIs;
/// - `single`: public, exactly one redirect URI (so `redirect_uri` may be omitted).
fn clients(provider: &Provider) -> Vec<Client> {
    let client = |id: &str, auth_method, grants: &[GrantType], scope: &str, uris: &[&str]| {
        let confidential = auth_method != AuthMethod::None;
        Client {
            id: ClientId::parse(id).unwrap(),
            name: id.to_owned(),
            auth_method,
            secret_hash: confidential.then(|| provider.hasher().hash(CLIENT_SECRET)),
            grant_types: grants.to_vec(),
            scope: Scope::parse(scope).unwrap(),
            redirect_uris: uris
                .iter()
                .map(|u| RedirectUri::parse(u).unwrap())
                .collect(),
            post_logout_redirect_uris: Vec::new(),
            trusted: false,
            extras: ClientExtras::default(),
            security: Default::default(),
            backchannel: Default::default(),
            registration_token_hash: None,
            created_at: 0,
            registration_id: String::new(),
        }
    };
    use GrantType::{AuthorizationCode, ClientCredentials, RefreshToken};
    vec![
        client(
            "shop",
            AuthMethod::ClientSecretBasic,
            &[AuthorizationCode, RefreshToken, ClientCredentials],
            "openid profile email tickets:read",
            &[
                "https://shop.example.com/callback",
                "https://shop.example.com/cb?tenant=1",
            ],
        ),
        client(
            "reports",
            AuthMethod::ClientSecretPost,
            &[ClientCredentials],
            "reports:read users:read",
            &[],
        ),
        client(
            "cli",
            AuthMethod::None,
            &[AuthorizationCode, RefreshToken],
            "openid profile offline_access",
            &[
                "http://127.0.0.1/callback",
                "http://[::1]:8080/cb",
                "com.example.app:/oauth2redirect",
            ],
        ),
        client(
            "single",
            AuthMethod::None,
            &[AuthorizationCode],
            "openid profile",
            &["https://single.example.com/cb"],
        ),
    ]
}

/// The fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

fn build() -> Fixture {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::Builder::new()
        .prefix("auth-fuzz-")
        .tempdir()
        .unwrap();
    let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
    let issuer = Issuer::parse(ISSUER).unwrap();
    let mut settings = Settings::new(
        issuer.clone(),
        KeyPolicy {
            algorithm: SigningAlgorithm::EdDsa,
            rsa_bits: 2048,
            publish_delay: Duration::ZERO,
            retired_key_lifetime: Duration::from_secs(3600),
        },
    );
    // Fuzzed inputs fail client authentication almost every time; the throttle must not end
    // the run by locking everyone out.
    let unlimited = ThrottlePolicy {
        limit: u32::MAX,
        window: Duration::from_secs(1),
    };
    settings.limits.client_authentication = Limit {
        per_account: unlimited.clone(),
        per_network: unlimited,
    };
    let kek =
        KeyEncryptionKey::parse_base64("ZnV6ei1rZWstZnV6ei1rZWstZnV6ei1rZWstZnV6ei0=").unwrap();
    let (provider, clients) = runtime.block_on(async {
        let store = SqlStore::connect(&url, &PoolSettings::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let provider = Provider::open(
            settings,
            store.clone(),
            Arc::new(kek),
            Arc::new(SystemClock),
            Services::defaults(&issuer),
        )
        .await
        .unwrap();
        let clients = clients(&provider);
        for client in &clients {
            store.insert_client(client).await.unwrap();
        }
        (provider, clients)
    });
    Fixture {
        runtime,
        provider,
        clients,
        _dir: dir,
    }
}
