//! A real server per test (`auth_testkit::spawn_app_with` on a fresh SQLite database), reached
//! through a counting proxy whose address is the issuer, so every request a client
//! makes (metadata, keys, tokens, API calls) is seen and counted per path.

use auth_client::ManualClock;
use auth_core::Provider;
use auth_core::scope::Scope;
use auth_core::tokens::access::AccessTokenRequest;
use auth_server::config::Config;
use auth_testkit::Fetch as _;
use auth_testkit::{Backend, TestApp, spawn_app_with};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct TestServer {
    /// The issuer: the proxy's URL.
    pub issuer: String,
    pub provider: Provider,
    /// The server's clock.
    pub clock: Arc<auth_core::clock::ManualClock>,
    pub http: reqwest::Client,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    proxy: tokio::task::JoinHandle<()>,
    app: TestApp,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.proxy.abort();
    }
}

pub async fn spawn_server() -> TestServer {
    spawn_server_with(|_| {}).await
}

pub async fn spawn_server_with(configure: impl FnOnce(&mut Config)) -> TestServer {
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", proxy.local_addr().unwrap());
    let app = spawn_app_with(Backend::Sqlite, |config| {
        // These tests rotate and reload keys themselves: the server's default reload interval
        // and mail polling, not the test kit's one second.
        let defaults = Config::default();
        config.keys.refresh_interval_secs = defaults.keys.refresh_interval_secs;
        config.mail.poll_interval_secs = defaults.mail.poll_interval_secs;
        config.issuer = Some(issuer.clone());
        configure(config);
    })
    .await;
    let hits = Arc::new(Mutex::new(HashMap::new()));
    let forwarder = Forwarder {
        upstream: app.base_url.clone(),
        http: reqwest::Client::new(),
        hits: hits.clone(),
    };
    let router = axum::Router::new()
        .fallback(forward)
        .with_state(Arc::new(forwarder));
    let proxy = tokio::spawn(async move {
        let _ = axum::serve(proxy, router).await;
    });
    TestServer {
        issuer,
        provider: app.provider.clone(),
        clock: app.clock.clone(),
        http: reqwest::Client::new(),
        hits,
        proxy,
        app,
    }
}

async fn open_provider(config: &Config, clock: Arc<auth_core::clock::ManualClock>) -> Provider {
    let settings = config.validate().unwrap();
    auth_server::startup::open_provider(config, &settings, clock)
        .await
        .unwrap()
}

struct Forwarder {
    upstream: String,
    http: reqwest::Client,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

async fn forward(State(proxy): State<Arc<Forwarder>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    *proxy
        .hits
        .lock()
        .unwrap()
        .entry(parts.uri.path().to_owned())
        .or_default() += 1;
    let target = format!(
        "{}{}",
        proxy.upstream,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut headers = parts.headers.clone();
    headers.remove(http::header::HOST);
    let answer = proxy
        .http
        .request(parts.method, target)
        .headers(headers)
        .body(body)
        .fetch()
        .await;
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != http::header::TRANSFER_ENCODING && name != http::header::CONTENT_LENGTH {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

impl TestServer {
    /// Requests that reached `path` so far.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// Registers a confidential client-credentials client allowed `scope`; returns its secret.
    pub async fn client(&self, id: &str, scope: &str) -> String {
        self.app.confidential_client(id, scope).await
    }

    /// A client-credentials token, asked for over HTTP.
    pub async fn machine_token(&self, id: &str, secret: &str, scope: &str) -> String {
        let response = self
            .http
            .post(format!("{}/token", self.issuer))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .fetch()
            .await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A user's access token, signed by the server's key service as the code flow would.
    pub fn user_token(&self, user_id: &str, scope: &str, roles: &[&str]) -> String {
        user_token_from(&self.provider, user_id, scope, roles)
    }

    /// A service that may exchange users' tokens (RFC 8693) for `audiences`; returns its
    /// secret.
    pub async fn exchanging_client(&self, id: &str, scope: &str, audiences: &[&str]) -> String {
        use auth_core::clients::{
            self, AuthMethod, ClientId, ClientSecurity, GrantType, NewClient, TokenExchangePolicy,
        };
        let mut new = NewClient::new(
            format!("Service {id}"),
            AuthMethod::ClientSecretBasic,
            vec![GrantType::ClientCredentials, GrantType::TokenExchange],
        );
        new.id = Some(ClientId::parse(id).unwrap());
        new.scope = Scope::parse(scope).unwrap();
        new.security = ClientSecurity {
            token_exchange: Some(TokenExchangePolicy {
                audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
            }),
            ..ClientSecurity::default()
        };
        let (_, secret) = clients::register(&self.provider, new).await.unwrap();
        secret.unwrap().expose().to_owned()
    }

    /// A confidential code-flow client (scope `openid profile email offline_access
    /// permissions`); returns its secret.
    pub async fn web_client(&self, id: &str) -> String {
        self.app.code_client(id).await
    }

    /// The access token of the user `email` at the code-flow client `client`, through the
    /// hosted login page: a token of a real grant, with the scope `openid profile email
    /// offline_access`.
    pub async fn login(&self, client: &str, secret: &str, email: &str) -> String {
        let tokens = self.app.tokens_for(client, secret, email).await;
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    /// The server as the test kit runs it (its URL is the upstream, not the issuer).
    pub fn app(&self) -> &TestApp {
        &self.app
    }

    /// A user account; returns its id.
    pub async fn user(&self, email: &str) -> String {
        self.app.user(email).await.id.to_string()
    }

    /// Another provider on the same database and keys, with issuer `issuer`.
    pub async fn provider_with_issuer(&self, issuer: &str) -> Provider {
        self.provider_with(|c| c.issuer = Some(issuer.to_owned()))
            .await
    }

    /// Another provider on the same database and keys, with `configure` applied to a copy of
    /// this server's configuration (as another replica, or the CLI, would run).
    pub async fn provider_with(&self, configure: impl FnOnce(&mut Config)) -> Provider {
        let mut config = self.app.config.clone();
        configure(&mut config);
        open_provider(&config, self.clock.clone()).await
    }

    /// A verifier of this server's tokens with `clock`.
    pub async fn verifier(&self, clock: &Arc<ManualClock>) -> auth_client::Verifier {
        auth_client::Verifier::builder(&self.issuer, &self.issuer)
            .clock(clock.clone())
            .build()
            .await
            .unwrap()
    }
}

pub fn user_token_from(provider: &Provider, user_id: &str, scope: &str, roles: &[&str]) -> String {
    let scope = Scope::parse(scope).unwrap();
    provider
        .issue_access_token(AccessTokenRequest {
            jti: auth_core::secrets::new_id(),
            subject: user_id,
            client_id: "webapp",
            scope: &scope,
            auth_time: Some(provider.clock().unix()),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            permissions: vec!["tickets.close".to_owned()],
            client_registration: "",
            dpop_jkt: None,
            audience: None,
            sealed_subject: None,
        })
        .unwrap()
        .token
}

/// A client clock starting at the real current time.
pub fn client_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::starting_now())
}

/// A port nothing listens on.
pub async fn dead_address() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

/// Decodes a base64url JWT part.
pub fn decode_part(part: &str) -> serde_json::Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Encodes a JSON value as a base64url JWT part.
pub fn encode_part(value: &serde_json::Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

pub const SECOND: Duration = Duration::from_secs(1);
