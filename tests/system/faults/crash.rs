//! A server killed with SIGKILL under sustained writes, restarted on the same database.

use super::{
    Fixtures, assert_consistent, authorize_at, create_fixtures, introspect, random_below,
    server_command,
};
use crate::support::{
    Backend, Pkce, REDIRECT_URI, ServerProcess, TestDb, both_backends, browser, db_count,
};
use auth_testkit::Fetch as _;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A registration the server acknowledged.
struct Registered {
    client_id: String,
    secret: String,
    access_token: String,
}

/// A refresh chain: its acknowledged tokens in order, and whether a refresh was unanswered
/// when the server died (then the last acknowledged token may or may not have been rotated).
#[derive(Default)]
struct Chain {
    tokens: Vec<String>,
    in_doubt: bool,
}

/// Everything acknowledged, over all kills.
#[derive(Default)]
struct Ledger {
    registered: Vec<Registered>,
    /// client_credentials tokens and whether their revocation was acknowledged.
    tokens: Vec<(String, bool)>,
    chains: Vec<Chain>,
    /// A request answered 5xx or otherwise unexpected while the server was alive.
    failures: Vec<String>,
}

/// Sends requests until one gets no answer (the server died); records what was acknowledged.
async fn write_until_killed(
    base: String,
    fixtures: Arc<Fixtures>,
    ledger: Arc<Mutex<Ledger>>,
    worker: usize,
) {
    let http = reqwest::Client::new();
    let fail = |what: String| ledger.lock().unwrap().failures.push(what);
    match worker {
        // RFC 7591 registrations.
        0 => loop {
            let Ok(response) = http
                .post(format!("{base}/register"))
                .json(&json!({
                    "client_name": "Crash test",
                    "redirect_uris": ["https://app.example.com/cb"]
                }))
                .send()
                .await
            else {
                return;
            };
            if response.status() != 201 {
                return fail(format!("registration: {}", response.status()));
            }
            let Ok(body) = response.json::<Value>().await else {
                return;
            };
            ledger.lock().unwrap().registered.push(Registered {
                client_id: body["client_id"].as_str().unwrap().to_owned(),
                secret: body["client_secret"].as_str().unwrap().to_owned(),
                access_token: body["registration_access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            });
        },
        // client_credentials tokens, every other one revoked.
        1 => loop {
            let Ok(response) = http
                .post(format!("{base}/token"))
                .basic_auth("svc", Some(&fixtures.svc))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
            else {
                return;
            };
            if response.status() != 200 {
                return fail(format!("client_credentials: {}", response.status()));
            }
            let Ok(body) = response.json::<Value>().await else {
                return;
            };
            let token = body["access_token"].as_str().unwrap().to_owned();
            let index = {
                let mut ledger = ledger.lock().unwrap();
                ledger.tokens.push((token.clone(), false));
                ledger.tokens.len() - 1
            };
            if index % 2 == 0 {
                continue;
            }
            let Ok(response) = http
                .post(format!("{base}/revoke"))
                .basic_auth("svc", Some(&fixtures.svc))
                .form(&[("token", token.as_str())])
                .send()
                .await
            else {
                // Unanswered: the revocation may or may not have happened.
                ledger.lock().unwrap().tokens.pop();
                return;
            };
            if response.status() != 200 {
                return fail(format!("revocation: {}", response.status()));
            }
            ledger.lock().unwrap().tokens[index].1 = true;
        },
        // A code flow, then refresh rotation.
        _ => {
            let browser = browser();
            let pkce = Pkce::new();
            let Some(code) = authorize_at(&base, &browser, &pkce).await else {
                return;
            };
            let Ok(response) = http
                .post(format!("{base}/token"))
                .basic_auth("webapp", Some(&fixtures.webapp))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", pkce.verifier.as_str()),
                ])
                .send()
                .await
            else {
                return;
            };
            if response.status() != 200 {
                return fail(format!("code redemption: {}", response.status()));
            }
            let Ok(body) = response.json::<Value>().await else {
                return;
            };
            let chain = {
                let mut ledger = ledger.lock().unwrap();
                ledger.chains.push(Chain {
                    tokens: vec![body["refresh_token"].as_str().unwrap().to_owned()],
                    in_doubt: false,
                });
                ledger.chains.len() - 1
            };
            loop {
                let latest = ledger.lock().unwrap().chains[chain]
                    .tokens
                    .last()
                    .unwrap()
                    .clone();
                let answer = http
                    .post(format!("{base}/token"))
                    .basic_auth("webapp", Some(&fixtures.webapp))
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", latest.as_str()),
                    ])
                    .send()
                    .await;
                let body = match answer {
                    Ok(response) if response.status() == 200 => response.json::<Value>().await.ok(),
                    Ok(response) => {
                        return fail(format!("refresh {worker}: {}", response.status()));
                    }
                    Err(_) => None,
                };
                let mut ledger = ledger.lock().unwrap();
                match body {
                    Some(body) => ledger.chains[chain]
                        .tokens
                        .push(body["refresh_token"].as_str().unwrap().to_owned()),
                    None => {
                        ledger.chains[chain].in_doubt = true;
                        return;
                    }
                }
            }
        }
    }
}

/// Checks the database of a killed server: nothing half-written.
async fn assert_nothing_half_written(url: &str) {
    if url.starts_with("sqlite:") {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(integrity, "ok");
        conn.close().await.unwrap();
        let dangling = db_count(url, "SELECT COUNT(*) FROM pragma_foreign_key_check()").await;
        assert_eq!(dangling, 0, "rows pointing at missing rows");
    }
    assert_consistent(url).await;
}

/// Checks every acknowledged write at the restarted server.
async fn assert_acknowledged(base: &str, fixtures: &Fixtures, ledger: &mut Ledger) {
    let http = reqwest::Client::new();
    for client in &ledger.registered {
        // RFC 7592 read with the registration access token, and client authentication.
        let read = http
            .get(format!("{base}/register/{}", client.client_id))
            .bearer_auth(&client.access_token)
            .fetch()
            .await;
        assert_eq!(read.status(), 200, "registration of {}", client.client_id);
        let authenticated = http
            .post(format!("{base}/introspect"))
            .basic_auth(&client.client_id, Some(&client.secret))
            .form(&[("token", "not-a-token")])
            .fetch()
            .await;
        assert_eq!(
            authenticated.status(),
            200,
            "client {} authenticates",
            client.client_id
        );
    }
    let svc = ("svc", fixtures.svc.as_str());
    for (token, revoked) in &ledger.tokens {
        assert_eq!(
            introspect(&http, base, svc, token).await["active"],
            !revoked,
            "revoked: {revoked}"
        );
    }
    for chain in std::mem::take(&mut ledger.chains) {
        let refresh = |token: &str| {
            http.post(format!("{base}/token"))
                .basic_auth("webapp", Some(&fixtures.webapp))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
                .send()
        };
        let latest = chain.tokens.last().unwrap();
        let status = refresh(latest).await.unwrap().status();
        if chain.in_doubt {
            // The unanswered refresh may have rotated it: then this is a reuse, refused.
            assert!(status == 200 || status == 400, "{status}");
        } else {
            assert_eq!(status, 200, "the latest acknowledged refresh token works");
        }
        if let [.., previous, _] = chain.tokens.as_slice() {
            let reuse: Value = refresh(previous).await.unwrap().json().await.unwrap();
            assert_eq!(
                reuse["error"], "invalid_grant",
                "a rotated-out refresh token is refused"
            );
        }
    }
}

async fn writes_survive_sigkill(backend: Backend) {
    const KILLS: usize = 3;
    let db = TestDb::create(backend).await;
    let mail = tempfile::tempdir().unwrap();
    let (_, kek) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    let fixtures = Arc::new(create_fixtures(&db, &kek));
    let mut ledger = Ledger::default();
    let mut counts = Vec::new();
    for kill in 0..KILLS {
        let mut server = ServerProcess::start(server_command(&db, &kek, mail.path()));
        if kill > 0 {
            assert_acknowledged(&server.base_url, &fixtures, &mut ledger).await;
        }
        let acknowledged = |ledger: &Ledger| ledger.registered.len() + ledger.tokens.len();
        let before = acknowledged(&ledger);
        let shared = Arc::new(Mutex::new(std::mem::take(&mut ledger)));
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                tokio::spawn(write_until_killed(
                    server.base_url.clone(),
                    fixtures.clone(),
                    shared.clone(),
                    worker,
                ))
            })
            .collect();
        // The kill lands at a random moment after the writers got going: on a busy machine the
        // first acknowledged write can take longer than any fixed delay, and a round without one
        // would test nothing.
        let started = std::time::Instant::now();
        while acknowledged(&shared.lock().unwrap()) == before {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no write was acknowledged within 60 s\n{}",
                server.output()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300 + random_below(900))).await;
        server.kill();
        for worker in workers {
            worker.await.unwrap();
        }
        ledger = std::mem::take(&mut *shared.lock().unwrap());
        assert!(
            ledger.failures.is_empty(),
            "{:?}\n{}",
            ledger.failures,
            server.output()
        );
        counts.push((
            ledger.registered.len(),
            ledger.tokens.len(),
            ledger.chains.iter().map(|c| c.tokens.len()).sum::<usize>(),
        ));
        assert_nothing_half_written(&db.url).await;
    }
    let server = ServerProcess::start(server_command(&db, &kek, mail.path()));
    assert_acknowledged(&server.base_url, &fixtures, &mut ledger).await;
    assert!(
        counts
            .windows(2)
            .all(|w| w[1].0 > w[0].0 && w[1].1 > w[0].1),
        "writes at every kill: {counts:?}"
    );
    eprintln!("acknowledged (registrations, tokens, refresh tokens) after each kill: {counts:?}");
}

#[both_backends]
async fn acknowledged_writes_survive_sigkill(backend: Backend) {
    writes_survive_sigkill(backend).await;
}
