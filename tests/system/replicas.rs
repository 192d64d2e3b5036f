//! Several server processes sharing one PostgreSQL database.

use crate::support::{Backend, ServerProcess, TestDb, cli_command, postgres_only};
use auth_testkit::Fetch as _;
use serde_json::Value;
use std::time::Duration;

fn replica(db: &TestDb, kek: &str) -> std::process::Command {
    let mut command = cli_command(&db.url, kek);
    command
        .env("AUTH_ISSUER", "http://127.0.0.1:1")
        .env("AUTH_KEYS__REFRESH_INTERVAL_SECS", "1")
        .env("AUTH_KEYS__PUBLISH_DELAY_SECS", "2");
    command
}

async fn kids(http: &reqwest::Client, server: &ServerProcess) -> Vec<String> {
    let jwks: Value = http.get(server.url("/jwks.json")).fetch_json().await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[postgres_only]
async fn two_replicas_share_tokens_revocations_and_key_rotations() {
    let db = TestDb::create(Backend::Postgres).await;
    let (_, kek) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    // Both start on the empty database at once and race to create the first key.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ServerProcess::start(replica(&db, &kek)));
        let b = s.spawn(|| ServerProcess::start(replica(&db, &kek)));
        (a.join().unwrap(), b.join().unwrap())
    });
    let http = reqwest::Client::new();
    let first_kids = kids(&http, &a).await;
    assert_eq!(first_kids.len(), 1, "one first key, whoever created it");
    assert_eq!(kids(&http, &b).await, first_kids);

    let created = auth_testkit::cli_run::run_to_success(
        cli_command(&db.url, &kek)
            .args(["client", "create", "--name", "Svc", "--id", "svc", "--json"]),
    );
    let secret = serde_json::from_slice::<Value>(&created.stdout).unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let token_at = |server: &ServerProcess| {
        let request = http
            .post(server.url("/token"))
            .basic_auth("svc", Some(&secret))
            .form(&[("grant_type", "client_credentials")]);
        async move {
            let body: Value = request.fetch_json().await;
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let introspect_at = |server: &ServerProcess, token: String| {
        let request = http
            .post(server.url("/introspect"))
            .basic_auth("svc", Some(&secret))
            .form(&[("token", token)]);
        async move {
            let body: Value = request.fetch_json().await;
            body["active"] == true
        }
    };

    let token = token_at(&a).await;
    assert!(
        introspect_at(&b, token.clone()).await,
        "a token from A is active at B"
    );
    // A reads its revocations now, so its in-memory copy is fresh when B revokes.
    assert!(introspect_at(&a, token.clone()).await);
    let revoked = http
        .post(b.url("/revoke"))
        .basic_auth("svc", Some(&secret))
        .form(&[("token", token.as_str())])
        .fetch()
        .await;
    assert_eq!(revoked.status(), 200);
    assert!(
        !introspect_at(&b, token.clone()).await,
        "a revocation is seen at once by the replica that made it"
    );
    // database.cache_secs (1 s by default) bounds how long A may still answer from its copy.
    let mut seen_at_a = false;
    for _ in 0..30 {
        if !introspect_at(&a, token.clone()).await {
            seen_at_a = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        seen_at_a,
        "a revocation at B is seen at A within the cache time"
    );

    let before_rotation = token_at(&b).await;
    // The operator rotates with the replicas' configuration (here: a 2 s publish delay).
    let rotated = replica(&db, &kek)
        .args(["keys", "rotate", "--json"])
        .output()
        .unwrap();
    assert!(rotated.status.success());
    let new_kid = serde_json::from_slice::<Value>(&rotated.stdout).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut published_everywhere = false;
    for _ in 0..40 {
        if kids(&http, &a).await.contains(&new_kid) && kids(&http, &b).await.contains(&new_kid) {
            published_everywhere = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        published_everywhere,
        "both replicas publish the new key without restart"
    );
    let mut signed_everywhere = false;
    for _ in 0..60 {
        if kid_of(&token_at(&a).await) == new_kid && kid_of(&token_at(&b).await) == new_kid {
            signed_everywhere = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        signed_everywhere,
        "both replicas sign with the new key after the publish delay"
    );
    assert!(
        introspect_at(&a, before_rotation.clone()).await,
        "tokens of the old key stay valid"
    );
    assert!(introspect_at(&b, before_rotation).await);
}

/// What a client sends once is once across replicas: a private_key_jwt assertion used at A is
/// refused at B, a DPoP proof too, and a pushed request made at A is taken at B, once.
#[postgres_only]
async fn single_use_client_jwts_and_pushed_requests_are_shared_by_replicas() {
    use auth_core::keys::SigningAlgorithm;
    use auth_testkit::{DpopKey, REDIRECT_URI, SigningClient, code_request};
    const ISSUER: &str = "http://127.0.0.1:1";
    let db = TestDb::create(Backend::Postgres).await;
    let (_, kek) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    let a = ServerProcess::start(replica(&db, &kek));
    let b = ServerProcess::start(replica(&db, &kek));
    let http = reqwest::Client::new();

    // A private_key_jwt client, created with the CLI as an operator would.
    let mut client = SigningClient::new("keyed", SigningAlgorithm::Es256, ISSUER);
    let folder = tempfile::tempdir().unwrap();
    let jwks_file = folder.path().join("keyed.jwks.json");
    std::fs::write(&jwks_file, client.jwks().to_string()).unwrap();
    auth_testkit::cli_run::run_to_success(
        replica(&db, &kek)
            .args(["client", "create", "--name", "Keyed", "--id", "keyed"])
            .args([
                "--auth-method",
                "private_key_jwt",
                "--grant",
                "client_credentials",
            ])
            .args([
                "--grant",
                "authorization_code",
                "--redirect-uri",
                REDIRECT_URI,
            ])
            .args(["--scope", "openid profile email"])
            .arg("--jwks-file")
            .arg(&jwks_file),
    );
    client.now = auth_core::clock::Clock::unix(&auth_core::clock::SystemClock);

    let token_at = |server: &ServerProcess, auth: Vec<(String, String)>, proof: Option<String>| {
        let mut form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
        form.extend(auth);
        let mut request = http.post(server.url("/token")).form(&form);
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        async move {
            let response = request.fetch().await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let assertion = client.assertion();
    assert_eq!(
        token_at(&a, client.auth_with(&assertion), None).await.0,
        200
    );
    let (status, body) = token_at(&b, client.auth_with(&assertion), None).await;
    assert_eq!(
        status, 401,
        "the assertion used at A is refused at B: {body}"
    );

    let key = DpopKey::new(SigningAlgorithm::Es256, client.now);
    let proof = key.proof("POST", &format!("{ISSUER}/token"), None, None);
    let (status, body) = token_at(&a, client.auth(), Some(proof.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let (status, body) = token_at(&b, client.auth(), Some(proof)).await;
    assert_eq!(status, 400, "the proof used at A is refused at B: {body}");
    assert_eq!(body["error"], "invalid_dpop_proof");

    let pkce = auth_testkit::Pkce::new();
    let mut form: Vec<(String, String)> = code_request("keyed", &pkce.challenge)
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    form.extend(client.auth());
    let pushed: Value = http.post(a.url("/par")).form(&form).fetch_json().await;
    let request_uri = pushed["request_uri"]
        .as_str()
        .unwrap_or_else(|| panic!("pushed at A: {pushed}"));
    let authorize = |server: &ServerProcess| {
        let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", "keyed")
            .append_pair("request_uri", request_uri);
        let request = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(url.as_str());
        async move { request.fetch().await.status().as_u16() }
    };
    assert_eq!(
        authorize(&b).await,
        303,
        "the request pushed at A is taken at B"
    );
    assert_eq!(authorize(&a).await, 400, "and only once");
}
