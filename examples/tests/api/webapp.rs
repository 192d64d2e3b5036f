use crate::helpers::{auth_server, browser, serve, sign_in};
use auth_client::{ClientCredentials, TokenSource, Verifier};
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
        tokens: TokenSource::builder(
            &server.issuer,
            ClientCredentials::new("events-service", events_secret),
        )
        .build()
        .await
        .unwrap(),
        tickets_url: events::TicketsUrl("http://127.0.0.1:9".into()),
        http: reqwest::Client::new(),
        events: events::Events::default(),
    }))
    .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let secret = server
        .web_client("webapp", &format!("{base}/callback"), false)
        .await;
    let app = webapp::App::new(webapp::Settings {
        issuer: server.issuer.clone(),
        client_id: "webapp".into(),
        client_secret: secret,
        base_url: base.clone(),
        events_url: events_base,
    })
    .await
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, webapp::app(app)).await });

    let b = browser();
    let home = b
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("You are not signed in"));
    let login = b.get(format!("{base}/login")).send().await.unwrap();
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
    let signed_in = b.get(&callback).send().await.unwrap();
    assert_eq!(
        signed_in.status(),
        303,
        "{}",
        signed_in.text().await.unwrap()
    );
    let home = b
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Signed in as <strong id=\"name\">Pia Player</strong>"),
        "{home}"
    );
    assert!(
        home.contains("0 events"),
        "the events service accepted the user's token: {home}"
    );

    let replay = b.get(&replayed_state).send().await.unwrap();
    assert_eq!(replay.status(), 400, "a state is used once");

    let logout = b.get(format!("{base}/logout")).send().await.unwrap();
    let end_session = logout.headers()["location"].to_str().unwrap();
    assert!(
        end_session.starts_with(&server.url("/logout?"))
            && end_session.contains("id_token_hint=")
            && end_session.contains("post_logout_redirect_uri="),
        "{end_session}"
    );
    let home = b
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("You are not signed in"));
}
