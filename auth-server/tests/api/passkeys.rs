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

/// A page's form in a browser: what it posts carries the page's CSRF token.
struct Form<'a> {
    app: &'a TestApp,
    browser: &'a reqwest::Client,
    csrf: String,
}

impl<'a> Form<'a> {
    /// The form of the page at `path` in `browser`.
    async fn of(app: &'a TestApp, browser: &'a reqwest::Client, path: &str) -> Self {
        let csrf = csrf(app, browser, path).await;
        Self { app, browser, csrf }
    }

    /// Posts `fields` (and the CSRF token) to `path`; the status and the JSON answer.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Value) {
        post(self.app, self.browser, &self.csrf, path, fields).await
    }

    /// A ceremony signed by `key`: posts `fields` to `{path}/options`, then the answer to those
    /// options with `fields` and the ceremony's handle to `path`. The options' status and
    /// answer, then the finish's.
    async fn ceremony(
        &self,
        key: &mut SoftAuthenticator,
        path: &str,
        fields: &[(&str, &str)],
    ) -> [(u16, Value); 2] {
        let (status, options) = self.post(&format!("{path}/options"), fields).await;
        let answer = key.assert(&options);
        let handle = options["handle"].as_str().unwrap_or_default().to_owned();
        let mut finish = fields.to_vec();
        finish.extend([("handle", handle.as_str()), ("credential", &answer)]);
        let done = self.post(path, &finish).await;
        [(status, options), done]
    }
}

/// The stored passkey of `key`.
async fn stored_passkey(app: &TestApp, key: &SoftAuthenticator) -> auth_core::store::StoredPasskey {
    app.provider
        .store()
        .passkey_by_credential(&key.credential_id)
        .await
        .unwrap()
        .expect("the passkey is stored")
}

/// Registers a passkey for the user signed in to `b`; returns its public id.
async fn register(app: &TestApp, b: &reqwest::Client, key: &mut SoftAuthenticator) -> String {
    let account = Form::of(app, b, "/account").await;
    let (status, options) = account.post(REGISTER_OPTIONS, &[]).await;
    assert_eq!(status, 200, "{options}");
    let answer = key.register(&options);
    let handle = options["handle"].as_str().unwrap();
    let fields = [
        ("handle", handle),
        ("name", "Laptop"),
        ("credential", &answer),
    ];
    let (status, done) = account.post(REGISTER, &fields).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["redirect"], "/account?notice=passkey-added");
    stored_passkey(app, key).await.id
}

const REGISTER_OPTIONS: &str = "/account/passkeys/register/options";
const REGISTER: &str = "/account/passkeys/register";
const REMOVE: &str = "/account/passkeys/remove";

/// A discoverable sign-in in a fresh browser: the options' status and answer, then the
/// finish's status and answer.
async fn sign_in_with(app: &TestApp, key: &mut SoftAuthenticator) -> (reqwest::Client, u16, Value) {
    let b = browser();
    let login = Form::of(app, &b, "/login").await;
    let [(status, options), (done, body)] = login.ceremony(key, "/login/passkey", &[]).await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(options["mediation"], "conditional");
    (b, done, body)
}

async fn audit_count(app: &TestApp, event: &str) -> usize {
    app.audit_events_of(event).await.len()
}

#[both_backends]
async fn a_registered_passkey_signs_in_without_an_email_address_as_multi_factor(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    let user = app.user("ann@example.com").await;
    let b = app.signed_in_browser("ann@example.com").await;
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
    let sessions = app.live_sessions(&user.id).await;
    let newest = sessions.iter().max_by_key(|s| s.created_at).unwrap();
    // RFC 8176: a key bound to its authenticator (not backup eligible), user verification.
    assert!(
        newest.amr.iter().any(|m| m == "hwk")
            && newest.amr.iter().any(|m| m == "user")
            && newest.amr.iter().any(|m| m == "mfa"),
        "{:?}",
        newest.amr
    );
    let stored = stored_passkey(&app, &key).await;
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

    let b = app.signed_in_browser("ann@example.com").await;
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
    let b = app.signed_in_browser("ann@example.com").await;
    let mut key = SoftAuthenticator::new(&app);

    // A registration answer posted twice: the ceremony is single use.
    let account = Form::of(&app, &b, "/account").await;
    let (_, options) = account.post(REGISTER_OPTIONS, &[]).await;
    let answer = key.register(&options);
    let handle = options["handle"].as_str().unwrap().to_owned();
    let fields = [
        ("handle", handle.as_str()),
        ("name", "Laptop"),
        ("credential", answer.as_str()),
    ];
    let (status, _) = account.post(REGISTER, &fields).await;
    assert_eq!(status, 200);
    let (status, body) = account.post(REGISTER, &fields).await;
    assert_eq!(status, 400, "a replayed registration: {body}");
    // The same credential in a new ceremony: excluded for its owner (webauthn-rs refuses an
    // excluded credential), and registered once across users (W3C WebAuthn L3 section 7.1
    // step 25, the unique credential id).
    let (_, options) = account.post(REGISTER_OPTIONS, &[]).await;
    let excluded = options["publicKey"]["excludeCredentials"][0]["id"].clone();
    assert_eq!(excluded, b64(&key.credential_id));
    let again = key.register(&options);
    let handle = options["handle"].as_str().unwrap().to_owned();
    let fields = [
        ("handle", &*handle),
        ("name", "Again"),
        ("credential", &again),
    ];
    let (status, body) = account.post(REGISTER, &fields).await;
    assert_eq!(status, 401, "an excluded credential: {body}");
    app.user("bob@example.com").await;
    let bob = app.signed_in_browser("bob@example.com").await;
    let bob_account = Form::of(&app, &bob, "/account").await;
    let (_, options) = bob_account.post(REGISTER_OPTIONS, &[]).await;
    let ann_handle = key.user_handle.clone();
    let stolen = key.register(&options);
    key.user_handle = ann_handle;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let fields = [
        ("handle", &*handle),
        ("name", "Ann's"),
        ("credential", &stolen),
    ];
    let (status, body) = bob_account.post(REGISTER, &fields).await;
    assert_eq!(status, 409, "a credential of another user: {body}");

    // A sign-in: the answer's challenge must be the ceremony's, the handle this browser's.
    let other_browser = browser();
    let other = Form::of(&app, &other_browser, "/login").await;
    let attacker_browser = browser();
    let attacker = Form::of(&app, &attacker_browser, "/login").await;
    let (_, options) = other.post("/login/passkey/options", &[]).await;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let signed = key.assert(&options);
    let answer = [("handle", handle.as_str()), ("credential", &signed)];
    // Another browser cannot finish it (and burns it).
    let (status, body) = attacker.post("/login/passkey", &answer).await;
    assert_eq!(status, 400, "another browser's ceremony: {body}");
    let (status, _) = other.post("/login/passkey", &answer).await;
    assert_eq!(status, 400, "the ceremony was used up");

    // A forged handle.
    let forged_handle = [("handle", "pk_forged"), ("credential", &signed)];
    let (status, _) = other.post("/login/passkey", &forged_handle).await;
    assert_eq!(status, 400, "a forged handle");

    // A signature over a challenge the server did not issue.
    let (_, options) = other.post("/login/passkey/options", &[]).await;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let forged = key.assert_challenge(&b64(b"a challenge the server never issued"));
    let answer = [("handle", handle.as_str()), ("credential", &forged)];
    let (status, body) = other.post("/login/passkey", &answer).await;
    assert_eq!(status, 401, "a signature over another challenge: {body}");

    // Garbage instead of a credential.
    let (_, options) = other.post("/login/passkey/options", &[]).await;
    let handle = options["handle"].as_str().unwrap().to_owned();
    let garbage = [("handle", handle.as_str()), ("credential", "{\"id\": 1}")];
    let (status, _) = other.post("/login/passkey", &garbage).await;
    assert_eq!(status, 401);
    let user = app.stored_user("ann@example.com").await;
    assert_eq!(
        app.live_sessions(&user.id).await.len(),
        1,
        "only the password's session exists"
    );
}

#[both_backends]
async fn a_signature_counter_that_goes_backwards_is_refused_and_audited(backend: Backend) {
    let app = spawn_app_on_localhost(backend, |_| {}).await;
    app.user("ann@example.com").await;
    let b = app.signed_in_browser("ann@example.com").await;
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
    let stored = stored_passkey(&app, &key).await;
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
    let page = app.login(&ann, "ann@example.com", PASSWORD).await;
    let html = page.text().await.unwrap();
    let challenge = form_field(&html, "challenge").expect("a second step is asked");
    assert!(
        !html.contains("id=\"use-passkey\""),
        "no passkey button for a user without one"
    );
    let ann_login = Form::of(&app, &ann, "/login").await;
    // Ann has no passkey yet: the second-step options are refused.
    let step = [("challenge", challenge.as_str())];
    let (status, _) = ann_login.post(SECOND_STEP_OPTIONS, &step).await;
    assert_eq!(status, 401);

    // Ann's passkey, registered in a session the test opens for her.
    let ann_user = app.stored_user("ann@example.com").await;
    let ann_session = session_browser(&app, &ann_user).await;
    let mut ann_key = SoftAuthenticator::new(&app);
    let ann_passkey = register(&app, &ann_session, &mut ann_key).await;

    // Bob, signed in, names Ann's passkey in his forms.
    let bob_user = app.stored_user("bob@example.com").await;
    let bob = session_browser(&app, &bob_user).await;
    let bob_account = Form::of(&app, &bob, "/account").await;
    let remove = [("passkey", &*ann_passkey), ("current_password", PASSWORD)];
    let (status, _) = bob_account.post(REMOVE, &remove).await;
    assert_eq!(status, 404, "Bob cannot remove Ann's passkey");
    let rename = [("passkey", &*ann_passkey), ("name", "mine now")];
    let (status, _) = bob_account.post("/account/passkeys/rename", &rename).await;
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
    let page = app.login(&browser(), "ann@example.com", PASSWORD).await;
    assert!(page.text().await.unwrap().contains("id=\"use-passkey\""));

    // Bob passes his password; Ann's passkey does not pass his second step.
    let bob_login = browser();
    let page = app.login(&bob_login, "bob@example.com", PASSWORD).await;
    let html = page.text().await.unwrap();
    let challenge = form_field(&html, "challenge").unwrap();
    let bob_second_step = Form {
        app: &app,
        browser: &bob_login,
        csrf: form_field(&html, "csrf_token").unwrap(),
    };
    let mut bob_key = SoftAuthenticator::new(&app);
    let bob_session = session_browser(&app, &bob_user).await;
    register(&app, &bob_session, &mut bob_key).await;
    let step = [("challenge", challenge.as_str())];
    let [(status, options), (done, body)] = bob_second_step
        .ceremony(&mut ann_key, SECOND_STEP, &step)
        .await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(done, 401, "Ann's passkey for Bob: {body}");

    // His own passkey does, with a fresh ceremony (the refused one is used up).
    let [_, (status, body)] = bob_second_step
        .ceremony(&mut bob_key, SECOND_STEP, &step)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["redirect"], "/account");
}

const SECOND_STEP: &str = "/login/second-factor/passkey";
const SECOND_STEP_OPTIONS: &str = "/login/second-factor/passkey/options";

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
    let b = app.signed_in_browser("ann@example.com").await;
    let mut key = SoftAuthenticator::new(&app);
    let id = register(&app, &b, &mut key).await;
    app.clock.advance(time::Duration::minutes(10));
    let token = csrf(&app, &b, "/account").await;
    let (status, _) = post(&app, &b, &token, REMOVE, &[("passkey", &id)]).await;
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
    let b = app.signed_in_browser("ann@example.com").await;
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
    let account = Form::of(&app, &b, "/account").await;
    let (status, page) = account.post(REMOVE, &[("passkey", &first)]).await;
    assert_eq!(status, 409, "the only way in stays");
    assert!(page.to_string().contains("only way to sign in"), "{page}");
    assert_eq!(passkeys().await.len(), 1);
    assert_eq!(audit_count(&app, "passkey_removed").await, 0);

    // With a second passkey, the first can go; the second is then the last.
    let mut phone = SoftAuthenticator::new(&app);
    let second = register(&app, &b, &mut phone).await;
    let (status, _) = account.post(REMOVE, &[("passkey", &first)]).await;
    assert_eq!(status, 303);
    let (status, _) = account.post(REMOVE, &[("passkey", &second)]).await;
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
    let b = app.signed_in_browser("ann@example.com").await;
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
