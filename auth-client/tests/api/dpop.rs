//! DPoP in auth-client (RFC 9449): a token source holding a key gets bound tokens (answering
//! the server's nonce), its calls carry proofs, and the axum guard takes a bound token only with
//! a proof of its key for that request, once.

use crate::support::{client_clock, spawn_server, spawn_server_with};
use auth_client::axum::{Authenticated, Require};
use auth_client::{
    ClientCredentials, DpopKey, SigningAlgorithm, TokenSource, Verifier, VerifyError,
};
use auth_testkit::Fetch as _;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;

#[derive(Clone, FromRef)]
struct AppState {
    verifier: Verifier,
}

async fn whoami(Authenticated(claims): Authenticated) -> String {
    claims.sub
}

/// A service with `/tickets` (scope `tickets:write`) behind `verifier`; returns its URL.
async fn service(verifier: Verifier) -> String {
    let app = Router::new()
        .route("/tickets", get(whoami))
        .route_layer(Require::scope(&verifier, "tickets:write"))
        .with_state(AppState { verifier });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Status, `WWW-Authenticate` and body of a GET with `authorization` and `dpop` headers.
async fn call(url: &str, authorization: &str, dpop: Option<&str>) -> (u16, String, String) {
    let mut request = reqwest::Client::new()
        .get(url)
        .header("authorization", authorization);
    if let Some(proof) = dpop {
        request = request.header("dpop", proof);
    }
    let response = request.fetch().await;
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge, response.text().await.unwrap())
}

#[tokio::test]
async fn a_bound_token_passes_the_guard_only_with_a_fresh_proof_of_its_key() {
    let server = spawn_server().await;
    let secret = server.client("svc", "tickets:write").await;
    let key = DpopKey::generate(SigningAlgorithm::Es256).unwrap();
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("svc", secret))
        .dpop_key(key.clone())
        .build()
        .await
        .unwrap();
    let token = tokens.token().await.unwrap();
    assert!(token.is_dpop_bound());
    let verifier = server.verifier(&client_clock()).await;
    let url = format!("{}/tickets", service(verifier.clone()).await);

    let headers = token.authorization("GET", &url);
    assert!(headers.authorization.starts_with("DPoP "));
    let proof = headers.dpop.clone().unwrap();
    let (status, _, body) = call(&url, &headers.authorization, Some(&proof)).await;
    assert_eq!((status, body.as_str()), (200, "svc"));

    let other = DpopKey::generate(SigningAlgorithm::Es256).unwrap();
    let cases = [
        (
            call(&url, &headers.authorization, Some(&proof)).await,
            "used before",
        ),
        (
            call(&url, &headers.authorization, None).await,
            "proof is required",
        ),
        (
            call(
                &url,
                &headers.authorization,
                Some(&key.proof("GET", &format!("{url}/other"), Some(token.secret()))),
            )
            .await,
            "another URL",
        ),
        (
            call(
                &url,
                &headers.authorization,
                Some(&key.proof("POST", &url, Some(token.secret()))),
            )
            .await,
            "another HTTP method",
        ),
        (
            call(
                &url,
                &headers.authorization,
                Some(&other.proof("GET", &url, Some(token.secret()))),
            )
            .await,
            "another key",
        ),
    ];
    for ((status, challenge, body), why) in cases {
        assert_eq!(status, 401, "{why}: {body}");
        assert!(
            challenge.starts_with("DPoP ") && challenge.contains("invalid_dpop_proof"),
            "{why}: {challenge}"
        );
        assert!(body.contains(why), "{why}: {body}");
    }
    // As a bearer token (RFC 9449 section 7.2), and through `verify`.
    let (status, challenge, _) = call(&url, &token.bearer_header(), None).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"), "{challenge}");
    assert!(matches!(
        verifier.verify(token.secret()).await,
        Err(VerifyError::DpopBound)
    ));
    // A fresh proof works again.
    let again = token.authorization("GET", &url);
    let (status, _, _) = call(&url, &again.authorization, again.dpop.as_deref()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_token_source_answers_the_servers_nonce() {
    let server = spawn_server_with(|c| c.dpop.require_nonce = true).await;
    let secret = server.client("svc", "tickets:write").await;
    let tokens = TokenSource::builder(&server.issuer, ClientCredentials::new("svc", secret))
        .dpop_key(DpopKey::generate(SigningAlgorithm::EdDsa).unwrap())
        .build()
        .await
        .unwrap();
    let token = tokens.token().await.unwrap();
    assert!(token.is_dpop_bound());
    assert_eq!(
        server.hits("/token"),
        2,
        "asked for the nonce once, then served"
    );
}

#[tokio::test]
async fn an_unbound_token_is_refused_with_the_dpop_scheme() {
    let server = spawn_server().await;
    let secret = server.client("svc", "tickets:write").await;
    let token = server.machine_token("svc", &secret, "tickets:write").await;
    let url = format!(
        "{}/tickets",
        service(server.verifier(&client_clock()).await).await
    );
    let (status, challenge, _) = call(&url, &format!("DPoP {token}"), None).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"), "{challenge}");
    assert_eq!(call(&url, &format!("Bearer {token}"), None).await.0, 200);
}
