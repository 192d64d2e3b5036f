//! Two instances of this server, one the other's upstream identity provider: the upstream on
//! `localhost` (so a browser keeps its cookies apart from the downstream's on `127.0.0.1`), a
//! client `downstream` registered there for the downstream's callback, and the downstream
//! configured with the provider `up` ("Sign in with Upstream"), which creates accounts and
//! maps the upstream claim `roles` = `staff` to the role `coach`. Nothing is mocked.

use crate::app::{TestApp, spawn_app_with};
use crate::db::Backend;
use auth_core::clients::{AuthMethod, ClientId, GrantType, RedirectUri};
use auth_server::config::{Config, RoleMappingConfig, UpstreamKind, UpstreamProviderConfig};

/// The provider's id at the downstream.
pub const PROVIDER: &str = "up";
/// The provider's button label at the downstream.
pub const LABEL: &str = "Sign in with Upstream";

/// An upstream server and a downstream server that lets its users sign in with it.
pub struct UpstreamPair {
    /// The upstream identity provider.
    pub upstream: TestApp,
    /// The upstream's issuer (`http://localhost:{port}`).
    pub issuer: String,
    /// The server whose users sign in with the upstream.
    pub downstream: TestApp,
}

impl UpstreamPair {
    /// The pair, with `configure` applied to the downstream's configuration last.
    pub async fn start(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        let upstream = spawn_app_with(backend, |c| {
            let port = c.bind.rsplit(':').next().unwrap().to_owned();
            c.issuer = Some(format!("http://localhost:{port}"));
            // A provider that signs in users whose address it has not verified (and says so).
            c.account.require_verified_email = false;
        })
        .await;
        let issuer = upstream.config.issuer.clone().unwrap();
        let secret = upstream
            .client_with(
                "downstream",
                "openid email profile",
                AuthMethod::ClientSecretBasic,
                &[GrantType::AuthorizationCode],
                &["http://127.0.0.1:9/not-yet"],
            )
            .await
            .unwrap();
        let provider_issuer = issuer.clone();
        let downstream = spawn_app_with(backend, move |c| {
            c.upstream.providers = vec![UpstreamProviderConfig {
                id: PROVIDER.into(),
                kind: UpstreamKind::Oidc,
                label: Some(LABEL.into()),
                issuer: Some(provider_issuer),
                client_id: "downstream".into(),
                client_secret: secret.into(),
                scopes: None,
                create_accounts: Some(true),
                authorize_url: None,
                token_url: None,
                api_base: None,
                roles: vec![RoleMappingConfig {
                    claim: "roles".into(),
                    value: "staff".into(),
                    role: "coach".into(),
                }],
            }];
            configure(c);
        })
        .await;
        // The downstream's callback, now that its port is known.
        let store = upstream.provider.store();
        let mut client = (*store
            .client(&ClientId::parse("downstream").unwrap())
            .await
            .unwrap()
            .unwrap())
        .clone();
        client.redirect_uris = vec![
            RedirectUri::parse(&downstream.url(&format!("/login/upstream/{PROVIDER}/callback")))
                .unwrap(),
        ];
        store.update_client(&client).await.unwrap();
        Self {
            upstream,
            issuer,
            downstream,
        }
    }
}
