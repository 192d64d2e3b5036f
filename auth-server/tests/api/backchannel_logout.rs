//! OpenID Connect Back-Channel Logout: a receiver on loopback gets a valid logout token for
//! every way a session ends, only clients the session used are told, a receiver that was down
//! gets it after it comes back, and registration refuses URIs the server must not post to.

use crate::support::{
    Backend, Pkce, SmtpSink, TestApp, both_backends, browser, form_field, query_of, spawn_app,
    spawn_app_with, spawn_app_with_mail,
};
use auth_core::backchannel::{BackchannelLogout, delivery};
use auth_core::clients::{self, AuthMethod, ClientId, GrantType, NewClient, RedirectUri};
use auth_core::scope::Scope;
use auth_testkit::{Fetch as _, REDIRECT_URI, ReadJson as _, verify_with_jwks};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt as _;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What a receiver got: the `Content-Type` and body of each post.
type Posts = Arc<Mutex<Vec<(String, String)>>>;

/// A client's back-channel logout endpoint on loopback, answering 200.
struct Receiver {
    /// The base URL; clients register `<base>/bc/<client id>`.
    base: String,
    posts: Posts,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, Posts::default())
    }

    /// Starts receiving on `listener`, adding to `posts`.
    fn serve(listener: tokio::net::TcpListener, posts: Posts) -> Self {
        let app = axum::Router::new()
            .route(
                "/bc/{client}",
                axum::routing::post(
                    |State(posts): State<Posts>, headers: HeaderMap, body: String| async move {
                        let content_type = headers
                            .get("content-type")
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default();
                        posts.lock().unwrap().push((content_type, body));
                        StatusCode::OK
                    },
                ),
            )
            .with_state(posts.clone());
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base,
            posts,
            server,
        }
    }

    fn uri(&self, client: &str) -> String {
        format!("{}/bc/{client}", self.base)
    }

    /// Waits until `count` posts arrived (the worker polls every second).
    async fn wait_for(&self, count: usize) -> Vec<(String, String)> {
        for _ in 0..300 {
            if self.posts.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let posts = self.posts.lock().unwrap().clone();
        assert!(
            posts.len() >= count,
            "{} posts, expected {count}",
            posts.len()
        );
        posts
    }
}

/// A code-flow client of `app` whose back-channel logout URI is `uri`; returns its secret.
async fn client(app: &TestApp, id: &str, uri: Option<String>, pairwise: bool) -> String {
    let mut new = NewClient::new(
        format!("Client {id}"),
        AuthMethod::ClientSecretBasic,
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
    );
    new.id = Some(ClientId::parse(id).unwrap());
    new.scope = Scope::parse("openid profile email offline_access").unwrap();
    new.redirect_uris = vec![RedirectUri::parse(REDIRECT_URI).unwrap()];
    new.security.pairwise = pairwise;
    new.backchannel = BackchannelLogout {
        session_required: uri.is_some(),
        uri,
    };
    let (_, secret) = clients::register(&app.provider, new).await.unwrap();
    secret.unwrap().expose().to_owned()
}

/// Signs `email` in to `client` in `browser` (the session is reused when there is one) and
/// returns the tokens.
async fn tokens(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &str,
    secret: &str,
    email: &str,
) -> Value {
    let pkce = Pkce::new();
    let callback = app
        .authorize_as(browser, &app.authorize_url(client, &pkce, &[]), email)
        .await;
    let tokens: Value = app
        .exchange(client, secret, &query_of(&callback)["code"], &pkce.verifier)
        .await
        .read_json()
        .await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
    tokens
}

/// The claims of an ID token (signature checked by the server when it issued it; here only
/// `sid` and `sub` are read).
fn id_claims(tokens: &Value) -> Value {
    use base64::Engine;
    let token = tokens["id_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Checks a post as a client would (section 2.6), with a JOSE library this project did not
/// write: form-encoded, signed with a key of `/jwks.json`, `typ` `logout+jwt`, the issuer, the
/// client as audience, `iat`, a short `exp`, `jti`, the logout event, `sid` and `sub`, no
/// `nonce`. Returns the claims.
async fn verified(app: &TestApp, post: &(String, String)) -> Value {
    let (content_type, body) = post;
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form.len(), 1, "{body}");
    assert_eq!(form[0].0, "logout_token");
    let token = &form[0].1;
    let header = jsonwebtoken::decode_header(token).unwrap();
    let audience = {
        use base64::Engine;
        let payload = token.split('.').nth(1).unwrap();
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        claims["aud"].as_str().unwrap().to_owned()
    };
    let (_, claims) = verify_with_jwks(&app.base_url, &app.http, token, &app.base_url, &audience)
        .await
        .expect("the logout token verifies against the published keys");
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    assert_eq!(claims["events"], json!({ EVENT: {} }));
    assert!(claims.get("nonce").is_none(), "{claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp > iat && exp - iat <= 120, "{claims}");
    assert!(
        claims["sid"].is_string() && claims["sub"].is_string(),
        "{claims}"
    );
    claims
}

/// Waits until no logout is pending (delivered or given up).
async fn settled(app: &TestApp) {
    for _ in 0..300 {
        if app.provider.store().pending_logouts().await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("logout tokens are still pending");
}

#[both_backends]
async fn rp_initiated_logout_tells_each_client_the_session_used_and_no_other(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start().await;
    let shop = client(&app, "shop", Some(receiver.uri("shop")), false).await;
    let news = client(&app, "news", Some(receiver.uri("news")), true).await;
    let plain = client(&app, "plain", None, false).await;
    client(&app, "unused", Some(receiver.uri("unused")), false).await;
    app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    let ann = browser();
    let at_shop = tokens(&app, &ann, "shop", &shop, "ann@example.com").await;
    let at_news = tokens(&app, &ann, "news", &news, "ann@example.com").await;
    tokens(&app, &ann, "plain", &plain, "ann@example.com").await;
    // Another user's session with `unused` is not Ann's.
    let unused = client_secret_for_bob(&app, &receiver).await;
    tokens(&app, &browser(), "bob-app", &unused, "bob@example.com").await;

    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", at_shop["id_token"].as_str().unwrap());
    let response = ann.get(url.as_str()).fetch().await;
    assert!(response.status().is_success() || response.status().is_redirection());

    receiver.wait_for(2).await;
    settled(&app).await;
    let posts = receiver.posts.lock().unwrap().clone();
    assert_eq!(
        posts.len(),
        2,
        "only the two clients with a URI the session used"
    );
    let mut told = Vec::new();
    for post in &posts {
        let claims = verified(&app, post).await;
        let ours = if claims["aud"] == "shop" {
            id_claims(&at_shop)
        } else {
            id_claims(&at_news)
        };
        // The sid and sub of the client's own ID tokens; `news` is pairwise.
        assert_eq!(claims["sid"], ours["sid"]);
        assert_eq!(claims["sub"], ours["sub"]);
        told.push(claims["aud"].as_str().unwrap().to_owned());
    }
    told.sort();
    assert_eq!(told, ["news", "shop"]);
    assert_ne!(id_claims(&at_shop)["sub"], id_claims(&at_news)["sub"]);
}

/// A client `bob-app` (with a URI) that only Bob uses.
async fn client_secret_for_bob(app: &TestApp, receiver: &Receiver) -> String {
    client(app, "bob-app", Some(receiver.uri("bob-app")), false).await
}

#[both_backends]
async fn signing_out_on_the_account_page_and_ending_another_session_tell_the_clients(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start().await;
    let shop = client(&app, "shop", Some(receiver.uri("shop")), false).await;
    app.user("ann@example.com").await;
    let (laptop, phone) = (browser(), browser());
    let on_laptop = tokens(&app, &laptop, "shop", &shop, "ann@example.com").await;
    let on_phone = tokens(&app, &phone, "shop", &shop, "ann@example.com").await;

    // From the laptop's account page, the phone's session is signed out.
    let page = laptop.get(app.url("/account")).fetch_text().await;
    let ended = laptop
        .post(app.url("/account/sessions/end"))
        .form(&[
            ("csrf_token", form_field(&page, "csrf_token").unwrap()),
            (
                "session",
                id_claims(&on_phone)["sid"].as_str().unwrap().to_owned(),
            ),
        ])
        .fetch()
        .await;
    assert_eq!(ended.status(), 303);
    let posts = receiver.wait_for(1).await;
    let claims = verified(&app, &posts[0]).await;
    assert_eq!(claims["sid"], id_claims(&on_phone)["sid"]);

    // Then the laptop signs itself out with the page's button.
    let page = laptop.get(app.url("/account")).fetch_text().await;
    let signed_out = laptop
        .post(app.url("/logout"))
        .form(&[
            ("csrf_token", form_field(&page, "csrf_token").unwrap()),
            ("confirm", "yes".to_owned()),
        ])
        .fetch()
        .await;
    assert!(signed_out.status().is_success());
    let posts = receiver.wait_for(2).await;
    let claims = verified(&app, &posts[1]).await;
    assert_eq!(claims["sid"], id_claims(&on_laptop)["sid"]);
    assert_ne!(posts[0].1, posts[1].1);
}

#[both_backends]
async fn an_admin_signing_out_disabling_or_deleting_a_user_tells_the_clients(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start().await;
    let secret = app.confidential_client("ops", "admin").await;
    let token = crate::walks::service_token(&app, "ops", &secret, Some("admin")).await;
    // The client is created through the admin API, with its back-channel logout URI.
    let created: Value = app
        .http
        .post(app.url("/admin/clients"))
        .bearer_auth(&token)
        .json(&json!({
            "client_id": "shop",
            "client_name": "Shop",
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "openid profile email offline_access",
            "redirect_uris": [REDIRECT_URI],
            "backchannel_logout_uri": receiver.uri("shop"),
            "backchannel_logout_session_required": true,
        }))
        .fetch_json()
        .await;
    assert_eq!(created["backchannel_logout_uri"], receiver.uri("shop"));
    assert_eq!(created["backchannel_logout_session_required"], true);
    let shop = created["client_secret"].as_str().unwrap().to_owned();
    let ann = app.user("ann@example.com").await;
    let bob = app.user("bob@example.com").await;
    let of_ann = tokens(&app, &browser(), "shop", &shop, "ann@example.com").await;
    let of_bob = tokens(&app, &browser(), "shop", &shop, "bob@example.com").await;

    // Signing Ann out everywhere ends her session without disabling her.
    let signed_out = app
        .http
        .post(app.url(&format!("/admin/users/{}/sign-out", ann.id.as_str())))
        .bearer_auth(&token)
        .fetch()
        .await;
    assert_eq!(signed_out.status(), 204);
    let posts = receiver.wait_for(1).await;
    let claims = verified(&app, &posts[0]).await;
    assert_eq!(claims["sid"], id_claims(&of_ann)["sid"]);
    assert_eq!(claims["sub"], ann.id.as_str());
    let unknown = app
        .http
        .post(app.url("/admin/users/0190a8c4-5b8e-7d4e-9c1a-2f3b4c5d6e7f/sign-out"))
        .bearer_auth(&token)
        .fetch()
        .await;
    assert_eq!(unknown.status(), 404);
    let of_ann = tokens(&app, &browser(), "shop", &shop, "ann@example.com").await;

    let disabled = app
        .http
        .post(app.url(&format!("/admin/users/{}/disable", ann.id.as_str())))
        .bearer_auth(&token)
        .fetch()
        .await;
    assert_eq!(disabled.status(), 200);
    let posts = receiver.wait_for(2).await;
    let claims = verified(&app, &posts[1]).await;
    assert_eq!(claims["sid"], id_claims(&of_ann)["sid"]);
    assert_eq!(claims["sub"], ann.id.as_str());

    let deleted = app
        .http
        .delete(app.url(&format!("/admin/users/{}", bob.id.as_str())))
        .bearer_auth(&token)
        .fetch()
        .await;
    assert!(deleted.status().is_success());
    let posts = receiver.wait_for(3).await;
    let claims = verified(&app, &posts[2]).await;
    assert_eq!(claims["sid"], id_claims(&of_bob)["sid"]);
    assert_eq!(claims["sub"], bob.id.as_str());
}

#[both_backends]
async fn a_password_reset_tells_the_clients_of_every_session(backend: Backend) {
    let (app, mail) = spawn_app_with_mail(backend, |_| {}).await;
    let receiver = Receiver::start().await;
    let shop = client(&app, "shop", Some(receiver.uri("shop")), false).await;
    app.user("ann@example.com").await;
    let first = tokens(&app, &browser(), "shop", &shop, "ann@example.com").await;
    let second = tokens(&app, &browser(), "shop", &shop, "ann@example.com").await;

    reset_password(&app, &mail, "ann@example.com").await;
    let posts = receiver.wait_for(2).await;
    let mut sids = Vec::new();
    for post in &posts[..2] {
        sids.push(
            verified(&app, post).await["sid"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    sids.sort();
    let mut expected = [first, second].map(|t| id_claims(&t)["sid"].as_str().unwrap().to_owned());
    expected.sort();
    assert_eq!(sids, expected);
}

/// Resets `email`'s password through the API with the e-mailed link.
async fn reset_password(app: &TestApp, mail: &SmtpSink, email: &str) {
    let asked = app
        .http
        .post(app.url("/api/account/password/forgot"))
        .json(&json!({ "email": email }))
        .fetch()
        .await;
    assert_eq!(asked.status(), 202);
    let link = mail
        .wait_for(email, "Reset")
        .await
        .link(&app.url("/reset-password?token="));
    let token = link.split("token=").nth(1).unwrap();
    let reset = app
        .http
        .post(app.url("/api/account/password/reset"))
        .json(&json!({"token": token, "password": "a fresh long password"}))
        .fetch()
        .await;
    assert_eq!(reset.status(), 204);
}

#[both_backends]
async fn a_receiver_that_was_down_gets_the_token_when_it_is_back(backend: Backend) {
    let app = spawn_app(backend).await;
    // The receiver's port, with nothing listening on it yet.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let uri = format!("http://{address}/bc/shop");
    let shop = client(&app, "shop", Some(uri), false).await;
    app.user("ann@example.com").await;
    let ann = browser();
    let at_shop = tokens(&app, &ann, "shop", &shop, "ann@example.com").await;
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", at_shop["id_token"].as_str().unwrap());
    ann.get(url.as_str()).fetch().await;

    // The first attempt fails and is scheduled 10 s later by the server's clock.
    wait_for_failed_attempts(&app, 1).await;
    assert_eq!(app.provider.store().pending_logouts().await.unwrap(), 1);
    let receiver = Receiver::serve(
        tokio::net::TcpListener::bind(address).await.unwrap(),
        Posts::default(),
    );
    app.clock.advance(time::Duration::seconds(30));
    let posts = receiver.wait_for(1).await;
    let claims = verified(&app, &posts[0]).await;
    assert_eq!(claims["sid"], id_claims(&at_shop)["sid"]);
    assert_eq!(claims["aud"], "shop");
    settled(&app).await;
    receiver.server.abort();
}

/// Waits until the outbox records `count` failed attempts.
async fn wait_for_failed_attempts(app: &TestApp, count: i64) {
    for _ in 0..300 {
        let failed = auth_testkit::db_count(
            &app.db.url,
            "SELECT COUNT(*) FROM backchannel_logouts WHERE attempts >= 1",
        )
        .await;
        if failed >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{count} failed attempts were never recorded");
}

#[both_backends]
async fn registration_takes_a_backchannel_logout_uri_and_refuses_bad_ones(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.registration.mode = auth_server::config::registration::Mode::Open
    })
    .await;
    let discovery: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .fetch_json()
        .await;
    assert_eq!(discovery["backchannel_logout_supported"], true);
    assert_eq!(discovery["backchannel_logout_session_supported"], true);

    let register = |uri: &str| {
        app.http.post(app.url("/register")).json(&json!({
            "client_name": "Shop",
            "redirect_uris": [REDIRECT_URI],
            "backchannel_logout_uri": uri,
            "backchannel_logout_session_required": true,
        }))
    };
    // This server runs on http loopback, so http loopback URIs are allowed (development).
    let good = register("http://127.0.0.1:8090/bc?tenant=1").fetch().await;
    assert_eq!(good.status(), 201);
    let good: Value = good.json().await.unwrap();
    assert_eq!(
        good["backchannel_logout_uri"],
        "http://127.0.0.1:8090/bc?tenant=1"
    );
    assert_eq!(good["backchannel_logout_session_required"], true);
    for bad in [
        "/relative/bc",
        "http://app.example.com/bc",
        "https://app.example.com/bc#fragment",
        "https://user:pw@app.example.com/bc",
        "ftp://app.example.com/bc",
        "not a uri",
    ] {
        let refused = register(bad).fetch().await;
        assert_eq!(refused.status(), 400, "{bad}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client_metadata", "{bad}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("backchannel_logout_uri"),
            "{bad}: {body}"
        );
    }
    let without_uri = app
        .http
        .post(app.url("/register"))
        .json(&json!({
            "client_name": "Shop",
            "redirect_uris": [REDIRECT_URI],
            "backchannel_logout_session_required": true,
        }))
        .fetch()
        .await;
    assert_eq!(without_uri.status(), 400);
}

#[both_backends]
async fn the_cli_signing_a_user_out_tells_the_clients(backend: Backend) {
    let app = spawn_app(backend).await;
    let receiver = Receiver::start().await;
    let shop = client(&app, "shop", Some(receiver.uri("shop")), false).await;
    app.user("ann@example.com").await;
    let at_shop = tokens(&app, &browser(), "shop", &shop, "ann@example.com").await;

    // Another process writes the notice; this server's worker sends it.
    let output = app.cli(&["user", "sign-out", "ann@example.com"]);
    crate::walks::assert_succeeded(&output);
    let posts = receiver.wait_for(1).await;
    let claims = verified(&app, &posts[0]).await;
    assert_eq!(claims["sid"], id_claims(&at_shop)["sid"]);
}

/// A client's endpoint that accepts connections and never answers, keeping them open: counts
/// the connections it accepted and those the server closed since (a post timing out).
struct Tarpit {
    base: String,
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl Tarpit {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (accepted, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let counts = (accepted.clone(), closed.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counts.0.fetch_add(1, Ordering::SeqCst);
                let closed = counts.1.clone();
                tokio::spawn(async move {
                    // Reads the request and never answers, until the server hangs up.
                    let mut buffer = [0u8; 4096];
                    while socket.read(&mut buffer).await.is_ok_and(|n| n > 0) {}
                    closed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        Self {
            base,
            accepted,
            closed,
        }
    }

    fn uri(&self, client: &str) -> String {
        format!("{}/bc/{client}", self.base)
    }

    /// Waits until the server has connected (a post is in flight).
    async fn wait_for_a_connection(&self) {
        for _ in 0..300 {
            if self.accepted.load(Ordering::SeqCst) > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server never posted to the tarpit");
    }
}

/// Logs the browser's session out (RP-initiated logout with an ID token of the session).
async fn log_out(app: &TestApp, browser: &reqwest::Client, tokens: &Value) {
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap());
    let response = browser.get(url.as_str()).fetch().await;
    assert!(response.status().is_success() || response.status().is_redirection());
}

/// Finding 1 of the security review: six clients whose endpoint never answers, all used in
/// Ann's session, held up Bob's client's logout token for minutes (posts went out one at a
/// time, each waiting out its timeout). Now the healthy client is told while the posts to the
/// tarpit are still in flight: the wait is bounded (30 s) well below what one-at-a-time
/// delivery needs (six timeouts), the tarpit has closed no connection by then (the timeout is
/// set to 60 s so that nothing here depends on how fast the machine is), and it never had more
/// than its share of posts at once.
#[both_backends]
async fn a_receiver_that_never_answers_does_not_hold_up_other_clients(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.backchannel_logout.timeout_secs = 60).await;
    let tarpit = Tarpit::start().await;
    let receiver = Receiver::start().await;
    app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    let ann = browser();
    let mut of_ann = Vec::new();
    for n in 0..6 {
        let id = format!("slow-{n}");
        let secret = client(&app, &id, Some(tarpit.uri(&id)), false).await;
        of_ann.push(tokens(&app, &ann, &id, &secret, "ann@example.com").await);
    }
    let shop = client(&app, "shop", Some(receiver.uri("shop")), false).await;
    let bob = browser();
    let of_bob = tokens(&app, &bob, "shop", &shop, "bob@example.com").await;

    log_out(&app, &ann, &of_ann[0]).await;
    tarpit.wait_for_a_connection().await;
    log_out(&app, &bob, &of_bob).await;

    let posts = receiver.wait_for(1).await;
    let claims = verified(&app, &posts[0]).await;
    assert_eq!(claims["aud"], "shop");
    assert_eq!(claims["sid"], id_claims(&of_bob)["sid"]);
    assert_eq!(
        tarpit.closed.load(Ordering::SeqCst),
        0,
        "Bob's client is told while the posts to the tarpit are in flight"
    );
    let accepted = tarpit.accepted.load(Ordering::SeqCst);
    assert!(
        (1..=delivery::PER_RECEIVER).contains(&accepted),
        "{accepted} posts at once to one receiver"
    );
}

/// The second review of issue 22: one receiver each for many self-registered clients (distinct
/// ports, or wildcard DNS names) took every slot, so a later notice waited a timeout per
/// sixteen of them. Self-registered clients now share `SELF_REGISTERED_SHARE` slots, and a
/// client an administrator created is told while all of theirs hang.
#[both_backends]
async fn self_registered_receivers_cannot_take_every_slot(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.backchannel_logout.timeout_secs = 60;
        c.registration.mode = auth_server::config::registration::Mode::Open;
    })
    .await;
    app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    let ann = browser();
    let mut tarpits = Vec::new();
    let mut of_ann = Vec::new();
    for n in 0..delivery::MAX_IN_FLIGHT {
        let tarpit = Tarpit::start().await;
        let registered: Value = app
            .http
            .post(app.url("/register"))
            .json(&json!({
                "client_name": format!("Silent {n}"),
                "redirect_uris": [REDIRECT_URI],
                "grant_types": ["authorization_code", "refresh_token"],
                "scope": "openid profile email offline_access",
                "backchannel_logout_uri": tarpit.uri("silent"),
            }))
            .fetch_json()
            .await;
        let (id, secret) = (
            registered["client_id"].as_str().unwrap(),
            registered["client_secret"].as_str().unwrap(),
        );
        of_ann.push(tokens(&app, &ann, id, secret, "ann@example.com").await);
        tarpits.push(tarpit);
    }
    let receiver = Receiver::start().await;
    let shop = client(&app, "shop", Some(receiver.uri("shop")), false).await;
    let bob = browser();
    let of_bob = tokens(&app, &bob, "shop", &shop, "bob@example.com").await;

    log_out(&app, &ann, &of_ann[0]).await;
    let hanging = || {
        tarpits
            .iter()
            .map(|t| t.accepted.load(Ordering::SeqCst))
            .sum::<usize>()
    };
    for _ in 0..300 {
        if hanging() >= delivery::SELF_REGISTERED_SHARE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(hanging(), delivery::SELF_REGISTERED_SHARE);
    log_out(&app, &bob, &of_bob).await;

    let posts = receiver.wait_for(1).await;
    assert_eq!(verified(&app, &posts[0]).await["aud"], "shop");
    assert_eq!(
        tarpits
            .iter()
            .map(|t| t.closed.load(Ordering::SeqCst))
            .sum::<usize>(),
        0,
        "Bob's client is told while every post to the silent receivers hangs"
    );
    assert_eq!(hanging(), delivery::SELF_REGISTERED_SHARE);
}
