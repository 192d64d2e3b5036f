//! Passkeys at the JSON ceremony endpoints (issue 23): who may start and finish each ceremony,
//! and what a forged, replayed or misdirected answer gets.
//!
//! The authenticator is [`SoftAuthenticator`]: a P-256 key (aws-lc-rs) that answers the
//! server's options as a CTAP2 authenticator would, with real signatures, `none` attestation
//! and a signature counter the test controls. The browser is reqwest with a cookie jar; the
//! server, database and WebAuthn checks are the real ones. Chromium's own virtual authenticator
//! is used by `tests/system/passkeys_browser.rs`.

use crate::support::{
    Backend, PASSWORD, TestApp, both_backends, browser, form_field, spawn_app_on_localhost,
};
use auth_core::store::AuditFilter;
use auth_testkit::Fetch as _;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// A software authenticator holding one discoverable credential.
struct SoftAuthenticator {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
    origin: String,
}

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    match bytes.len() {
        n if n < 24 => out.push(0x40 | u8::try_from(n).unwrap()),
        n if n < 256 => out.extend([0x58, u8::try_from(n).unwrap()]),
        n => {
            out.push(0x59);
            out.extend(u16::try_from(n).unwrap().to_be_bytes());
        }
    }
    out.extend(bytes);
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    out.push(0x60 | u8::try_from(text.len()).unwrap());
    out.extend(text.as_bytes());
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SoftAuthenticator {
    fn new(app: &TestApp) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let mut credential_id = vec![0u8; 16];
        aws_lc_rs::rand::fill(&mut credential_id).unwrap();
        Self {
            key,
            credential_id,
            user_handle: Vec::new(),
            counter: 0,
            origin: app.base_url.clone(),
        }
    }

    fn rp_id_hash(&self) -> Vec<u8> {
        let host = url::Url::parse(&self.origin)
            .unwrap()
            .host_str()
            .unwrap()
            .to_owned();
        digest(&SHA256, host.as_bytes()).as_ref().to_vec()
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// The answer to `navigator.credentials.create` with `options`.
    fn register(&mut self, options: &Value) -> String {
        let public_key = &options["publicKey"];
        self.user_handle = URL_SAFE_NO_PAD
            .decode(public_key["user"]["id"].as_str().unwrap())
            .unwrap();
        let point = self.key.public_key().as_ref();
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut cose, &point[1..33]);
        cose.push(0x22);
        cbor_bytes(&mut cose, &point[33..65]);
        let mut auth_data = self.rp_id_hash();
        auth_data.push(UP | UV | AT);
        auth_data.extend(self.counter.to_be_bytes());
        auth_data.extend([0u8; 16]);
        auth_data.extend(
            u16::try_from(self.credential_id.len())
                .unwrap()
                .to_be_bytes(),
        );
        auth_data.extend(&self.credential_id);
        auth_data.extend(cose);
        let mut attestation = vec![0xa3];
        cbor_text(&mut attestation, "fmt");
        cbor_text(&mut attestation, "none");
        cbor_text(&mut attestation, "attStmt");
        attestation.push(0xa0);
        cbor_text(&mut attestation, "authData");
        cbor_bytes(&mut attestation, &auth_data);
        let challenge = public_key["challenge"].as_str().unwrap();
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&self.client_data("webauthn.create", challenge)),
            },
            "extensions": {},
        })
        .to_string()
    }

    /// The answer to `navigator.credentials.get` for `challenge`, counter moved on by one.
    fn assert_challenge(&mut self, challenge: &str) -> String {
        self.counter += 1;
        let mut auth_data = self.rp_id_hash();
        auth_data.push(UP | UV);
        auth_data.extend(self.counter.to_be_bytes());
        let client_data = self.client_data("webauthn.get", challenge);
        let mut signed = auth_data.clone();
        signed.extend(digest(&SHA256, &client_data).as_ref());
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
            "extensions": {},
        })
        .to_string()
    }

    fn assert(&mut self, options: &Value) -> String {
        let challenge = options["publicKey"]["challenge"]
            .as_str()
            .unwrap()
            .to_owned();
        self.assert_challenge(&challenge)
    }
}

/// The CSRF token of the page at `path` in `browser`.
async fn csrf(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    app.form_page(browser, &app.url(path)).await.1
}

/// Posts `fields` (and the CSRF token) to `path`; the status and the JSON answer.
async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![("csrf_token", csrf)];
    form.extend_from_slice(fields);
    let response = browser.post(app.url(path)).form(&form).fetch().await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A browser signed in as `email` (with its password).
async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let b = browser();
    let response = app.log_in(&b, &app.url("/login"), email, PASSWORD).await;
    assert_eq!(response.status(), 303, "the password login failed");
    b
}

/// Registers a passkey for the user signed in to `b`; returns its public id.
async fn register(app: &TestApp, b: &reqwest::Client, key: &mut SoftAuthenticator) -> String {
    let token = csrf(app, b, "/account").await;
    let (status, options) = post(app, b, &token, "/account/passkeys/register/options", &[]).await;
    assert_eq!(status, 200, "{options}");
    let answer = key.register(&options);
    let handle = options["handle"].as_str().unwrap();
    let (status, done) = post(
        app,
        b,
        &token,
        "/account/passkeys/register",
        &[
            ("handle", handle),
            ("name", "Laptop"),
            ("credential", &answer),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["redirect"], "/account?notice=passkey-added");
    app.provider
        .store()
        .passkey_by_credential(&key.credential_id)
        .await
        .unwrap()
        .expect("the passkey is stored")
        .id
}

/// A discoverable sign-in in a fresh browser: the options' status and answer, then the
/// finish's status and answer.
async fn sign_in_with(app: &TestApp, key: &mut SoftAuthenticator) -> (reqwest::Client, u16, Value) {
    let b = browser();
    let token = csrf(app, &b, "/login").await;
    let (status, options) = post(app, &b, &token, "/login/passkey/options", &[]).await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(options["mediation"], "conditional");
    let answer = key.assert(&options);
    let handle = options["handle"].as_str().unwrap().to_owned();
    let (status, body) = post(
        app,
        &b,
        &token,
        "/login/passkey",
        &[("handle", &handle), ("credential", &answer)],
    )
    .await;
    (b, status, body)
}

async fn audit_count(app: &TestApp, event: &str) -> usize {
    app.provider
        .store()
        .audit_events(&AuditFilter {
            event: Some(event.into()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .len()
}

#[both_backends]
async fn a_registered_passkey_signs_in_without_an_email_address_as_multi_factor(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    let user = app.user("ann@example.com").await;
    let b = signed_in(&app, "ann@example.com").await;
    let mut key = SoftAuthenticator::new(&app);
    register(&app, &b, &mut key).await;
    let account = b.get(app.url("/account")).fetch_text().await;
    assert!(account.contains("Laptop"), "{account}");

    let (signed, status, body) = sign_in_with(&app, &mut key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["redirect"], "/account");
    let account = signed.get(app.url("/account")).fetch().await;
    assert_eq!(
        account.status(),
        200,
        "the passkey's session opens the account page"
    );
    let now = app.provider.clock().unix();
    let sessions = app
        .provider
        .store()
        .user_sessions(&user.id, now)
        .await
        .unwrap();
    let newest = sessions.iter().max_by_key(|s| s.created_at).unwrap();
    // RFC 8176: a key bound to its authenticator (not backup eligible), user verification.
    assert!(
        newest.amr.iter().any(|m| m == "hwk")
            && newest.amr.iter().any(|m| m == "user")
            && newest.amr.iter().any(|m| m == "mfa"),
        "{:?}",
        newest.amr
    );
    let stored = app
        .provider
        .store()
        .passkey_by_credential(&key.credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sign_count, 1);
    assert!(stored.last_used_at.is_some());
    assert!(!stored.backup_eligible);
    assert_eq!(audit_count(&app, "passkey_registered").await, 1);
}

#[both_backends]
async fn registering_needs_a_session_and_a_recent_sign_in_or_the_password(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    app.user("ann@example.com").await;

    let anonymous = browser();
    let token = csrf(&app, &anonymous, "/login").await;
    for path in [
        "/account/passkeys/register/options",
        "/account/passkeys/register",
    ] {
        let (status, body) = post(&app, &anonymous, &token, path, &[]).await;
        assert_eq!(status, 401, "{path} without a session: {body}");
    }

    let b = signed_in(&app, "ann@example.com").await;
    app.clock.advance(time::Duration::minutes(10));
    let token = csrf(&app, &b, "/account").await;
    let path = "/account/passkeys/register/options";
    let (status, body) = post(&app, &b, &token, path, &[]).await;
    assert_eq!(status, 403, "an old sign-in without the password: {body}");
    let (status, _) = post(&app, &b, &token, path, &[("current_password", "wrong one")]).await;
    assert_eq!(status, 403, "a wrong password");
    let (status, options) = post(&app, &b, &token, path, &[("current_password", PASSWORD)]).await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
}

#[both_backends]
async fn a_replayed_forged_or_misdirected_ceremony_is_refused(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let b = signed_in(&app, "ann@example.com").await;
    let mut key = SoftAuthenticator::new(&app);

    // A registration answer posted twice: the ceremony is single use.
    let token = csrf(&app, &b, "/account").await;
    let (_, options) = post(&app, &b, &token, "/account/passkeys/register/options", &[]).await;
    let answer = key.register(&options);
    let handle = options["handle"].as_str().unwrap().to_owned();
    let fields = [
        ("handle", handle.as_str()),
        ("name", "Laptop"),
        ("credential", answer.as_str()),
    ];
    let (status, _) = post(&app, &b, &token, "/account/passkeys/register", &fields).await;
    assert_eq!(status, 200);
    let (status, body) = post(&app, &b, &token, "/account/passkeys/register", &fields).await;
    assert_eq!(status, 400, "a replayed registration: {body}");
    // The same credential in a new ceremony: excluded for its owner (webauthn-rs refuses an
    // excluded credential), and registered once across users (W3C WebAuthn L3 section 7.1
    // step 25, the unique credential id).
    let (_, options) = post(&app, &b, &token, "/account/passkeys/register/options", &[]).await;
    let excluded = options["publicKey"]["excludeCredentials"][0]["id"].clone();
    assert_eq!(excluded, b64(&key.credential_id));
    let again = key.register(&options);
    let handle = options["handle"].as_str().unwrap().to_owned();
    let (status, body) = post(
        &app,
        &b,
        &token,
        "/account/passkeys/register",
        &[
            ("handle", &handle),
            ("name", "Again"),
            ("credential", &again),
        ],
    )
    .await;
    assert_eq!(status, 401, "an excluded credential: {body}");
    app.user("bob@example.com").await;
    let bob = signed_in(&app, "bob@example.com").await;
    let bob_token = csrf(&app, &bob, "/account").await;
    let (_, options) = post(
        &app,
        &bob,
        &bob_token,
        "/account/passkeys/register/options",
        &[],
    )
    .await;
    let ann_handle = key.user_handle.clone();
    let stolen = key.register(&options);
    key.user_handle = ann_handle;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let (status, body) = post(
        &app,
        &bob,
        &bob_token,
        "/account/passkeys/register",
        &[
            ("handle", &handle),
            ("name", "Ann's"),
            ("credential", &stolen),
        ],
    )
    .await;
    assert_eq!(status, 409, "a credential of another user: {body}");

    // A sign-in: the answer's challenge must be the ceremony's, the handle this browser's.
    let other = browser();
    let other_token = csrf(&app, &other, "/login").await;
    let attacker = browser();
    let attacker_token = csrf(&app, &attacker, "/login").await;
    let (_, options) = post(&app, &other, &other_token, "/login/passkey/options", &[]).await;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let signed = key.assert(&options);
    // Another browser cannot finish it (and burns it).
    let (status, body) = post(
        &app,
        &attacker,
        &attacker_token,
        "/login/passkey",
        &[("handle", &handle), ("credential", &signed)],
    )
    .await;
    assert_eq!(status, 400, "another browser's ceremony: {body}");
    let (status, _) = post(
        &app,
        &other,
        &other_token,
        "/login/passkey",
        &[("handle", &handle), ("credential", &signed)],
    )
    .await;
    assert_eq!(status, 400, "the ceremony was used up");

    // A forged handle.
    let (status, _) = post(
        &app,
        &other,
        &other_token,
        "/login/passkey",
        &[("handle", "pk_forged"), ("credential", &signed)],
    )
    .await;
    assert_eq!(status, 400, "a forged handle");

    // A signature over a challenge the server did not issue.
    let (_, options) = post(&app, &other, &other_token, "/login/passkey/options", &[]).await;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let forged = key.assert_challenge(&b64(b"a challenge the server never issued"));
    let (status, body) = post(
        &app,
        &other,
        &other_token,
        "/login/passkey",
        &[("handle", &handle), ("credential", &forged)],
    )
    .await;
    assert_eq!(status, 401, "a signature over another challenge: {body}");

    // Garbage instead of a credential.
    let (_, options) = post(&app, &other, &other_token, "/login/passkey/options", &[]).await;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let (status, _) = post(
        &app,
        &other,
        &other_token,
        "/login/passkey",
        &[("handle", &handle), ("credential", "{\"id\": 1}")],
    )
    .await;
    assert_eq!(status, 401);
    let now = app.provider.clock().unix();
    let user = app
        .provider
        .store()
        .user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.provider
            .store()
            .user_sessions(&user.id, now)
            .await
            .unwrap()
            .len(),
        1,
        "only the password's session exists"
    );
}

#[both_backends]
async fn a_signature_counter_that_goes_backwards_is_refused_and_audited(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let b = signed_in(&app, "ann@example.com").await;
    let mut key = SoftAuthenticator::new(&app);
    register(&app, &b, &mut key).await;
    key.counter = 10;
    let (_, status, _) = sign_in_with(&app, &mut key).await;
    assert_eq!(status, 200);
    // A clone of the key, copied when the counter was lower.
    key.counter = 4;
    let (_, status, body) = sign_in_with(&app, &mut key).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("counter"),
        "{body}"
    );
    // The same counter again is a clone too (W3C WebAuthn L3 section 7.2 step 22).
    key.counter = 10;
    let (_, status, _) = sign_in_with(&app, &mut key).await;
    assert_eq!(status, 401);
    assert_eq!(audit_count(&app, "passkey_refused").await, 2);
    let stored = app
        .provider
        .store()
        .passkey_by_credential(&key.credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sign_count, 11);
}

#[both_backends]
async fn another_users_passkey_cannot_be_renamed_removed_or_used_as_a_second_step(
    backend: Backend,
) {
    let app = spawn_app_on_localhost(backend, |c| c.account.email_code_second_factor = true).await;
    app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    // Ann signs in with her password and an e-mailed code... no: registering needs only a
    // recent sign-in, so the password step of the second-factor page is enough to test; Ann
    // gets her passkey through the store-backed ceremony after a full login.
    let ann = browser();
    let page = app
        .log_in(&ann, &app.url("/login"), "ann@example.com", PASSWORD)
        .await;
    let html = page.text().await.unwrap();
    let challenge = form_field(&html, "challenge").expect("a second step is asked");
    assert!(
        !html.contains("id=\"use-passkey\""),
        "no passkey button for a user without one"
    );
    let token = csrf(&app, &ann, "/login").await;
    // Ann has no passkey yet: the second-step options are refused.
    let (status, _) = post(
        &app,
        &ann,
        &token,
        "/login/second-factor/passkey/options",
        &[("challenge", &challenge)],
    )
    .await;
    assert_eq!(status, 401);

    // Ann's passkey, registered in a session the test opens for her.
    let ann_user = app
        .provider
        .store()
        .user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    let ann_session = session_browser(&app, &ann_user).await;
    let mut ann_key = SoftAuthenticator::new(&app);
    let ann_passkey = register(&app, &ann_session, &mut ann_key).await;

    // Bob, signed in, names Ann's passkey in his forms.
    let bob_user = app
        .provider
        .store()
        .user_by_email("bob@example.com")
        .await
        .unwrap()
        .unwrap();
    let bob = session_browser(&app, &bob_user).await;
    let token = csrf(&app, &bob, "/account").await;
    let (status, _) = post(
        &app,
        &bob,
        &token,
        "/account/passkeys/remove",
        &[("passkey", &ann_passkey), ("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 404, "Bob cannot remove Ann's passkey");
    let (status, _) = post(
        &app,
        &bob,
        &token,
        "/account/passkeys/rename",
        &[("passkey", &ann_passkey), ("name", "mine now")],
    )
    .await;
    assert_eq!(status, 404, "Bob cannot rename Ann's passkey");
    let stored = app
        .provider
        .store()
        .user_passkeys(&ann_user.id)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Laptop");

    // With her passkey, Ann's second step offers it.
    let page = app
        .log_in(&browser(), &app.url("/login"), "ann@example.com", PASSWORD)
        .await;
    assert!(page.text().await.unwrap().contains("id=\"use-passkey\""));

    // Bob passes his password; Ann's passkey does not pass his second step.
    let bob_login = browser();
    let page = app
        .log_in(&bob_login, &app.url("/login"), "bob@example.com", PASSWORD)
        .await;
    let html = page.text().await.unwrap();
    let challenge = form_field(&html, "challenge").unwrap();
    let token = form_field(&html, "csrf_token").unwrap();
    let mut bob_key = SoftAuthenticator::new(&app);
    let bob_session = session_browser(&app, &bob_user).await;
    register(&app, &bob_session, &mut bob_key).await;
    let (status, options) = post(
        &app,
        &bob_login,
        &token,
        "/login/second-factor/passkey/options",
        &[("challenge", &challenge)],
    )
    .await;
    assert_eq!(status, 200, "{options}");
    let handle = options["handle"].as_str().unwrap().to_owned();
    let answer = ann_key.assert(&options);
    let (status, body) = post(
        &app,
        &bob_login,
        &token,
        "/login/second-factor/passkey",
        &[
            ("challenge", &challenge),
            ("handle", &handle),
            ("credential", &answer),
        ],
    )
    .await;
    assert_eq!(status, 401, "Ann's passkey for Bob: {body}");

    // His own passkey does, with a fresh ceremony (the refused one is used up).
    let (_, options) = post(
        &app,
        &bob_login,
        &token,
        "/login/second-factor/passkey/options",
        &[("challenge", &challenge)],
    )
    .await;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let answer = bob_key.assert(&options);
    let (status, body) = post(
        &app,
        &bob_login,
        &token,
        "/login/second-factor/passkey",
        &[
            ("challenge", &challenge),
            ("handle", &handle),
            ("credential", &answer),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["redirect"], "/account");
}

/// A browser with a fresh session of `user` (as after a sign-in just now).
async fn session_browser(app: &TestApp, user: &auth_core::users::User) -> reqwest::Client {
    app.session_browser(user, &["pwd"]).await
}

#[both_backends]
async fn removing_a_passkey_needs_a_recent_sign_in_and_then_it_no_longer_signs_in(
    backend: Backend,
) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    let user = app.user("ann@example.com").await;
    let b = signed_in(&app, "ann@example.com").await;
    let mut key = SoftAuthenticator::new(&app);
    let id = register(&app, &b, &mut key).await;
    app.clock.advance(time::Duration::minutes(10));
    let token = csrf(&app, &b, "/account").await;
    let (status, _) = post(
        &app,
        &b,
        &token,
        "/account/passkeys/remove",
        &[("passkey", &id)],
    )
    .await;
    assert_eq!(status, 422, "an old sign-in without the password");
    assert_eq!(
        app.provider
            .store()
            .user_passkeys(&user.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let response = b
        .post(app.url("/account/passkeys/remove"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("passkey", &id),
            ("current_password", PASSWORD),
        ])
        .fetch()
        .await;
    assert_eq!(response.status(), 303);
    assert!(
        app.provider
            .store()
            .user_passkeys(&user.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(audit_count(&app, "passkey_removed").await, 1);
    let (_, status, _) = sign_in_with(&app, &mut key).await;
    assert_eq!(status, 401, "a removed passkey does not sign in");
}

#[both_backends]
async fn the_last_passkey_of_an_account_without_a_password_is_not_removed(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    let user = app.user("ann@example.com").await;
    let b = signed_in(&app, "ann@example.com").await;
    let mut laptop = SoftAuthenticator::new(&app);
    let first = register(&app, &b, &mut laptop).await;
    // An account without a password (as one made by an upstream sign-in and then unlinked).
    crate::support::db_execute(
        &app.db.url,
        &format!(
            "UPDATE users SET password_hash = NULL WHERE id = '{}'",
            user.id.as_str()
        ),
    )
    .await;
    let passkeys = || async { app.provider.store().user_passkeys(&user.id).await.unwrap() };
    let token = csrf(&app, &b, "/account").await;
    let (status, page) = post(
        &app,
        &b,
        &token,
        "/account/passkeys/remove",
        &[("passkey", &first)],
    )
    .await;
    assert_eq!(status, 409, "the only way in stays");
    assert!(page.to_string().contains("only way to sign in"), "{page}");
    assert_eq!(passkeys().await.len(), 1);
    assert_eq!(audit_count(&app, "passkey_removed").await, 0);

    // With a second passkey, the first can go; the second is then the last.
    let mut phone = SoftAuthenticator::new(&app);
    let second = register(&app, &b, &mut phone).await;
    let (status, _) = post(
        &app,
        &b,
        &token,
        "/account/passkeys/remove",
        &[("passkey", &first)],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = post(
        &app,
        &b,
        &token,
        "/account/passkeys/remove",
        &[("passkey", &second)],
    )
    .await;
    assert_eq!(status, 409);
    let left = passkeys().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, second);
    let (_, status, _) = sign_in_with(&app, &mut phone).await;
    assert_eq!(status, 200, "the kept passkey still signs in");
}

#[both_backends]
async fn ceremony_posts_need_the_csrf_token_and_this_site_as_origin(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    let b = browser();
    let token = csrf(&app, &b, "/login").await;
    let path = "/login/passkey/options";
    let (status, _) = post(&app, &b, "not-the-token", path, &[]).await;
    assert_eq!(status, 403, "a wrong CSRF token");
    let response = b
        .post(app.url(path))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf_token", token.as_str())])
        .fetch()
        .await;
    assert_eq!(response.status(), 403, "a post from another site");
    let (status, _) = post(&app, &b, &token, path, &[]).await;
    assert_eq!(status, 200, "the page's own post");
}

#[both_backends]
async fn deleting_a_user_deletes_their_passkeys(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    let user = app.user("ann@example.com").await;
    let b = signed_in(&app, "ann@example.com").await;
    let mut key = SoftAuthenticator::new(&app);
    register(&app, &b, &mut key).await;
    let now = app.provider.clock().unix();
    app.provider
        .store()
        .delete_user(&user.id, now)
        .await
        .unwrap();
    assert!(
        app.provider
            .store()
            .passkey_by_credential(&key.credential_id)
            .await
            .unwrap()
            .is_none()
    );
}

#[both_backends]
async fn an_issuer_on_an_ip_address_has_no_passkeys_and_its_pages_no_scripts(backend: Backend) {
    let app = crate::support::spawn_app(backend).await;
    let page = browser().get(app.url("/login")).fetch().await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!policy.contains("script-src"), "{policy}");
    assert!(!page.text().await.unwrap().contains("passkeys.js"));
    let localhost = spawn_app_on_localhost(backend, |_| {}).await;
    let page = browser().get(localhost.url("/login")).fetch().await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<noscript>"), "{html}");
}
