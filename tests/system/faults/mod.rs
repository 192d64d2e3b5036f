//! Faults: real `auth-server` processes killed with SIGKILL, and what they share.
//!
//! - Three replicas on one PostgreSQL database share a mixed load; one is killed in the middle
//!   and the other two keep serving without a single failed request, and agree afterwards on
//!   every token, revocation, refresh rotation and key.
//! - A server under sustained writes is killed at a random moment and restarted on the same
//!   SQLite file or PostgreSQL database: everything it acknowledged (a 2xx received) is there,
//!   and nothing is half-written.

mod crash;
mod killed_replica;

use crate::support::{
    PASSWORD, Pkce, REDIRECT_URI, TestDb, cli_command, db_count, form_field, query_of,
};
use auth_testkit::Fetch as _;
use serde_json::Value;
use std::process::Stdio;

/// One issuer for every process, so tokens of one are valid at the others and after restarts.
const ISSUER: &str = "http://127.0.0.1:1";

/// The server binary on `db`, as the fault tests configure it.
pub fn server_command(db: &TestDb, kek: &str, mail: &std::path::Path) -> std::process::Command {
    let mut command = cli_command(&db.url, kek);
    command
        .env("AUTH_ISSUER", ISSUER)
        // No in-memory copy of revocations or clients: a revocation acknowledged by one replica
        // is seen by the next request at any other, so the test can assert it at once instead
        // of waiting out the cache (1 s by default; `replicas.rs` covers that bound).
        .env("AUTH_DATABASE__CACHE_SECS", "0")
        .env("AUTH_KEYS__REFRESH_INTERVAL_SECS", "1")
        .env("AUTH_KEYS__PUBLISH_DELAY_SECS", "2")
        .env("AUTH_REGISTRATION__MODE", "open")
        .env("AUTH_RATE_LIMITS__SIGNUP_PER_IP__LIMIT", "1000000")
        .env("AUTH_RATE_LIMITS__LOGIN_PER_IP__LIMIT", "1000000")
        .env("AUTH_RATE_LIMITS__LOGIN_PER_ACCOUNT__LIMIT", "1000000")
        .env(
            "AUTH_RATE_LIMITS__CLIENT_REGISTRATION_PER_IP__LIMIT",
            "1000000",
        )
        .env(
            "AUTH_RATE_LIMITS__CLIENT_REGISTRATIONS_TOTAL__LIMIT",
            "1000000",
        )
        .env(
            "AUTH_RATE_LIMITS__PENDING_AUTHORIZATIONS_PER_IP__LIMIT",
            "1000000",
        )
        .env("AUTH_MAIL__FOLDER", mail);
    command
}

/// Runs a CLI command on the database and returns its JSON output.
fn cli_json(db: &TestDb, kek: &str, args: &[&str], stdin: Option<&str>) -> Value {
    use std::io::Write;
    let mut command = cli_command(&db.url, kek);
    command
        .args(args)
        .arg("--json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Secrets of the clients every fault test uses: `svc` (client_credentials, may ask for
/// `admin`) and `webapp` (a trusted code-flow client), and the user ann.
pub struct Fixtures {
    pub svc: String,
    pub webapp: String,
}

pub fn create_fixtures(db: &TestDb, kek: &str) -> Fixtures {
    let svc = cli_json(
        db,
        kek,
        &[
            "client", "create", "--name", "Svc", "--id", "svc", "--scope", "admin",
        ],
        None,
    );
    let webapp = cli_json(
        db,
        kek,
        &[
            "client",
            "create",
            "--name",
            "Web",
            "--id",
            "webapp",
            "--trusted",
            "--redirect-uri",
            REDIRECT_URI,
            "--scope",
            "openid offline_access",
        ],
        None,
    );
    cli_json(
        db,
        kek,
        &[
            "user",
            "create",
            "--email",
            "ann@example.com",
            "--verified",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    Fixtures {
        svc: svc["client_secret"].as_str().unwrap().to_owned(),
        webapp: webapp["client_secret"].as_str().unwrap().to_owned(),
    }
}

/// A random number below `n`.
pub fn random_below(n: u64) -> u64 {
    u64::try_from(uuid::Uuid::new_v4().as_u128() % u128::from(n)).unwrap()
}

/// Where a redirect from `base` goes, as an absolute URL.
fn location(base: &str, response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303, "expected a redirect");
    let location = response.headers()["location"].to_str().unwrap();
    if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location.to_owned()
    }
}

/// The browser side of the code flow for ann at `base` (trusted client: no consent page).
/// Returns the code, or `None` when the server went away.
pub async fn authorize_at(base: &str, browser: &reqwest::Client, pkce: &Pkce) -> Option<String> {
    let mut url = url::Url::parse(&format!("{base}/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "webapp")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid offline_access")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    let mut next = location(base, &browser.get(url.as_str()).send().await.ok()?);
    if next.contains("/login?") {
        let page = browser.get(&next).send().await.ok()?.text().await.ok()?;
        let form = [
            ("csrf_token", form_field(&page, "csrf_token").unwrap()),
            ("request", form_field(&page, "request").unwrap()),
            ("email", "ann@example.com".to_owned()),
            ("password", PASSWORD.to_owned()),
        ];
        let logged_in = browser
            .post(format!("{base}/login"))
            .form(&form)
            .send()
            .await
            .ok()?;
        let resume = location(base, &logged_in);
        next = location(base, &browser.get(&resume).send().await.ok()?);
    }
    assert!(next.starts_with(REDIRECT_URI), "{next}");
    Some(query_of(&next)["code"].clone())
}

pub fn token_form<'a>(grant: &'a str, pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("grant_type", grant)];
    form.extend_from_slice(pairs);
    form
}

pub async fn introspect(
    http: &reqwest::Client,
    base: &str,
    client: (&str, &str),
    token: &str,
) -> Value {
    let response = http
        .post(format!("{base}/introspect"))
        .basic_auth(client.0, Some(client.1))
        .form(&[("token", token)])
        .fetch()
        .await;
    assert_eq!(response.status(), 200, "introspection at {base}");
    response.json().await.unwrap()
}

pub fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Checks that hold for any database this server wrote, however it stopped.
pub async fn assert_consistent(url: &str) {
    let checks = [
        (
            "a used code without its token family, or a family without its code",
            "SELECT (SELECT COUNT(*) FROM authorization_codes c WHERE c.used_at IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM token_families f WHERE f.id = c.family_id)) + (SELECT COUNT(*) FROM token_families f \
             WHERE NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.family_id = f.id AND c.used_at IS NOT NULL))",
        ),
        (
            "a rotated refresh token without exactly one child (a family whose token count is not one more than its rotations)",
            "SELECT COUNT(*) FROM token_families f WHERE (SELECT COUNT(*) FROM refresh_tokens r WHERE r.family_id = f.id) \
             <> 1 + (SELECT COUNT(*) FROM refresh_tokens r WHERE r.family_id = f.id AND r.rotated_at IS NOT NULL)",
        ),
        (
            "a refresh token issued without its access token, or the reverse",
            "SELECT COUNT(*) FROM token_families f WHERE (SELECT COUNT(*) FROM refresh_tokens r WHERE r.family_id = f.id) \
             <> (SELECT COUNT(*) FROM family_access_tokens a WHERE a.family_id = f.id)",
        ),
        (
            "a confidential client without its secret hash",
            "SELECT COUNT(*) FROM clients WHERE auth_method <> 'none' AND secret_hash IS NULL",
        ),
        (
            "a dynamically registered client without its registration access token",
            "SELECT COUNT(*) FROM clients WHERE client_id NOT IN ('svc', 'webapp') AND registration_token_hash IS NULL",
        ),
    ];
    for (what, sql) in checks {
        assert_eq!(db_count(url, sql).await, 0, "{what}");
    }
}
