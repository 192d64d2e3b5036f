//! An authorization server on a random port with a fresh SQLite file, the roles, users and
//! clients the examples expect, and a way to sign a user in over HTTP.

use auth_core::Provider;
use auth_core::clients::{self, AuthMethod, ClientId, GrantType, NewClient, RedirectUri};
use auth_core::clock::ManualClock;
use auth_core::kek::KeyEncryptionKey;
use auth_core::roles::{self, Role, RoleName};
use auth_core::scope::Scope;
use auth_core::users::password::Password;
use auth_core::users::{self, Email, NewUser, Origin, Profile};
use auth_server::config::Config;
use auth_server::state::AppState;
use std::sync::Arc;
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";

pub struct AuthServer {
    pub issuer: String,
    pub provider: Provider,
    _dir: TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `router` on a random loopback port; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

pub async fn auth_server(configure: impl FnOnce(&mut Config)) -> AuthServer {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (_, kek) = KeyEncryptionKey::generate().unwrap();
    let mut config = Config {
        bind: address.to_string(),
        database_url: format!("sqlite://{}", dir.path().join("auth.db").display()).into(),
        ..Config::default()
    };
    config.keys.encryption_key = Some(kek.into());
    config.mail.folder = dir.path().join("mail");
    configure(&mut config);
    let settings = config.validate().unwrap();
    let clock = Arc::new(ManualClock::starting_now());
    let provider = auth_server::startup::open_provider(&config, &settings, clock)
        .await
        .unwrap();
    let state = AppState::new(provider.clone(), &settings).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = auth_server::serve(listener, state, async move {
            let _ = rx.await;
        })
        .await;
    });
    let server = AuthServer {
        issuer: format!("http://{address}"),
        provider,
        _dir: dir,
        shutdown: Some(tx),
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
        let mut new = NewClient::new(
            format!("Service {id}"),
            AuthMethod::ClientSecretBasic,
            vec![GrantType::ClientCredentials],
        );
        new.id = Some(ClientId::parse(id).unwrap());
        new.scope = Scope::parse(scope).unwrap();
        let (_, secret) = clients::register(&self.provider, new).await.unwrap();
        secret.unwrap().expose().to_owned()
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
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }
}

/// A browser: cookies kept, redirects not followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location.to_owned()
    }
}

async fn redirect_of(response: reqwest::Response, base: &str) -> String {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    absolute(base, response.headers()["location"].to_str().unwrap())
}

pub fn form_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(
        html[start..start + end]
            .replace("&#x2f;", "/")
            .replace("&#x3d;", "=")
            .replace("&#x2b;", "+"),
    )
}

/// Runs the browser side of a sign-in from `authorize_url` at the server `issuer`: the login
/// page with [`PASSWORD`], and consent when asked. Returns the URL the server sends the
/// browser back to (the client's callback).
pub async fn sign_in(
    browser: &reqwest::Client,
    issuer: &str,
    authorize_url: &str,
    email: &str,
) -> String {
    let mut location = redirect_of(browser.get(authorize_url).send().await.unwrap(), issuer).await;
    if location.starts_with(&format!("{issuer}/login")) {
        let page = browser
            .get(&location)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut form = vec![
            (
                "csrf_token",
                form_field(&page, "csrf_token").expect("a csrf token"),
            ),
            ("email", email.to_owned()),
            ("password", PASSWORD.to_owned()),
        ];
        if let Some(request) = form_field(&page, "request") {
            form.push(("request", request));
        }
        let response = browser
            .post(format!("{issuer}/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        location = redirect_of(response, issuer).await;
        // Back to the pending authorization (`/authorize/continue`), which redirects on.
        if location.starts_with(issuer) && !location.starts_with(&format!("{issuer}/consent")) {
            location = redirect_of(browser.get(&location).send().await.unwrap(), issuer).await;
        }
    }
    if location.starts_with(&format!("{issuer}/consent")) {
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
            .post(format!("{issuer}/consent"))
            .form(&form)
            .send()
            .await
            .unwrap();
        location = redirect_of(response, issuer).await;
    }
    location
}
