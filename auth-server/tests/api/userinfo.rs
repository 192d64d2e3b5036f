//! Userinfo as an RFC 6750 protected resource.

use crate::support::{Backend, both_backends, spawn_app};
use auth_testkit::{Fetch as _, ReadJson as _};
use serde_json::Value;

#[both_backends]
async fn userinfo_answers_claims_by_scope_on_get_and_post(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    let user = app.user("ann@example.com").await;
    let tokens = app.tokens_for("webapp", &secret, "ann@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    let get: Value = crate::walks::userinfo(&app, access).await.read_json().await;
    assert_eq!(get["sub"], user.id.as_str());
    assert_eq!(get["email"], "ann@example.com");
    assert_eq!(get["name"], "Test User");
    let post: Value = app
        .http
        .post(app.url("/userinfo"))
        .form(&[("access_token", access)])
        .fetch_json()
        .await;
    assert_eq!(post, get);
}

#[both_backends]
async fn userinfo_refusals_carry_rfc6750_challenges(backend: Backend) {
    let app = spawn_app(backend).await;
    let svc = app.confidential_client("svc", "").await;
    let machine = app.client_credentials_token("svc", &svc, None).await;
    let cases: Vec<(Option<String>, u16, &str)> = vec![
        (None, 401, "Bearer realm=\"auth-server\""),
        (
            Some("not-a-token".into()),
            401,
            "Bearer realm=\"auth-server\", error=\"invalid_token\"",
        ),
        (
            Some(machine["access_token"].as_str().unwrap().to_owned()),
            403,
            "Bearer realm=\"auth-server\", error=\"insufficient_scope\"",
        ),
    ];
    for (token, status, challenge) in cases {
        let mut request = app.http.get(app.url("/userinfo"));
        if let Some(token) = &token {
            request = request.bearer_auth(token);
        }
        let response = request.fetch().await;
        assert_eq!(response.status(), status);
        let header = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(header.starts_with(challenge), "{header}");
    }
    let twice = app
        .http
        .post(app.url("/userinfo"))
        .bearer_auth("a")
        .form(&[("access_token", "b")])
        .fetch()
        .await;
    assert_eq!(twice.status(), 400);
    let in_query = app
        .http
        .get(app.url("/userinfo?access_token=abc"))
        .fetch()
        .await;
    assert_eq!(in_query.status(), 400);
}

#[both_backends]
async fn tokens_carry_roles_and_permissions_when_asked(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("webapp").await;
    let user = app.user("coach@example.com").await;
    let coach = auth_core::roles::Role {
        name: auth_core::roles::RoleName::parse("coach").unwrap(),
        description: "Coaches a team".into(),
        permissions: vec![auth_core::roles::RoleName::parse("events:create").unwrap()],
    };
    auth_core::roles::create(&app.provider, &coach)
        .await
        .unwrap();
    auth_core::roles::grant(&app.provider, &user.id, &coach.name)
        .await
        .unwrap();

    let tokens = app.tokens_for("webapp", &secret, "coach@example.com").await;
    let access =
        jsonwebtoken::dangerous::insecure_decode::<Value>(tokens["access_token"].as_str().unwrap())
            .unwrap()
            .claims;
    assert_eq!(access["roles"], serde_json::json!(["coach"]));
    assert!(
        access.get("permissions").is_none(),
        "permissions need the permissions scope"
    );
    let narrowed = crate::walks::refreshed(&app, "webapp", &secret, &tokens).await;
    assert!(narrowed.get("permissions").is_none());

    let pkce = crate::support::Pkce::new();
    let url = app
        .authorize_url("webapp", &pkce, &[])
        .replace("offline_access", "offline_access+permissions");
    let browser = crate::support::browser();
    let callback = app.authorize_as(&browser, &url, "coach@example.com").await;
    let code = crate::support::query_of(&callback)["code"].clone();
    let tokens: Value = app
        .exchange("webapp", &secret, &code, &pkce.verifier)
        .await
        .read_json()
        .await;
    let access =
        jsonwebtoken::dangerous::insecure_decode::<Value>(tokens["access_token"].as_str().unwrap())
            .unwrap()
            .claims;
    assert_eq!(access["permissions"], serde_json::json!(["events:create"]));
    let info: Value = crate::walks::userinfo(&app, tokens["access_token"].as_str().unwrap())
        .await
        .read_json()
        .await;
    assert_eq!(info["roles"], serde_json::json!(["coach"]));
}
