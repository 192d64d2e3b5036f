//! Three replicas on one PostgreSQL database share a mixed load; one is killed with SIGKILL.

use super::{
    assert_consistent, authorize_at, create_fixtures, introspect, kid_of, server_command,
    token_form,
};
use crate::support::{Backend, Pkce, REDIRECT_URI, ServerProcess, TestDb, browser, postgres_only};
use auth_testkit::Fetch as _;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The replica killed in the middle of the load.
const VICTIM: usize = 2;

/// What the load saw and was told.
#[derive(Default)]
struct Record {
    /// Requests to a live replica that failed, and 5xx answers from any replica.
    failures: Vec<String>,
    /// client_credentials tokens: (issued by replica, token).
    issued: Vec<(usize, String)>,
    /// Tokens whose revocation was acknowledged.
    revoked: HashSet<String>,
    /// Tokens whose revocation was sent to the victim and not answered: either way is right.
    in_doubt: HashSet<String>,
    /// Refresh tokens acknowledged, each once.
    refresh_tokens: Vec<String>,
    /// Chains still alive at the end: (previous refresh token, latest refresh token).
    chains: Vec<(String, String)>,
    /// Codes redeemed (acknowledged).
    codes: usize,
    /// Duplicate refreshes sent to two replicas at once, and how many won each.
    duplicate_winners: Vec<usize>,
}

struct Load {
    replicas: Vec<String>,
    http: reqwest::Client,
    svc: String,
    webapp: String,
    stop: AtomicBool,
    victim_dead: AtomicBool,
    turn: AtomicUsize,
    record: Mutex<Record>,
}

impl Load {
    /// Replicas taking load: all three, then the two survivors.
    fn live(&self) -> Vec<usize> {
        (0..self.replicas.len())
            .filter(|i| *i != VICTIM || !self.victim_dead.load(Ordering::SeqCst))
            .collect()
    }

    /// Three live replicas for the next operation (distinct while three are alive).
    fn pick(&self) -> [usize; 3] {
        let live = self.live();
        let k = self.turn.fetch_add(1, Ordering::SeqCst);
        [0, 1, 2].map(|j| live[(k + j) % live.len()])
    }

    fn fail(&self, what: String) {
        self.record.lock().unwrap().failures.push(what);
    }

    /// Sends `request` to replica `to`; `None` when it cannot be answered (the victim died, or a
    /// failure was recorded).
    async fn send(
        &self,
        to: usize,
        what: &str,
        request: reqwest::RequestBuilder,
    ) -> Option<reqwest::Response> {
        match request.send().await {
            Ok(response) if response.status().is_server_error() => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                self.fail(format!("{what} at replica {to}: {status} {body}"));
                None
            }
            Ok(response) => Some(response),
            Err(_) if to == VICTIM && self.victim_dead.load(Ordering::SeqCst) => None,
            Err(e) => {
                self.fail(format!("{what} at live replica {to}: {e}"));
                None
            }
        }
    }

    fn url(&self, replica: usize, path: &str) -> String {
        format!("{}{path}", self.replicas[replica])
    }

    async fn token_json(&self, to: usize, what: &str, form: &[(&str, &str)]) -> Option<Value> {
        let (id, secret) = if form.contains(&("grant_type", "client_credentials")) {
            ("svc", &self.svc)
        } else {
            ("webapp", &self.webapp)
        };
        let request = self
            .http
            .post(self.url(to, "/token"))
            .basic_auth(id, Some(secret))
            .form(form);
        let response = self.send(to, what, request).await?;
        if response.status() != 200 {
            let status = response.status();
            self.fail(format!(
                "{what} at replica {to}: {status} {}",
                response.text().await.unwrap_or_default()
            ));
            return None;
        }
        response.json().await.ok()
    }

    async fn is_active(&self, at: usize, client: (&str, &str), token: &str) -> Option<bool> {
        let request = self
            .http
            .post(self.url(at, "/introspect"))
            .basic_auth(client.0, Some(client.1))
            .form(&[("token", token)]);
        let body: Value = self
            .send(at, "introspection", request)
            .await?
            .json()
            .await
            .ok()?;
        Some(body["active"] == true)
    }

    /// Issue at one replica, see it active at another; now and then revoke at a third and see
    /// the revocation at every live replica.
    async fn client_credentials(&self, round: usize) {
        let [at, other, third] = self.pick();
        let form = token_form("client_credentials", &[]);
        let Some(body) = self.token_json(at, "client_credentials", &form).await else {
            return;
        };
        let token = body["access_token"].as_str().unwrap().to_owned();
        self.record.lock().unwrap().issued.push((at, token.clone()));
        let svc = ("svc", self.svc.as_str());
        if self.is_active(other, svc, &token).await == Some(false) {
            self.fail(format!(
                "a token of replica {at} is inactive at replica {other}"
            ));
        }
        if !round.is_multiple_of(3) {
            return;
        }
        let request = self
            .http
            .post(self.url(third, "/revoke"))
            .basic_auth("svc", Some(&self.svc))
            .form(&[("token", token.as_str())]);
        match self.send(third, "revocation", request).await {
            Some(response) if response.status() == 200 => {
                self.record.lock().unwrap().revoked.insert(token.clone());
                for replica in self.live() {
                    if self.is_active(replica, svc, &token).await == Some(true) {
                        self.fail(format!(
                            "a revocation at replica {third} is not seen at replica {replica}"
                        ));
                    }
                }
            }
            Some(response) => self.fail(format!("revocation: {}", response.status())),
            None => {
                self.record.lock().unwrap().in_doubt.insert(token);
            }
        }
    }

    /// One code flow: authorize and log in at one replica, redeem the code at another, rotate
    /// the refresh token at a third; every other chain ends with one refresh token sent to two
    /// replicas at once.
    async fn code_flow(&self, browser: &reqwest::Client, chain: usize) {
        let [authorize, redeem, refresh] = self.pick();
        let pkce = Pkce::new();
        let code = match authorize_at(&self.replicas[authorize], browser, &pkce).await {
            Some(code) => code,
            None if authorize == VICTIM && self.victim_dead.load(Ordering::SeqCst) => return,
            None => return self.fail(format!("authorize at live replica {authorize}")),
        };
        let form = token_form(
            "authorization_code",
            &[
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", pkce.verifier.as_str()),
            ],
        );
        let Some(tokens) = self.token_json(redeem, "code redemption", &form).await else {
            return;
        };
        let mut latest = tokens["refresh_token"].as_str().unwrap().to_owned();
        let mut previous = String::new();
        {
            let mut record = self.record.lock().unwrap();
            record.codes += 1;
            record.refresh_tokens.push(latest.clone());
        }
        for _ in 0..3 {
            let form = token_form("refresh_token", &[("refresh_token", latest.as_str())]);
            let Some(refreshed) = self.token_json(refresh, "refresh", &form).await else {
                return;
            };
            previous = std::mem::replace(
                &mut latest,
                refreshed["refresh_token"].as_str().unwrap().to_owned(),
            );
            self.record
                .lock()
                .unwrap()
                .refresh_tokens
                .push(latest.clone());
        }
        if chain.is_multiple_of(2) {
            self.record.lock().unwrap().chains.push((previous, latest));
            return;
        }
        // The same refresh token at two replicas at once: one child at most.
        let [first, second, _] = self.pick();
        let attempts = [first, second].map(|to| {
            let request = self
                .http
                .post(self.url(to, "/token"))
                .basic_auth("webapp", Some(&self.webapp))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", latest.as_str()),
                ]);
            async move { self.send(to, "duplicate refresh", request).await }
        });
        let answers = futures::future::join_all(attempts).await;
        let winners = answers
            .iter()
            .flatten()
            .filter(|r| r.status() == 200)
            .count();
        let all_answered = answers.iter().all(Option::is_some);
        if all_answered {
            self.record.lock().unwrap().duplicate_winners.push(winners);
        }
    }
}

#[postgres_only]
async fn three_replicas_share_a_mixed_load_and_survive_one_killed() {
    let db = TestDb::create(Backend::Postgres).await;
    let mail = tempfile::tempdir().unwrap();
    let (_, kek) = auth_core::kek::KeyEncryptionKey::generate().unwrap();
    let fixtures = create_fixtures(&db, &kek);
    let mut replicas: Vec<ServerProcess> = std::thread::scope(|s| {
        let started: Vec<_> = (0..3)
            .map(|_| s.spawn(|| ServerProcess::start(server_command(&db, &kek, mail.path()))))
            .collect();
        started.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let load = Arc::new(Load {
        replicas: replicas.iter().map(|r| r.base_url.clone()).collect(),
        http: reqwest::Client::new(),
        svc: fixtures.svc.clone(),
        webapp: fixtures.webapp.clone(),
        stop: AtomicBool::new(false),
        victim_dead: AtomicBool::new(false),
        turn: AtomicUsize::new(0),
        record: Mutex::default(),
    });

    let mut workers = Vec::new();
    for _ in 0..3 {
        let load = load.clone();
        workers.push(tokio::spawn(async move {
            let mut round = 0;
            while !load.stop.load(Ordering::SeqCst) {
                load.client_credentials(round).await;
                round += 1;
            }
        }));
    }
    for _ in 0..2 {
        let load = load.clone();
        workers.push(tokio::spawn(async move {
            // One browser per worker: it logs in once, at whichever replica it meets first, and
            // its session (in the database) serves every later authorization at any replica.
            let browser = browser();
            let mut chain = 0;
            while !load.stop.load(Ordering::SeqCst) {
                load.code_flow(&browser, chain).await;
                chain += 1;
            }
        }));
    }

    // An operator rotates the signing key at replica 0 through the admin API.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let admin: Value = load
        .http
        .post(load.url(0, "/token"))
        .basic_auth("svc", Some(&fixtures.svc))
        .form(&[("grant_type", "client_credentials"), ("scope", "admin")])
        .fetch_json()
        .await;
    let rotated = load
        .http
        .post(load.url(0, "/admin/keys/rotate"))
        .bearer_auth(admin["access_token"].as_str().unwrap())
        .json(&json!({}))
        .fetch()
        .await;
    assert_eq!(rotated.status(), 200);
    let new_kid = rotated.json::<Value>().await.unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // SIGKILL one replica in the middle of the load; the load balancer stops sending it work.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let before_kill = load.record.lock().unwrap().issued.len();
    load.victim_dead.store(true, Ordering::SeqCst);
    replicas[VICTIM].kill();
    // Past the publish delay, so the survivors sign with the new key for a while.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    load.stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }

    let record = std::mem::take(&mut *load.record.lock().unwrap());
    assert!(
        record.failures.is_empty(),
        "failed requests: {:#?}\n{}\n{}",
        record.failures,
        replicas[0].output(),
        replicas[1].output()
    );
    assert!(
        before_kill > 0 && record.issued.len() > before_kill,
        "load ran before and after the kill"
    );
    assert!(record.codes >= 4, "{} code flows", record.codes);
    assert!(
        !record.duplicate_winners.is_empty(),
        "duplicate refreshes were tried"
    );
    assert!(
        record.duplicate_winners.iter().all(|w| *w == 1),
        "{:?}",
        record.duplicate_winners
    );

    // Every survivor agrees on every acknowledged token and revocation, whoever issued it.
    let survivors = [0, 1];
    let svc = ("svc", fixtures.svc.as_str());
    for (issuer, token) in &record.issued {
        if record.in_doubt.contains(token) {
            continue;
        }
        let revoked = record.revoked.contains(token);
        for at in survivors {
            let body = introspect(&load.http, &load.replicas[at], svc, token).await;
            assert_eq!(
                body["active"], !revoked,
                "token of replica {issuer} at replica {at} (revoked: {revoked})"
            );
        }
    }
    // The new key signed at both survivors, and its live tokens are accepted by the other
    // (the load revokes every other token it gets, so only unrevoked ones are compared).
    for at in survivors {
        let signed: Vec<&String> = record
            .issued
            .iter()
            .filter(|(i, t)| *i == at && kid_of(t) == new_kid)
            .map(|(_, t)| t)
            .filter(|t| !record.revoked.contains(*t) && !record.in_doubt.contains(*t))
            .collect();
        assert!(!signed.is_empty(), "replica {at} signs with the new key");
        let other = 1 - at;
        assert_eq!(
            introspect(&load.http, &load.replicas[other], svc, signed[0]).await["active"],
            true
        );
    }
    // No refresh token was handed out twice; the chains that are still alive go on at one
    // survivor and their rotated-out tokens are refused at the other.
    let distinct: HashSet<&String> = record.refresh_tokens.iter().collect();
    assert_eq!(distinct.len(), record.refresh_tokens.len());
    for (previous, latest) in &record.chains {
        let web = |to: usize, token: &str| {
            load.http
                .post(load.url(to, "/token"))
                .basic_auth("webapp", Some(&fixtures.webapp))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
                .send()
        };
        assert_eq!(web(0, latest).await.unwrap().status(), 200);
        assert_eq!(web(1, previous).await.unwrap().status(), 400);
    }
    // In the database: one family per redeemed code, one child per rotated refresh token, one
    // access token per issued refresh token.
    assert_consistent(&db.url).await;
}
