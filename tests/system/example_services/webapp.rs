use super::{auth_server, serve};
use crate::support::{browser, sign_in};
use auth_client::Verifier;
use auth_testkit::Fetch as _;
use examples::{events, webapp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_app_signs_a_user_in_with_pkce_and_calls_the_events_service() {
    let server = auth_server(|_| {}).await;
    server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    let events_secret = server.service("events-service", "tickets:write").await;
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let events_base = serve(events::app(events::AppState {
        verifier,
        tokens: server
            .service_tokens("events-service", &events_secret, None)
            .await,
        tickets_url: events::TicketsUrl("http://127.0.0.1:9".into()),
        http: reqwest::Client::new(),
        events: events::Events::default(),
        on_behalf: None,
    }))
    .await;

    let base = start_webapp(&server, false, events_base).await;

    let b = browser();
    let home = b.get(format!("{base}/")).fetch_text().await;
    assert!(home.contains("You are not signed in"));
    let login = b.get(format!("{base}/login")).fetch().await;
    let authorize = login.headers()["location"].to_str().unwrap().to_owned();
    assert!(authorize.starts_with(&server.url("/authorize?")));
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let callback = sign_in(&b, &server.issuer, &authorize, "pia@example.com").await;
    assert!(
        callback.starts_with(&format!("{base}/callback?")),
        "{callback}"
    );

    let replayed_state = callback.clone();
    let signed_in = b.get(&callback).fetch().await;
    assert_eq!(
        signed_in.status(),
        303,
        "{}",
        signed_in.text().await.unwrap()
    );
    let home = b.get(format!("{base}/")).fetch_text().await;
    assert!(
        home.contains("Signed in as <strong id=\"name\">Pia Player</strong>"),
        "{home}"
    );
    assert!(
        home.contains("0 events"),
        "the events service accepted the user's token: {home}"
    );

    let replay = b.get(&replayed_state).fetch().await;
    assert_eq!(replay.status(), 400, "a state is used once");

    let logout = b.get(format!("{base}/logout")).fetch().await;
    let end_session = logout.headers()["location"].to_str().unwrap();
    assert!(
        end_session.starts_with(&server.url("/logout?"))
            && end_session.contains("id_token_hint=")
            && end_session.contains("post_logout_redirect_uri="),
        "{end_session}"
    );
    let home = b.get(format!("{base}/")).fetch_text().await;
    assert!(home.contains("You are not signed in"));
}

/// Starts the example app for the client `webapp` of `server` (`trusted`: no consent), listing
/// events from `events_url`; returns its base URL.
async fn start_webapp(server: &super::AuthServer, trusted: bool, events_url: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let secret = server
        .web_client("webapp", &format!("{base}/callback"), trusted)
        .await;
    let app = webapp::App::new(webapp::Settings {
        issuer: server.issuer.clone(),
        client_id: "webapp".into(),
        client_secret: secret,
        base_url: base.clone(),
        events_url,
    })
    .await
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, webapp::app(app)).await });
    base
}

/// `browser` following `callback` gets a `400` page that says `why`.
async fn assert_callback_refused(browser: &reqwest::Client, callback: &str, why: &str) {
    let refused = browser.get(callback).fetch().await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains(why));
}

/// Login CSRF (RFC 6749 section 10.12): an attacker begins a sign-in with their own account,
/// stops before the callback and sends the victim the callback URL. The app must refuse it in
/// the victim's browser, whether or not that browser began a sign-in of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_from_another_browser_is_refused() {
    let server = auth_server(|_| {}).await;
    server
        .user("mallory@example.com", "Mallory", &["player"])
        .await;
    let base = start_webapp(&server, true, "http://127.0.0.1:9".into()).await;

    let attacker = browser();
    let login = attacker.get(format!("{base}/login")).fetch().await;
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.starts_with("webapp_sign_in=")
            && set_cookie.contains("HttpOnly")
            && set_cookie.contains("SameSite=Lax")
            && set_cookie.contains("Max-Age=600"),
        "{set_cookie}"
    );
    let authorize = login.headers()["location"].to_str().unwrap().to_owned();
    let callback = sign_in(&attacker, &server.issuer, &authorize, "mallory@example.com").await;
    assert!(
        callback.starts_with(&format!("{base}/callback?")),
        "{callback}"
    );

    let fresh_victim = browser();
    assert_callback_refused(&fresh_victim, &callback, "did not start a sign-in").await;

    let busy_victim = browser();
    busy_victim.get(format!("{base}/login")).fetch().await;
    assert_callback_refused(&busy_victim, &callback, "started in another browser").await;
    let home = busy_victim.get(format!("{base}/")).fetch_text().await;
    assert!(home.contains("You are not signed in"), "{home}");

    // The refusals did not use up the state: the browser that began the sign-in finishes it.
    let finished = attacker.get(&callback).fetch().await;
    assert_eq!(finished.status(), 303);
    let home = attacker.get(format!("{base}/")).fetch_text().await;
    assert!(home.contains("Signed in as"), "{home}");
}

/// OpenID Connect Back-Channel Logout: when the user's session at the server ends elsewhere
/// (here an administrator disables the account), the server posts a logout token to the app's
/// `/backchannel-logout`, and the app's own session of that user ends with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_session_ends_when_the_server_session_ends() {
    let server = auth_server(|_| {}).await;
    let pia = server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    let base = start_webapp(&server, true, "http://127.0.0.1:9".into()).await;
    let id = auth_core::clients::ClientId::parse("webapp").unwrap();
    let mut client = server
        .provider
        .store()
        .client(&id)
        .await
        .unwrap()
        .unwrap()
        .as_ref()
        .clone();
    client.backchannel.uri = Some(format!("{base}/backchannel-logout"));
    server
        .provider
        .store()
        .update_client(&client)
        .await
        .unwrap();

    let b = browser();
    let login = b.get(format!("{base}/login")).fetch().await;
    let authorize = login.headers()["location"].to_str().unwrap().to_owned();
    let callback = sign_in(&b, &server.issuer, &authorize, "pia@example.com").await;
    assert_eq!(b.get(&callback).fetch().await.status(), 303);
    let home = b.get(format!("{base}/")).fetch_text().await;
    assert!(home.contains("Signed in as"), "{home}");

    auth_core::users::set_disabled(
        &server.provider,
        &auth_core::users::UserId::parse(&pia).unwrap(),
        true,
    )
    .await
    .unwrap();
    // The server's worker polls its outbox every two seconds; wait for the app to hear.
    let mut home = String::new();
    for _ in 0..300 {
        home = b.get(format!("{base}/")).fetch_text().await;
        if home.contains("You are not signed in") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(home.contains("You are not signed in"), "{home}");
}
