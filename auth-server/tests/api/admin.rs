//! The admin API.

use crate::support::{Backend, both_backends, spawn_app};
use auth_testkit::Fetch as _;
use reqwest::Method;
use serde_json::{Value, json};

#[both_backends]
async fn an_admin_token_manages_roles_users_and_clients(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.admin_token().await;
    let admin = |method, path: &str| app.admin_request(&token, method, path);

    let role = admin(reqwest::Method::POST, "/roles")
        .json(&json!({
            "name": "event-creator",
            "description": "Creates events",
            "permissions": ["events:create"]
        }))
        .fetch()
        .await;
    assert_eq!(role.status(), 201);
    let duplicate = admin(reqwest::Method::POST, "/roles")
        .json(&json!({"name": "event-creator"}))
        .fetch()
        .await;
    assert_eq!(duplicate.status(), 409);

    let user = admin(reqwest::Method::POST, "/users")
        .json(&json!({
            "email": "op@example.com",
            "password": "correct horse battery",
            "roles": ["event-creator"]
        }))
        .fetch()
        .await;
    assert_eq!(user.status(), 201);
    let user: Value = user.json().await.unwrap();
    assert_eq!(user["roles"], json!(["event-creator"]));
    assert_eq!(user["permissions"], json!(["events:create"]));
    let id = user["id"].as_str().unwrap();

    let permissions = admin(reqwest::Method::PUT, "/roles/event-creator/permissions")
        .json(&json!({"permissions": ["events:create", "events:delete"]}))
        .fetch()
        .await;
    assert_eq!(permissions.status(), 200);
    let shown: Value = admin(reqwest::Method::GET, &format!("/users/{id}"))
        .fetch_json()
        .await;
    assert_eq!(
        shown["permissions"],
        json!(["events:create", "events:delete"])
    );

    let revoked: Value = admin(
        reqwest::Method::DELETE,
        &format!("/users/{id}/roles/event-creator"),
    )
    .fetch_json()
    .await;
    assert_eq!(revoked["roles"], json!([]));
    let missing = admin(
        reqwest::Method::DELETE,
        &format!("/users/{id}/roles/event-creator"),
    )
    .fetch()
    .await;
    assert_eq!(missing.status(), 404);
    let disabled: Value = admin(reqwest::Method::POST, &format!("/users/{id}/disable"))
        .fetch_json()
        .await;
    assert_eq!(disabled["disabled"], true);
    let enabled: Value = admin(reqwest::Method::POST, &format!("/users/{id}/enable"))
        .fetch_json()
        .await;
    assert_eq!(enabled["disabled"], false);
    let audit: Value = admin(reqwest::Method::GET, &format!("/audit?user={id}"))
        .fetch_json()
        .await;
    let events: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert!(
        events.contains(&"user_disabled") && events.contains(&"user_enabled"),
        "{events:?}"
    );

    let client = admin(reqwest::Method::POST, "/clients")
        .json(&json!({
            "client_name": "Tickets",
            "client_id": "tickets",
            "grant_types": ["client_credentials"],
            "scope": "users:read"
        }))
        .fetch()
        .await;
    assert_eq!(client.status(), 201);
    assert_eq!(
        client.headers()["cache-control"],
        "no-store",
        "the answer carries the secret"
    );
    let client: Value = client.json().await.unwrap();
    assert!(client["client_secret"].as_str().unwrap().starts_with("cs_"));
    // The same change as the console's.
    let changed = admin(reqwest::Method::PUT, "/clients/tickets")
        .json(&json!({
            "client_name": "Tickets (new)",
            "grant_types": ["client_credentials"],
            "scope": "users:read metrics"
        }))
        .fetch()
        .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["client_name"], "Tickets (new)");
    assert_eq!(changed["scope"], "metrics users:read");
    let refused = admin(reqwest::Method::PUT, "/clients/tickets")
        .json(&json!({"client_name": "Tickets", "grant_types": ["authorization_code"]}))
        .fetch()
        .await;
    assert_eq!(refused.status(), 400, "a code client needs a redirect URI");
    let bad = admin(reqwest::Method::POST, "/clients")
        .json(&json!({"client_name": "x", "grant_types": ["password"]}))
        .fetch()
        .await;
    assert_eq!(bad.status(), 400);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(
        bad["error_description"],
        "grant type `password` is not supported"
    );

    let rotated = admin(reqwest::Method::POST, "/keys/rotate")
        .json(&json!({"immediately": true}))
        .fetch()
        .await;
    assert_eq!(rotated.status(), 200);
    let keys: Value = admin(reqwest::Method::GET, "/keys").fetch_json().await;
    assert_eq!(keys.as_array().unwrap().len(), 2);
}

#[both_backends]
async fn the_admin_api_needs_the_admin_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.confidential_client("svc", "users:read").await;
    let token = app.client_credentials_token("svc", &secret, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let without = app.http.get(app.url("/admin/users")).fetch().await;
    assert_eq!(without.status(), 401);
    let weak = app
        .bearer_request(Method::GET, "/admin/users", &token)
        .fetch()
        .await;
    assert_eq!(weak.status(), 403);
    assert!(
        weak.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("scope=\"admin\"")
    );

    // A user token only carries `admin` when the user has the admin role.
    app.client_with(
        "console",
        "openid admin",
        auth_core::clients::AuthMethod::ClientSecretBasic,
        &[auth_core::clients::GrantType::AuthorizationCode],
        &[crate::support::REDIRECT_URI],
    )
    .await;
    let console_secret = app
        .provider
        .store()
        .client(&auth_core::clients::ClientId::parse("console").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(console_secret.secret_hash.is_some());
}
