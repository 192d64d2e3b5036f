use super::{AuthServer, auth_server, serve};
use auth_client::{ClientCredentials, TokenSource, UserDirectory, Verifier};
use auth_testkit::Fetch as _;
use examples::{events, tickets};
use serde_json::{Value, json};

/// The tickets and events services wired to `server`; returns their base URLs.
pub async fn platform(server: &AuthServer) -> (String, String) {
    let tickets_secret = server.service("tickets-service", "users:read").await;
    let events_secret = server
        .service("events-service", "users:read tickets:write")
        .await;
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let tickets_tokens = TokenSource::builder(
        &server.issuer,
        ClientCredentials::new("tickets-service", tickets_secret),
    )
    .scope("users:read")
    .build()
    .await
    .unwrap();
    let tickets_base = serve(tickets::app(tickets::AppState {
        verifier: verifier.clone(),
        directory: UserDirectory::new(&server.issuer, tickets_tokens).unwrap(),
        webhooks: None,
        sales: tickets::Sales::default(),
    }))
    .await;
    let events_base = serve(events::app(
        events_state(server, &events_secret, &tickets_base, verifier).await,
    ))
    .await;
    (events_base, tickets_base)
}

async fn events_state(
    server: &AuthServer,
    secret: &str,
    tickets_url: &str,
    verifier: Verifier,
) -> events::AppState {
    events::AppState {
        verifier,
        tokens: TokenSource::builder(
            &server.issuer,
            ClientCredentials::new("events-service", secret),
        )
        .scope("tickets:write")
        .build()
        .await
        .unwrap(),
        tickets_url: events::TicketsUrl(tickets_url.to_owned()),
        http: reqwest::Client::new(),
        events: events::Events::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coach_creates_an_event_whose_sale_the_events_service_opens_as_itself() {
    let server = auth_server(|_| {}).await;
    server
        .user("carl@example.com", "Carl Coach", &["coach"])
        .await;
    server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    server
        .user("pat@example.com", "Pat Player", &["player"])
        .await;
    let (events_base, tickets_base) = platform(&server).await;
    let http = reqwest::Client::new();
    let carl = server.user_token("carl@example.com").await;
    let pia = server.user_token("pia@example.com").await;
    let pat = server.user_token("pat@example.com").await;

    let created = http
        .post(format!("{events_base}/events"))
        .bearer_auth(&carl)
        .json(&json!({"title": "Cup final", "seats": 1}))
        .fetch()
        .await;
    assert_eq!(created.status(), 201);
    let event: Value = created.json().await.unwrap();
    let listed: Vec<Value> = http
        .get(format!("{events_base}/events"))
        .bearer_auth(&pia)
        .fetch_json()
        .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["title"], "Cup final");

    let by_player = http
        .post(format!("{events_base}/events"))
        .bearer_auth(&pia)
        .json(&json!({"title": "Mine", "seats": 5}))
        .fetch()
        .await;
    assert_eq!(by_player.status(), 403, "players lack events:create");

    let id = event["id"].as_str().unwrap();
    let bought = http
        .post(format!("{tickets_base}/events/{id}/tickets"))
        .bearer_auth(&pia)
        .fetch()
        .await;
    assert_eq!(
        bought.status(),
        201,
        "the sale was opened by the events service"
    );
    let sold_out = http
        .post(format!("{tickets_base}/events/{id}/tickets"))
        .bearer_auth(&pat)
        .fetch()
        .await;
    assert_eq!(sold_out.status(), 409);
    let mine: Vec<Value> = http
        .get(format!("{tickets_base}/tickets/mine"))
        .bearer_auth(&pia)
        .fetch_json()
        .await;
    assert_eq!(mine.len(), 1);

    let as_user = http
        .post(format!("{tickets_base}/internal/events"))
        .bearer_auth(&carl)
        .json(&json!({"event_id": "x", "title": "x", "seats": 9}))
        .fetch()
        .await;
    assert_eq!(as_user.status(), 403, "no user token carries tickets:write");
    assert!(
        as_user.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("scope=\"tickets:write\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_is_not_stored_when_the_tickets_service_is_down() {
    let server = auth_server(|_| {}).await;
    server
        .user("carl@example.com", "Carl Coach", &["coach"])
        .await;
    let secret = server.service("events-service", "tickets:write").await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let base = serve(events::app(
        events_state(&server, &secret, &dead, verifier).await,
    ))
    .await;
    let http = reqwest::Client::new();
    let carl = server.user_token("carl@example.com").await;

    let refused = http
        .post(format!("{base}/events"))
        .bearer_auth(&carl)
        .json(&json!({"title": "Cup final", "seats": 1}))
        .fetch()
        .await;
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("tickets service"),
        "{body}"
    );
    let listed: Vec<Value> = http
        .get(format!("{base}/events"))
        .bearer_auth(&carl)
        .fetch_json()
        .await;
    assert!(listed.is_empty(), "nothing half-made");
}
