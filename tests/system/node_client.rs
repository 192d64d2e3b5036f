//! Interoperability: openid-client 6 (panva's Node.js library, which nobody here wrote) runs the
//! code flow from discovery on: `client_secret_basic`, `private_key_jwt` (RFC 7523, OIDC Core
//! section 9), pushed authorization requests (RFC 9126), request objects (RFC 9101), and DPoP
//! (RFC 9449) once a test switches it on.
//!
//! The client side is `tests/interop/flow.mjs`: it prints the authorize URL, this module walks the
//! sign-in as a browser ([`TestApp::authorize_as`]) and hands it the callback URL, and it prints
//! the outcome. Node.js and the npm package must be installed (`scripts/test` runs `npm ci`); a
//! test fails, never skips, when either is missing.

use crate::support::{Backend, REDIRECT_URI, TestApp, both_backends, browser, spawn_app_with};
use auth_server::config::registration::Mode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const EMAIL: &str = "ann@example.com";
const SCOPE: &str = "openid profile email offline_access";
/// How long the Node side may take for one step (discovery and PAR, or the token requests).
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

#[both_backends]
async fn openid_client_completes_the_code_flow_with_a_client_secret(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let user = app.user(EMAIL).await;
    let secret = app.code_client("webapp").await;
    let request = Request::PLAIN;

    let outcome = run_flow(&app, "webapp", Credentials::Secret(secret), request).await;

    assert_signed_in(&outcome, user.id.as_str(), request);
}

#[both_backends]
async fn openid_client_authenticates_with_private_key_jwt(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    let user = app.user(EMAIL).await;
    let key = keygen("ES256").await;
    let client_id = register_with_key(&app, &key.public).await;
    let request = Request::PLAIN;

    let outcome = run_flow(&app, &client_id, Credentials::Key(key.private), request).await;

    assert_signed_in(&outcome, user.id.as_str(), request);
}

#[both_backends]
async fn openid_client_pushes_its_request(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let user = app.user(EMAIL).await;
    let secret = app.code_client("webapp").await;
    let request = Request {
        par: true,
        ..Request::PLAIN
    };

    let outcome = run_flow(&app, "webapp", Credentials::Secret(secret), request).await;

    assert_signed_in(&outcome, user.id.as_str(), request);
}

#[both_backends]
async fn openid_client_signs_its_request_object(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    let user = app.user(EMAIL).await;
    let key = keygen("ES256").await;
    let client_id = register_with_key(&app, &key.public).await;
    let request = Request {
        jar: true,
        ..Request::PLAIN
    };

    let outcome = run_flow(&app, &client_id, Credentials::Key(key.private), request).await;

    assert_signed_in(&outcome, user.id.as_str(), request);
}

#[both_backends]
async fn openid_client_pushes_a_signed_request_object_with_private_key_jwt(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    let user = app.user(EMAIL).await;
    let key = keygen("ES256").await;
    let client_id = register_with_key(&app, &key.public).await;
    let request = Request {
        par: true,
        jar: true,
        ..Request::PLAIN
    };

    let outcome = run_flow(&app, &client_id, Credentials::Key(key.private), request).await;

    assert_signed_in(&outcome, user.id.as_str(), request);
}

#[both_backends]
async fn openid_client_binds_its_tokens_to_a_dpop_key(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let user = app.user(EMAIL).await;
    let secret = app.code_client("webapp").await;
    let request = Request {
        dpop: true,
        ..Request::PLAIN
    };

    let outcome = run_flow(&app, "webapp", Credentials::Secret(secret), request).await;

    assert_signed_in(&outcome, user.id.as_str(), request);
}

/// Everything at once, under the FAPI 2.0 Security Profile for the whole deployment: pushed
/// requests required, private_key_jwt, DPoP-bound tokens with server nonces (openid-client
/// retries on `use_dpop_nonce`), a request object and client assertions signed with an Ed25519
/// key (`alg: Ed25519`, RFC 9864), ID tokens signed with EdDSA.
#[both_backends]
async fn openid_client_pushes_signs_and_binds_under_fapi_and_server_nonces(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        open_registration(config);
        config.fapi.enabled = true;
        config.keys.algorithm = auth_core::keys::SigningAlgorithm::EdDsa;
        config.dpop.require_nonce = true;
    })
    .await;
    let user = app.user(EMAIL).await;
    let key = keygen("Ed25519").await;
    let client_id = register_with_key(&app, &key.public).await;
    let request = Request {
        par: true,
        jar: true,
        dpop: true,
        resource: None,
    };

    let outcome = run_flow(&app, &client_id, Credentials::Key(key.private), request).await;

    assert_signed_in(&outcome, user.id.as_str(), request);
}

/// Pairwise subject identifiers (OIDC Core section 8): openid-client checks that userinfo's
/// `sub` is the ID token's, both the client's own and not the user id.
#[both_backends]
async fn openid_client_sees_a_pairwise_subject(backend: Backend) {
    let app = spawn_app_with(backend, open_registration).await;
    let user = app.user(EMAIL).await;
    let key = keygen("ES256").await;
    let client_id =
        register_with_key_and(&app, &key.public, json!({"subject_type": "pairwise"})).await;
    let request = Request::PLAIN;

    let outcome = run_flow(&app, &client_id, Credentials::Key(key.private), request).await;

    let pairwise = auth_core::subject::pairwise(&app.provider, "127.0.0.1", user.id.as_str());
    assert_ne!(pairwise, user.id.as_str());
    assert_signed_in(&outcome, &pairwise, request);
}

/// Resource indicators (RFC 8707): openid-client names an API at the pushed authorization
/// request and the token endpoint; the access token is for that API alone, with the scope it
/// accepts.
#[both_backends]
async fn openid_client_gets_a_token_for_one_api(backend: Backend) {
    const TICKETS: &str = "https://tickets.example.com";
    let app = spawn_app_with(backend, |_| {}).await;
    app.user(EMAIL).await;
    let secret = app.code_client("webapp").await;
    auth_core::resources::register(
        &app.provider,
        TICKETS,
        "Tickets",
        auth_core::scope::Scope::parse("email").unwrap(),
    )
    .await
    .unwrap();
    let request = Request {
        par: true,
        resource: Some(TICKETS),
        ..Request::PLAIN
    };

    let outcome = run_flow(&app, "webapp", Credentials::Secret(secret), request).await;

    assert_eq!(
        outcome["ok"], true,
        "openid-client failed: {}",
        outcome["error"]
    );
    assert_eq!(outcome["refreshed"], true);
    let token = outcome["access_token"].as_str().unwrap();
    // Verified for the tickets API's audience by a JWT library nobody here wrote.
    let (_, claims) =
        auth_testkit::verify_with_jwks(&app.base_url, &app.http, token, &app.base_url, TICKETS)
            .await
            .expect("a token for the tickets API");
    assert_eq!(claims["scope"], "email");
}

/// How the client authenticates at the token and PAR endpoints.
enum Credentials {
    /// `client_secret_basic`.
    Secret(String),
    /// `private_key_jwt` with this private JWK, which also signs request objects.
    Key(Value),
}

/// How the client sends its authorization request.
#[derive(Clone, Copy)]
struct Request {
    /// Pushed first (RFC 9126).
    par: bool,
    /// As a signed request object (RFC 9101).
    jar: bool,
    /// With DPoP-bound tokens (RFC 9449).
    dpop: bool,
    /// For this API (RFC 8707 `resource`).
    resource: Option<&'static str>,
}

impl Request {
    /// Parameters in the URL, bearer tokens.
    const PLAIN: Self = Self {
        par: false,
        jar: false,
        dpop: false,
        resource: None,
    };
}

/// A client key pair as JWKs (with `kid`, `alg` and `use`), made by Node.
struct KeyPair {
    private: Value,
    public: Value,
}

fn open_registration(config: &mut auth_server::config::Config) {
    config.registration.mode = Mode::Open;
}

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// `node tests/interop/flow.mjs <argument>`; panics when openid-client is not installed.
fn flow_command(argument: &str) -> Command {
    let dir = interop_dir();
    assert!(
        dir.join("node_modules/openid-client").is_dir(),
        "openid-client is not installed in {}: run `npm ci --prefix tests/interop` (scripts/test does)",
        dir.display()
    );
    let mut command = Command::new("node");
    command.arg(dir.join("flow.mjs")).arg(argument);
    command
}

/// A client key pair for `alg`, made by `flow.mjs keygen`.
async fn keygen(alg: &str) -> KeyPair {
    let output = flow_command("keygen")
        .arg(alg)
        .output()
        .await
        .unwrap_or_else(|e| panic!("could not run node (is Node.js installed?): {e}"));
    assert!(
        output.status.success(),
        "flow.mjs keygen failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let pair: Value = serde_json::from_slice(&output.stdout).expect("keygen prints JSON");
    KeyPair {
        private: pair["private"].clone(),
        public: pair["public"].clone(),
    }
}

/// Registers a `private_key_jwt` code-flow client with `public_jwk` (RFC 7591); returns its id.
async fn register_with_key(app: &TestApp, public_jwk: &Value) -> String {
    register_with_key_and(app, public_jwk, json!({})).await
}

/// [`register_with_key`] with more metadata.
async fn register_with_key_and(app: &TestApp, public_jwk: &Value, more: Value) -> String {
    let mut metadata = json!({
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": { "keys": [public_jwk] },
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": SCOPE,
    });
    if let (Some(metadata), Some(more)) = (metadata.as_object_mut(), more.as_object()) {
        metadata.extend(more.clone());
    }
    let response = app
        .http
        .post(app.url("/register"))
        .json(&metadata)
        .send()
        .await
        .expect("POST /register");
    let status = response.status();
    let body = response
        .text()
        .await
        .expect("the registration response body");
    assert_eq!(
        status, 201,
        "registering a private_key_jwt client with an inline jwks failed: {body}"
    );
    let registered: Value = serde_json::from_str(&body).expect("registration answers JSON");
    registered["client_id"]
        .as_str()
        .expect("a client_id in the registration response")
        .to_owned()
}

/// Runs `flow.mjs` for `client_id` against `app`, signs in as [`EMAIL`] in between, and returns
/// the JSON line it ends with.
async fn run_flow(
    app: &TestApp,
    client_id: &str,
    credentials: Credentials,
    request: Request,
) -> Value {
    let mut input = json!({
        "issuer": app.base_url,
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "par": request.par,
        "jar": request.jar,
        "dpop": request.dpop,
        "resource": request.resource,
    });
    match credentials {
        Credentials::Secret(secret) => input["client_secret"] = json!(secret),
        Credentials::Key(jwk) => input["private_jwk"] = jwk,
    }
    let mut node = NodeFlow::start(&input.to_string());

    let first = node.next_line().await;
    let Some(authorize) = first["authorize"].as_str() else {
        panic!(
            "openid-client did not build an authorize URL: {first}; stderr:\n{}",
            node.stderr().await
        )
    };
    assert_request_travels_as_asked(authorize, request);
    let callback = app.authorize_as(&browser(), authorize, EMAIL).await;
    node.send_line(&callback).await;
    node.finish().await
}

/// The authorize URL carries the request the way `request` asks: a `request_uri` once pushed, a
/// `request` object when signed, the plain parameters otherwise; so a test cannot pass on a
/// flow it did not run.
fn assert_request_travels_as_asked(authorize: &str, request: Request) {
    let url = url::Url::parse(authorize).expect("an absolute authorize URL");
    let mut names: Vec<String> = url
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .collect();
    names.sort();
    let expected: &[&str] = match (request.par, request.jar) {
        (true, _) => &["client_id", "request_uri"],
        (false, true) => &["client_id", "request"],
        (false, false) => &[
            "client_id",
            "code_challenge",
            "code_challenge_method",
            "nonce",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
        ],
    };
    assert_eq!(names, expected, "the parameters of {authorize}");
}

/// `flow.mjs` running, its stdout read line by line.
struct NodeFlow {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl NodeFlow {
    fn start(input: &str) -> Self {
        let mut child = flow_command(input)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("could not run node (is Node.js installed?): {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        Self {
            child,
            stdout: BufReader::new(stdout).lines(),
        }
    }

    /// The next JSON line the script prints.
    async fn next_line(&mut self) -> Value {
        let line = tokio::time::timeout(STEP_TIMEOUT, self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("flow.mjs printed nothing for {STEP_TIMEOUT:?}"))
            .expect("read flow.mjs stdout");
        let Some(line) = line else {
            panic!("flow.mjs ended early; stderr:\n{}", self.stderr().await)
        };
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("flow.mjs printed `{line}`, not JSON: {e}"))
    }

    async fn send_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to flow.mjs");
        stdin.flush().await.expect("flush flow.mjs stdin");
    }

    /// The last line, once the script has exited with the status that line implies.
    async fn finish(mut self) -> Value {
        let outcome = self.next_line().await;
        let status = tokio::time::timeout(STEP_TIMEOUT, self.child.wait())
            .await
            .expect("flow.mjs exits after its last line")
            .expect("wait for flow.mjs");
        assert_eq!(
            status.success(),
            outcome["ok"] == true,
            "flow.mjs exited with {status} after printing {outcome}"
        );
        outcome
    }

    /// What the script wrote to stderr (it is ended first, so the read cannot hang).
    async fn stderr(&mut self) -> String {
        let _ = self.child.start_kill();
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut text).await;
        }
        text
    }
}

/// The flow succeeded for `user`: the ID token and userinfo name them, the refresh worked, and
/// the tokens are of the type `request` asked for.
/// Asserts the flow signed the user in, the client seeing them as `sub`.
fn assert_signed_in(outcome: &Value, sub: &str, request: Request) {
    assert_eq!(
        outcome["ok"], true,
        "openid-client failed: {}",
        outcome["error"]
    );
    assert_eq!(outcome["sub"], sub, "the ID token's sub");
    assert_eq!(
        outcome["id_token_claims"]["sub"], sub,
        "the ID token claims"
    );
    assert_eq!(outcome["userinfo"]["sub"], sub, "userinfo's sub");
    assert_eq!(outcome["userinfo"]["email"], EMAIL, "userinfo's email");
    assert_eq!(
        outcome["refreshed"], true,
        "a refresh token was issued and used"
    );
    let expected = if request.dpop { "DPoP" } else { "Bearer" };
    let token_type = outcome["token_type"].as_str().unwrap_or_default();
    assert!(
        token_type.eq_ignore_ascii_case(expected),
        "token_type is `{token_type}`, expected `{expected}`"
    );
}
