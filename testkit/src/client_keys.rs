//! A client that signs: its key pair, the `private_key_jwt` assertions and request objects it
//! makes, and a `jwks_uri` it publishes its keys at.

use crate::app::TestApp;
use crate::sign_in::REDIRECT_URI;
use auth_core::clients::{self, AuthMethod, ClientId, ClientSecurity, GrantType, NewClient};
use auth_core::keys::{KeyMaterial, SigningAlgorithm};
use auth_core::scope::Scope;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The `client_assertion_type` of a JWT assertion (RFC 7523).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client id and the key it signs with.
pub struct SigningClient {
    pub id: String,
    pub key: KeyMaterial,
    /// The issuer the client writes in `aud`.
    pub issuer: String,
    /// Seconds since the epoch the client believes it is (the server's test clock).
    pub now: i64,
}

impl SigningClient {
    /// A new key of `algorithm` for client `id` of the server at `issuer`.
    pub fn new(id: &str, algorithm: SigningAlgorithm, issuer: &str) -> Self {
        Self {
            id: id.to_owned(),
            key: KeyMaterial::generate(algorithm, 2048).unwrap().0,
            issuer: issuer.to_owned(),
            now: auth_core::clock::Clock::unix(&auth_core::clock::SystemClock),
        }
    }

    /// The public JWK set to register.
    pub fn jwks(&self) -> Value {
        json!({"keys": [self.key.jwk()]})
    }

    /// Signs `claims` with the client's key under `typ`.
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        auth_jose::jws::sign(&self.key, typ, claims).unwrap()
    }

    /// The claims of a fresh assertion: about the client, for the issuer, a minute long.
    pub fn assertion_claims(&self) -> Value {
        json!({
            "iss": self.id,
            "sub": self.id,
            "aud": self.issuer,
            "iat": self.now,
            "exp": self.now + 60,
            "jti": uuid::Uuid::new_v4().to_string(),
        })
    }

    /// A fresh assertion.
    pub fn assertion(&self) -> String {
        self.sign("JWT", &self.assertion_claims())
    }

    /// The form fields that authenticate the client with `assertion`.
    pub fn auth_with(&self, assertion: &str) -> Vec<(String, String)> {
        vec![
            ("client_assertion_type".into(), JWT_BEARER.into()),
            ("client_assertion".into(), assertion.into()),
        ]
    }

    /// The form fields of a fresh assertion.
    pub fn auth(&self) -> Vec<(String, String)> {
        self.auth_with(&self.assertion())
    }

    /// A request object carrying `params`, signed, valid for a minute.
    pub fn request_object(&self, params: &[(&str, &str)]) -> String {
        let mut claims = json!({
            "iss": self.id,
            "aud": self.issuer,
            "client_id": self.id,
            "iat": self.now,
            "nbf": self.now,
            "exp": self.now + 60,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        for (name, value) in params {
            claims[*name] = json!(value);
        }
        self.sign("oauth-authz-req+jwt", &claims)
    }
}

/// The parameters of a code-flow authorization request with `pkce_challenge`.
pub fn code_request<'a>(client: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid profile email"),
        ("state", "state-123"),
        ("nonce", "nonce-456"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

impl TestApp {
    /// A signing client of the server's issuer, at the server's clock.
    pub fn signing_client(&self, id: &str, algorithm: SigningAlgorithm) -> SigningClient {
        let mut client =
            SigningClient::new(id, algorithm, self.provider.settings().issuer.as_str());
        client.now = self.provider.clock().unix();
        client
    }

    /// Registers a `private_key_jwt` client with `grants` and the key of `client` inline (or,
    /// with `security`, what it says).
    pub async fn register_key_client(
        &self,
        client: &SigningClient,
        grants: &[GrantType],
        security: Option<ClientSecurity>,
    ) {
        let mut new = NewClient::new(
            format!("Client {}", client.id),
            AuthMethod::PrivateKeyJwt,
            grants.to_vec(),
        );
        new.id = Some(ClientId::parse(&client.id).unwrap());
        new.scope = Scope::parse("openid profile email offline_access").unwrap();
        if grants.contains(&GrantType::AuthorizationCode) {
            new.redirect_uris = vec![clients::RedirectUri::parse(REDIRECT_URI).unwrap()];
        }
        new.security = security.unwrap_or(ClientSecurity {
            jwks: Some(client.jwks()),
            ..ClientSecurity::default()
        });
        clients::register(&self.provider, new).await.unwrap();
    }
}

/// A `jwks_uri` on loopback: serves the keys it is given and counts the fetches.
pub struct JwksServer {
    pub url: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    pub async fn start(keys: Value) -> Self {
        let shared = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (shared.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (served, counted) = (served.clone(), counted.clone());
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    axum::Json(served.lock().unwrap().clone())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url,
            keys: shared,
            fetches,
        }
    }

    /// Serves `keys` from now on.
    pub fn publish(&self, keys: Value) {
        *self.keys.lock().unwrap() = keys;
    }

    /// How many times the set was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// A DPoP key a client holds (RFC 9449), making proofs at the server's clock.
pub struct DpopKey {
    pub key: KeyMaterial,
    /// Seconds since the epoch the proofs say they were made.
    pub now: i64,
}

impl DpopKey {
    pub fn new(algorithm: SigningAlgorithm, now: i64) -> Self {
        Self {
            key: KeyMaterial::generate(algorithm, 2048).unwrap().0,
            now,
        }
    }

    /// The thumbprint tokens bound to this key carry in `cnf.jkt`.
    pub fn jkt(&self) -> String {
        self.key.kid().to_owned()
    }

    /// A fresh proof for `method` and `url`, for `access_token` if given, with `nonce`.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> String {
        let request = auth_jose::dpop::Request {
            method,
            url,
            access_token,
        };
        let jti = uuid::Uuid::new_v4().to_string();
        auth_jose::dpop::sign(&self.key, &request, self.now, &jti, nonce).unwrap()
    }
}

impl TestApp {
    /// A DPoP key making proofs at the server's clock.
    pub fn dpop_key(&self, algorithm: SigningAlgorithm) -> DpopKey {
        DpopKey::new(algorithm, self.provider.clock().unix())
    }
}
