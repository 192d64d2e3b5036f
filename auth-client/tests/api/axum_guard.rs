use crate::support::{TestServer, client_clock, spawn_server};
use auth_client::Verifier;
use auth_client::axum::{Authenticated, Require};
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

async fn maybe(user: Option<Authenticated>) -> String {
    user.map_or("anonymous".to_owned(), |Authenticated(claims)| claims.sub)
}

/// A service with `/tickets` (scope `tickets:write`), `/admin` (role `support`), `/me` and
/// `/maybe`; returns its URL.
async fn service(server: &TestServer) -> String {
    let verifier = server.verifier(&client_clock()).await;
    let app = Router::new()
        .route("/tickets", get(whoami))
        .route_layer(Require::scope(&verifier, "tickets:write"))
        .route(
            "/admin",
            get(whoami).route_layer(Require::role(&verifier, "support")),
        )
        .route("/me", get(whoami))
        .route("/maybe", get(maybe))
        .with_state(AppState { verifier });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_request_without_a_token_gets_401_without_an_error_code() {
    let server = spawn_server().await;
    let url = service(&server).await;
    let http = reqwest::Client::new();

    for path in ["/tickets", "/me", "/admin"] {
        let response = http.get(format!("{url}{path}")).fetch().await;
        assert_eq!(response.status(), 401);
        assert_eq!(
            challenge(&response),
            format!("Bearer realm=\"{}\"", server.issuer)
        );
    }
    let anonymous = http.get(format!("{url}/maybe")).fetch().await;
    assert_eq!(anonymous.text().await.unwrap(), "anonymous");
}

#[tokio::test]
async fn an_invalid_token_gets_401_invalid_token_with_a_description() {
    let server = spawn_server().await;
    let url = service(&server).await;
    let http = reqwest::Client::new();

    for path in ["/tickets", "/me", "/maybe"] {
        let response = http
            .get(format!("{url}{path}"))
            .bearer_auth("not.a.token")
            .fetch()
            .await;
        assert_eq!(response.status(), 401);
        let challenge = challenge(&response);
        assert!(
            challenge.starts_with(&format!(
                "Bearer realm=\"{}\", error=\"invalid_token\", error_description=\"the token is malformed",
                server.issuer
            )),
            "{challenge}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token");
    }
}

#[tokio::test]
async fn a_token_without_the_scope_gets_403_insufficient_scope() {
    let server = spawn_server().await;
    let url = service(&server).await;
    let secret = server.client("events", "tickets:read tickets:write").await;
    let token = server
        .machine_token("events", &secret, "tickets:read")
        .await;

    let response = reqwest::Client::new()
        .get(format!("{url}/tickets"))
        .bearer_auth(&token)
        .fetch()
        .await;

    assert_eq!(response.status(), 403);
    assert_eq!(
        challenge(&response),
        format!(
            "Bearer realm=\"{}\", error=\"insufficient_scope\", error_description=\"the token lacks the scope `tickets:write`\", scope=\"tickets:write\"",
            server.issuer
        )
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn the_right_scope_or_role_gets_through_and_the_handler_sees_the_claims() {
    let server = spawn_server().await;
    let url = service(&server).await;
    let http = reqwest::Client::new();
    let secret = server.client("events", "tickets:write").await;
    let machine = server
        .machine_token("events", &secret, "tickets:write")
        .await;
    let user = server.user("ann@example.com").await;
    let support = server.user_token(&user, "openid", &["support"]);
    let plain = server.user_token(&user, "openid", &[]);
    let get = |path: &str, token: &str| http.get(format!("{url}{path}")).bearer_auth(token).send();

    let tickets = get("/tickets", &machine).await.unwrap();
    assert_eq!(tickets.status(), 200);
    assert_eq!(tickets.text().await.unwrap(), "events");
    let admin = get("/admin", &support).await.unwrap();
    assert_eq!(admin.status(), 200);
    assert_eq!(admin.text().await.unwrap(), user);
    let refused = get("/admin", &plain).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(challenge(&refused).contains("the role `support`"));
    assert!(!challenge(&refused).contains("scope=\""));
    let me = get("/maybe", &plain).await.unwrap();
    assert_eq!(me.text().await.unwrap(), user);
}
