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

    let created = cli_command(&db.url, &kek)
        .args(["client", "create", "--name", "Svc", "--id", "svc", "--json"])
        .output()
        .unwrap();
    assert!(created.status.success());
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
