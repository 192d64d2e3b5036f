use super::{AuthServer, auth_server, serve};
use auth_client::{ClientCredentials, ExchangeSource, ExchangeTarget, Verifier};
use auth_core::clients::{self, ClientId};
use auth_testkit::Fetch as _;
use examples::{events, tickets};
use serde_json::{Value, json};

/// The audience the tickets service accepts on tokens exchanged for it.
const TICKETS_AUDIENCE: &str = "https://tickets.example.test";

/// The tickets and events services wired to `server`; returns their base URLs. The events
/// service may exchange users' tokens for the tickets service (RFC 8693).
pub async fn platform(server: &AuthServer) -> (String, String) {
    let tickets_secret = server.service("tickets-service", "users:read").await;
    let events_secret = server
        .service("events-service", "users:read tickets:write profile")
        .await;
    clients::set_token_exchange(
        &server.provider,
        &ClientId::parse("events-service").unwrap(),
        vec![TICKETS_AUDIENCE.to_owned()],
    )
    .await
    .unwrap();
    let verifier = Verifier::new(&server.issuer, &server.issuer).await.unwrap();
    let tickets_base = serve(tickets::app(tickets::AppState {
        verifier: verifier.clone(),
        directory: server.directory("tickets-service", &tickets_secret).await,
        webhooks: None,
        sales: tickets::Sales::default(),
        on_behalf: Some(tickets::OnBehalf {
            verifier: Verifier::new(&server.issuer, TICKETS_AUDIENCE)
                .await
                .unwrap(),
            events_client: "events-service".into(),
        }),
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
        tokens: server
            .service_tokens("events-service", secret, Some("tickets:write"))
            .await,
        tickets_url: events::TicketsUrl(tickets_url.to_owned()),
        http: reqwest::Client::new(),
        events: events::Events::default(),
        on_behalf: Some(events::OnBehalf {
            exchange: ExchangeSource::builder(
                &server.issuer,
                ClientCredentials::new("events-service", secret),
            )
            .build()
            .await
            .unwrap(),
            tickets_audience: TICKETS_AUDIENCE.to_owned(),
        }),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_registers_and_the_events_service_buys_the_ticket_on_their_behalf() {
    let server = auth_server(|_| {}).await;
    server
        .user("carl@example.com", "Carl Coach", &["coach"])
        .await;
    let pia_id = server
        .user("pia@example.com", "Pia Player", &["player"])
        .await;
    let (events_base, tickets_base) = platform(&server).await;
    let http = reqwest::Client::new();
    let carl = server.user_token("carl@example.com").await;
    let pia = server.user_token("pia@example.com").await;
    let event: Value = http
        .post(format!("{events_base}/events"))
        .bearer_auth(&carl)
        .json(&json!({"title": "Cup final", "seats": 2}))
        .fetch_json()
        .await;
    let id = event["id"].as_str().unwrap();

    // Pia registers at the events service; it buys her ticket at the tickets service with a
    // token exchanged from hers.
    let registered = http
        .post(format!("{events_base}/events/{id}/register"))
        .bearer_auth(&pia)
        .fetch()
        .await;
    assert_eq!(registered.status(), 201);
    let ticket: Value = registered.json().await.unwrap();
    assert_eq!(ticket["holder"], pia_id.as_str());
    assert_eq!(ticket["event_id"], id);
    let mine: Vec<Value> = http
        .get(format!("{tickets_base}/tickets/mine"))
        .bearer_auth(&pia)
        .fetch_json()
        .await;
    assert_eq!(mine.len(), 1, "the ticket is Pia's own");

    // A coach is refused by the tickets service's own rules, passed through.
    let coach = http
        .post(format!("{events_base}/events/{id}/register"))
        .bearer_auth(&carl)
        .fetch()
        .await;
    assert_eq!(coach.status(), 403);

    // The on-behalf route accepts only tokens exchanged for the tickets service by the events
    // service: not Pia's own token (another audience)...
    let direct = http
        .post(format!("{tickets_base}/on-behalf/events/{id}/tickets"))
        .bearer_auth(&pia)
        .fetch()
        .await;
    assert_eq!(direct.status(), 401);
    // ...nor one another service exchanged for it (`act.sub` names that service).
    let profiles_secret = server.service("profiles-service", "profile").await;
    clients::set_token_exchange(
        &server.provider,
        &ClientId::parse("profiles-service").unwrap(),
        vec![TICKETS_AUDIENCE.to_owned()],
    )
    .await
    .unwrap();
    let exchanged = ExchangeSource::builder(
        &server.issuer,
        ClientCredentials::new("profiles-service", profiles_secret),
    )
    .build()
    .await
    .unwrap()
    .exchange(&pia, &ExchangeTarget::audience(TICKETS_AUDIENCE), None)
    .await
    .unwrap();
    let verified = Verifier::new(&server.issuer, TICKETS_AUDIENCE)
        .await
        .unwrap()
        .verify(exchanged.secret())
        .await
        .unwrap();
    assert_eq!(verified.actor(), Some("profiles-service"));
    assert_eq!(verified.sub, pia_id);
    let other_actor = http
        .post(format!("{tickets_base}/on-behalf/events/{id}/tickets"))
        .header("authorization", exchanged.bearer_header())
        .fetch()
        .await;
    assert_eq!(other_actor.status(), 403);
    let mine: Vec<Value> = http
        .get(format!("{tickets_base}/tickets/mine"))
        .bearer_auth(&pia)
        .fetch_json()
        .await;
    assert_eq!(mine.len(), 1, "nothing more was bought");
}
