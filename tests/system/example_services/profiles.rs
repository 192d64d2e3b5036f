use super::{auth_server, serve};
use auth_client::{ClientCredentials, DirectoryError, TokenSource, UserDirectory, Verifier};
use auth_testkit::Fetch as _;
use examples::profiles;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_shown_to_their_user_and_to_team_managers_only() {
    let server = auth_server(|_| {}).await;
    let secret = server.service("profiles-service", "users:read").await;
    let player = server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    server
        .user("carl@example.com", "Carl Coach", &["coach"])
        .await;
    let directory = server.directory("profiles-service", &secret).await;
    directory
        .ensure_ready()
        .await
        .expect("the start-up check passes");
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let base = serve(profiles::app(profiles::AppState {
        verifier,
        directory,
    }))
    .await;
    let http = reqwest::Client::new();
    let pia = server.user_token("pia@example.com").await;
    let carl = server.user_token("carl@example.com").await;

    let me: Value = http
        .get(format!("{base}/me"))
        .bearer_auth(&pia)
        .fetch_json()
        .await;
    assert_eq!(
        (me["name"].as_str(), me["id"].as_str()),
        (Some("Pia Player"), Some(player.as_str()))
    );

    let refused = http
        .get(format!("{base}/profiles/{player}"))
        .bearer_auth(&pia)
        .fetch()
        .await;
    assert_eq!(refused.status(), 403);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );

    let shown: Value = http
        .get(format!("{base}/profiles/{player}"))
        .bearer_auth(&carl)
        .fetch_json()
        .await;
    assert_eq!(shown["email"], "pia@example.com");
    assert_eq!(shown["roles"], serde_json::json!(["player"]));
    let unknown = http
        .get(format!(
            "{base}/profiles/0193a4e2-7c1d-7e3a-9b1f-2c4d5e6f7a8b"
        ))
        .bearer_auth(&carl)
        .fetch()
        .await;
    assert_eq!(unknown.status(), 404);

    let anonymous = http.get(format!("{base}/me")).fetch().await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .split_whitespace()
            .next(),
        Some("Bearer")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_up_check_fails_loudly_on_a_wrong_secret_or_a_dead_server() {
    let server = auth_server(|_| {}).await;
    server.service("profiles-service", "users:read").await;
    let wrong = server
        .directory("profiles-service", "cs_not-the-secret")
        .await;
    let error = wrong
        .ensure_ready()
        .await
        .expect_err("a wrong secret is refused");
    assert!(error.to_string().contains("invalid_client"), "{error}");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let tokens = TokenSource::builder(&dead, ClientCredentials::new("profiles-service", "x"))
        .token_endpoint(format!("{dead}/token"))
        .retry(1, std::time::Duration::from_millis(10))
        .build()
        .await
        .unwrap();
    let unreachable = UserDirectory::new(&dead, tokens).unwrap();
    let error = unreachable
        .is_registered("someone")
        .await
        .expect_err("no silent answer");
    assert!(
        matches!(
            error,
            DirectoryError::Token(_) | DirectoryError::Unavailable(_)
        ),
        "{error}"
    );
}
