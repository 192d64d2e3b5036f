//! `ExchangeSource` (RFC 8693 token exchange) against a real server, and the `act` claim as
//! the `Verifier` shows it.

use crate::support::{SECOND, TestServer, client_clock, spawn_server};
use auth_client::{
    Actor, ClientCredentials, ExchangeSource, ExchangeTarget, ManualClock, TokenError, Verifier,
};
use std::sync::Arc;

const TICKETS: &str = "https://tickets.example.com";
const PAYMENTS: &str = "https://payments.example.com";
const REPORTS: &str = "https://reports.example.com";

async fn source(
    server: &TestServer,
    id: &str,
    secret: &str,
    clock: &Arc<ManualClock>,
) -> ExchangeSource {
    ExchangeSource::builder(&server.issuer, ClientCredentials::new(id, secret))
        .clock(clock.clone())
        .build()
        .await
        .unwrap()
}

async fn verifier_for(server: &TestServer, audience: &str, clock: &Arc<ManualClock>) -> Verifier {
    Verifier::builder(&server.issuer, audience)
        .clock(clock.clone())
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_verifier_shows_which_services_act_for_the_user() {
    let server = spawn_server().await;
    let user = server.user("ann@example.com").await;
    let webapp = server.web_client("webapp").await;
    let subject = server.login("webapp", &webapp, "ann@example.com").await;
    let events = server
        .exchanging_client("events", "profile email", &[TICKETS])
        .await;
    let tickets = server
        .exchanging_client("tickets", "profile email", &[PAYMENTS])
        .await;
    let clock = client_clock();

    let for_tickets = source(&server, "events", &events, &clock)
        .await
        .exchange(
            &subject,
            &ExchangeTarget::audience(TICKETS),
            Some("profile"),
        )
        .await
        .unwrap();
    assert_eq!(for_tickets.scope(), Some("profile"));
    let claims = verifier_for(&server, TICKETS, &clock)
        .await
        .verify(for_tickets.secret())
        .await
        .unwrap();
    assert_eq!(claims.sub, user);
    assert!(claims.is_user());
    assert_eq!(claims.client_id, "events");
    assert_eq!(claims.actor(), Some("events"));
    assert_eq!(
        claims.act,
        Some(Actor {
            sub: "events".into(),
            act: None
        })
    );
    assert!(
        !claims.extra.contains_key("act"),
        "act is typed, not left in extra"
    );
    // The token is for the tickets service only.
    let error = verifier_for(&server, &server.issuer, &clock)
        .await
        .verify(for_tickets.secret())
        .await
        .unwrap_err();
    assert!(error.is_token_error(), "{error}");

    // The tickets service passes it on to payments: the chain nests, newest outermost.
    let for_payments = source(&server, "tickets", &tickets, &clock)
        .await
        .exchange(
            for_tickets.secret(),
            &ExchangeTarget::audience(PAYMENTS),
            None,
        )
        .await
        .unwrap();
    let claims = verifier_for(&server, PAYMENTS, &clock)
        .await
        .verify(for_payments.secret())
        .await
        .unwrap();
    assert_eq!(claims.sub, user);
    assert_eq!(claims.actor(), Some("tickets"));
    let chain: Vec<&str> = claims
        .act
        .as_ref()
        .unwrap()
        .chain()
        .map(|actor| actor.sub.as_str())
        .collect();
    assert_eq!(chain, ["tickets", "events"]);

    // A user's own token names no actor.
    let own = verifier_for(&server, &server.issuer, &clock)
        .await
        .verify(&subject)
        .await
        .unwrap();
    assert_eq!(own.actor(), None);
}

#[tokio::test]
async fn exchanged_tokens_are_cached_per_subject_target_and_scope() {
    let server = spawn_server().await;
    server.user("ann@example.com").await;
    server.user("bob@example.com").await;
    let webapp = server.web_client("webapp").await;
    let ann = server.login("webapp", &webapp, "ann@example.com").await;
    let bob = server.login("webapp", &webapp, "bob@example.com").await;
    let events = server
        .exchanging_client("events", "profile email", &[TICKETS, REPORTS])
        .await;
    let clock = client_clock();
    let exchange = source(&server, "events", &events, &clock).await;
    let tickets = ExchangeTarget::audience(TICKETS);
    let before = server.hits("/token");

    let first = exchange.exchange(&ann, &tickets, None).await.unwrap();
    let again = exchange.exchange(&ann, &tickets, None).await.unwrap();
    assert_eq!(again.secret(), first.secret());
    assert_eq!(
        server.hits("/token") - before,
        1,
        "the second came from the cache"
    );

    let narrower = exchange
        .exchange(&ann, &tickets, Some("email"))
        .await
        .unwrap();
    assert_ne!(narrower.secret(), first.secret());
    let reports = exchange
        .exchange(&ann, &ExchangeTarget::audience(REPORTS), None)
        .await
        .unwrap();
    assert_ne!(reports.secret(), first.secret());
    let for_bob = exchange.exchange(&bob, &tickets, None).await.unwrap();
    assert_ne!(for_bob.secret(), first.secret());
    assert_eq!(server.hits("/token") - before, 4, "one exchange per key");
    assert_eq!(exchange.cached_tokens(), 4);

    // 600 s tokens are renewed when less than 60 s remains.
    clock.advance(539 * SECOND);
    let cached = exchange.exchange(&ann, &tickets, None).await.unwrap();
    assert_eq!(cached.secret(), first.secret());
    clock.advance(2 * SECOND);
    let renewed = exchange.exchange(&ann, &tickets, None).await.unwrap();
    assert_ne!(renewed.secret(), first.secret());
    assert_eq!(server.hits("/token") - before, 5);

    // A token the other service refused is asked for again.
    exchange.invalidate(&renewed);
    let after_401 = exchange.exchange(&ann, &tickets, None).await.unwrap();
    assert_ne!(after_401.secret(), renewed.secret());
    assert_eq!(server.hits("/token") - before, 6);
}

#[tokio::test]
async fn the_cache_is_bounded() {
    let server = spawn_server().await;
    server.user("ann@example.com").await;
    let webapp = server.web_client("webapp").await;
    let ann = server.login("webapp", &webapp, "ann@example.com").await;
    let events = server
        .exchanging_client("events", "profile email", &[TICKETS, REPORTS])
        .await;
    let exchange =
        ExchangeSource::builder(&server.issuer, ClientCredentials::new("events", events))
            .capacity(2)
            .build()
            .await
            .unwrap();
    let tickets = ExchangeTarget::audience(TICKETS);
    let reports = ExchangeTarget::audience(REPORTS);
    for (target, scope) in [
        (&tickets, None),
        (&tickets, Some("email")),
        (&reports, None),
        (&reports, Some("profile")),
    ] {
        exchange.exchange(&ann, target, scope).await.unwrap();
        assert!(exchange.cached_tokens() <= 2);
    }
    assert_eq!(exchange.cached_tokens(), 2);
}

#[tokio::test]
async fn a_refused_exchange_names_the_rfc_error() {
    let server = spawn_server().await;
    server.user("ann@example.com").await;
    let webapp = server.web_client("webapp").await;
    let ann = server.login("webapp", &webapp, "ann@example.com").await;
    let events = server
        .exchanging_client("events", "profile email", &[TICKETS])
        .await;
    let exchange = source(&server, "events", &events, &client_clock()).await;
    let rejected = |result: Result<_, TokenError>| match result {
        Err(TokenError::Rejected { status, error, .. }) => (status, error.unwrap_or_default()),
        other => panic!("expected a refusal, got {other:?}"),
    };

    let target = exchange
        .exchange(&ann, &ExchangeTarget::audience(PAYMENTS), None)
        .await;
    assert_eq!(rejected(target), (400, "invalid_target".to_owned()));
    let wider = exchange
        .exchange(
            &ann,
            &ExchangeTarget::audience(TICKETS),
            Some("profile admin"),
        )
        .await;
    assert_eq!(rejected(wider), (400, "invalid_scope".to_owned()));
    let invalid = exchange
        .exchange("not-a-token", &ExchangeTarget::audience(TICKETS), None)
        .await;
    assert_eq!(rejected(invalid), (400, "invalid_request".to_owned()));
    assert_eq!(exchange.cached_tokens(), 0, "refusals are not cached");
}
