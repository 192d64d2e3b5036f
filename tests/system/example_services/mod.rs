//! Each example service (`examples/`) against a real authorization server spawned in-process
//! on a fresh SQLite file, with the roles, users and clients the examples expect, over real
//! HTTP on loopback.

mod events;
mod profiles;
mod tickets;
mod tickets_cli;
mod webapp;

use crate::support::{Backend, PASSWORD, TestApp, browser, sign_in, spawn_app_with};
use auth_client::{ClientCredentials, TokenSource, UserDirectory};
use auth_core::Provider;
use auth_core::clients::{self, AuthMethod, ClientId, GrantType, NewClient, RedirectUri};
use auth_core::roles::{self, Role, RoleName};
use auth_core::scope::Scope;
use auth_core::users::password::Password;
use auth_core::users::{self, Email, NewUser, Origin, Profile};
use auth_server::config::Config;
use auth_testkit::Fetch as _;

/// The authorization server the examples trust.
pub struct AuthServer {
    pub issuer: String,
    pub provider: Provider,
    app: TestApp,
}

/// Serves `router` on a random loopback port; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

pub async fn auth_server(configure: impl FnOnce(&mut Config)) -> AuthServer {
    let app = spawn_app_with(Backend::Sqlite, configure).await;
    let server = AuthServer {
        issuer: app.base_url.clone(),
        provider: app.provider.clone(),
        app,
    };
    server.roles().await;
    server
}

impl AuthServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    async fn roles(&self) {
        for (name, permissions) in [
            ("coach", &["events:create", "teams:manage"][..]),
            ("player", &["events:read"][..]),
        ] {
            let role = Role {
                name: RoleName::parse(name).unwrap(),
                description: name.into(),
                permissions: permissions
                    .iter()
                    .map(|p| RoleName::parse(p).unwrap())
                    .collect(),
            };
            roles::create(&self.provider, &role).await.unwrap();
        }
    }

    /// A verified user with [`PASSWORD`] and `roles`; returns the user id.
    pub async fn user(&self, email: &str, name: &str, roles: &[&str]) -> String {
        let new = NewUser {
            email: Email::parse(email).unwrap(),
            password: Password::new(PASSWORD),
            profile: Profile {
                name: name.into(),
                ..Profile::default()
            },
            roles: roles.iter().map(|r| RoleName::parse(r).unwrap()).collect(),
            email_verified: true,
        };
        users::register(&self.provider, new, Origin::Admin)
            .await
            .unwrap()
            .id
            .to_string()
    }

    /// A client-credentials client with `scope`; returns its secret.
    pub async fn service(&self, id: &str, scope: &str) -> String {
        self.app.confidential_client(id, scope).await
    }

    /// The token source of client `id` (secret `secret`), asking for `scope` if one is given
    /// (else it gets the client's whole scope).
    pub async fn service_tokens(&self, id: &str, secret: &str, scope: Option<&str>) -> TokenSource {
        let mut builder = TokenSource::builder(&self.issuer, ClientCredentials::new(id, secret));
        if let Some(scope) = scope {
            builder = builder.scope(scope);
        }
        builder.build().await.unwrap()
    }

    /// The user directory as client `id` (secret `secret`) asks it, with `users:read` tokens.
    pub async fn directory(&self, id: &str, secret: &str) -> UserDirectory {
        let tokens = self.service_tokens(id, secret, Some("users:read")).await;
        UserDirectory::new(&self.issuer, tokens).unwrap()
    }

    /// A confidential code-flow client redirecting to `redirect_uri`; `trusted` skips consent.
    pub async fn web_client(&self, id: &str, redirect_uri: &str, trusted: bool) -> String {
        let mut new = NewClient::new(
            format!("Web {id}"),
            AuthMethod::ClientSecretBasic,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        );
        new.id = Some(ClientId::parse(id).unwrap());
        new.scope = Scope::parse("openid profile email offline_access permissions").unwrap();
        new.redirect_uris = vec![RedirectUri::parse(redirect_uri).unwrap()];
        new.trusted = trusted;
        let (_, secret) = clients::register(&self.provider, new).await.unwrap();
        secret.unwrap().expose().to_owned()
    }

    /// A user's access token, by the code flow with PKCE through the hosted login page, for
    /// a trusted client `app` (created here) with `permissions` in the scope.
    pub async fn user_token(&self, email: &str) -> String {
        let callback = "http://127.0.0.1:9/callback";
        let client = format!("app-{}", uuid::Uuid::new_v4().simple());
        let secret = self.web_client(&client, callback, true).await;
        let (challenge, verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
        let mut authorize = url::Url::parse(&self.url("/authorize")).unwrap();
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client)
            .append_pair("redirect_uri", callback)
            .append_pair("scope", "openid profile email permissions")
            .append_pair("state", "s")
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256");
        let browser = browser();
        let location = sign_in(&browser, &self.issuer, authorize.as_str(), email).await;
        let code = url::Url::parse(&location)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("a code in the callback");
        let tokens: serde_json::Value = reqwest::Client::new()
            .post(self.url("/token"))
            .basic_auth(&client, Some(&secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", callback),
                ("code_verifier", verifier.secret()),
            ])
            .fetch_json()
            .await;
        tokens["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }
}
