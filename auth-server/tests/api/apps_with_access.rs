//! Apps with access (issue 23): the user's list of the applications that can use the account,
//! and "remove access", on the account page and through the account API.

use crate::route_rules::{FIRST_PARTY_SCOPE, first_party_client, first_party_tokens};
use crate::support::{Backend, Pkce, TestApp, both_backends, browser, query_of, spawn_app};
use auth_testkit::{Fetch as _, ReadJson as _};
use reqwest::Method;
use serde_json::Value;

/// A browser signed in as `email` that went through the code flow of `client` (consenting),
/// and the token response `client` received.
async fn signed_in_with_tokens(
    app: &TestApp,
    client: &str,
    secret: &str,
    email: &str,
) -> (reqwest::Client, Value) {
    let browser = browser();
    let pkce = Pkce::new();
    let callback = app
        .authorize_as(&browser, &app.authorize_url(client, &pkce, &[]), email)
        .await;
    let code = query_of(&callback)["code"].clone();
    let response = app.exchange(client, secret, &code, &pkce.verifier).await;
    assert_eq!(response.status(), 200);
    (browser, response.json().await.unwrap())
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
}

async fn apps_of(app: &TestApp, access: &str) -> Vec<Value> {
    app.bearer_request(Method::GET, "/api/account/apps", access)
        .fetch_json::<Value>()
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[both_backends]
async fn removing_an_apps_access_ends_its_tokens_and_asks_for_consent_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = app.code_client("thirdparty").await;
    app.user("ann@example.com").await;
    app.user("bob@example.com").await;
    let (ann, tokens) = signed_in_with_tokens(&app, "thirdparty", &secret, "ann@example.com").await;
    let (access, refresh) = (
        str_of(&tokens, "access_token"),
        str_of(&tokens, "refresh_token"),
    );
    // A code the app has not redeemed yet (consent is remembered: no page this time).
    let pending = Pkce::new();
    let callback = app
        .authorize_as(
            &ann,
            &app.authorize_url("thirdparty", &pending, &[]),
            "ann@example.com",
        )
        .await;
    let pending_code = query_of(&callback)["code"].clone();

    let page = ann.get(app.url("/account/apps")).fetch_text().await;
    assert!(page.contains("id=\"app-thirdparty\""), "{page}");
    assert!(
        page.contains("offline_access"),
        "the consented scopes are listed: {page}"
    );

    // Bob cannot take Ann's app away: his post only concerns his own account.
    let (bob, _) = signed_in_with_tokens(&app, "thirdparty", &secret, "bob@example.com").await;
    let bobs = app
        .submit(
            &bob,
            "/account/apps",
            "/account/apps/remove",
            &[("client_id", "thirdparty")],
        )
        .await;
    assert_eq!(bobs.status(), 303);
    assert!(
        app.is_active("thirdparty", &secret, access).await,
        "Ann's token survives Bob's removal"
    );

    // Without the form's CSRF token nothing happens.
    let forged = ann
        .post(app.url("/account/apps/remove"))
        .form(&[("client_id", "thirdparty")])
        .fetch()
        .await;
    assert_eq!(forged.status(), 403);
    assert!(app.is_active("thirdparty", &secret, access).await);

    let removed = app
        .submit(
            &ann,
            "/account/apps",
            "/account/apps/remove",
            &[("client_id", "thirdparty")],
        )
        .await;
    assert_eq!(removed.status(), 303);
    assert_eq!(
        removed.headers()["location"],
        "/account/apps?notice=removed"
    );

    assert!(
        !app.is_active("thirdparty", &secret, access).await,
        "the access token reads inactive at introspection"
    );
    let refreshed = app.refresh("thirdparty", &secret, refresh, None).await;
    assert_eq!(refreshed.status(), 400, "the refresh token fails");
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_eq!(refreshed["error"], "invalid_grant");
    let late = app
        .exchange("thirdparty", &secret, &pending_code, &pending.verifier)
        .await;
    assert_eq!(
        late.status(),
        400,
        "a code issued before the removal is taken back"
    );
    let userinfo = app
        .bearer_request(Method::GET, "/userinfo", access)
        .fetch()
        .await;
    assert_eq!(userinfo.status(), 401);

    let page = ann.get(app.url("/account/apps")).fetch_text().await;
    assert!(!page.contains("id=\"app-thirdparty\""), "{page}");
    let again = app
        .follow(&ann, &app.authorize_url("thirdparty", &Pkce::new(), &[]))
        .await;
    assert!(
        again.contains("/consent?"),
        "the app has to ask again: {again}"
    );

    // Removing it again: nothing to remove (the form token comes from the account page: the
    // apps page has no form left).
    let twice = app
        .on_account(&ann, "/account/apps/remove", &[("client_id", "thirdparty")])
        .await;
    assert_eq!(twice.status(), 404);
    let unknown = app
        .on_account(
            &ann,
            "/account/apps/remove",
            &[("client_id", "no-such-app")],
        )
        .await;
    assert_eq!(
        unknown.status(),
        404,
        "an unknown app reads like one without access"
    );
}

#[both_backends]
async fn the_account_api_lists_and_removes_apps_with_access(backend: Backend) {
    let app = spawn_app(backend).await;
    let third = app.code_client("thirdparty").await;
    app.user("ann@example.com").await;
    let first = first_party_client(&app, "webapp").await;
    let own = first_party_tokens(&app, "webapp", &first, "ann@example.com").await;
    let writer = str_of(&own, "access_token");
    let (_, tokens) = signed_in_with_tokens(&app, "thirdparty", &third, "ann@example.com").await;
    let (access, refresh) = (
        str_of(&tokens, "access_token"),
        str_of(&tokens, "refresh_token"),
    );

    let apps = apps_of(&app, writer).await;
    let listed = apps
        .iter()
        .find(|a| a["client_id"] == "thirdparty")
        .unwrap_or_else(|| panic!("thirdparty is listed: {apps:?}"));
    assert_eq!(listed["has_tokens"], true);
    assert_eq!(listed["self_registered"], false);
    let scopes: Vec<&str> = listed["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        scopes.contains(&"openid") && scopes.contains(&"offline_access"),
        "{scopes:?}"
    );
    assert!(listed["granted_at"].as_i64().unwrap() > 0);
    assert!(listed["last_used_at"].as_i64().is_some());
    assert!(
        apps.iter().any(|a| a["client_id"] == "webapp"),
        "the first-party app holding tokens is listed too: {apps:?}"
    );

    // Reading needs `account`, removing `account:write`; another app's plain token neither.
    let third_only = app
        .bearer_request(Method::GET, "/api/account/apps", access)
        .fetch()
        .await;
    assert_eq!(
        third_only.status(),
        403,
        "a third-party token cannot list the apps"
    );
    let reader = first_party_tokens_with(&app, &first, "openid account").await;
    let refused = app
        .bearer_request(Method::DELETE, "/api/account/apps/thirdparty", &reader)
        .fetch()
        .await;
    assert_eq!(refused.status(), 403, "reading scope cannot remove");
    assert!(app.is_active("thirdparty", &third, access).await);

    let removed = app
        .bearer_request(Method::DELETE, "/api/account/apps/thirdparty", writer)
        .fetch()
        .await;
    assert_eq!(removed.status(), 204);
    assert!(!app.is_active("thirdparty", &third, access).await);
    assert_eq!(
        app.refresh("thirdparty", &third, refresh, None)
            .await
            .status(),
        400
    );
    assert!(
        !apps_of(&app, writer)
            .await
            .iter()
            .any(|a| a["client_id"] == "thirdparty"),
        "gone from the list"
    );
    let again = app
        .bearer_request(Method::DELETE, "/api/account/apps/thirdparty", writer)
        .fetch()
        .await;
    assert_eq!(again.status(), 404);
    let body: Value = again.read_json().await;
    assert_eq!(body["error"], "not_found");
    assert!(
        app.is_active("webapp", &first, writer).await,
        "the other app keeps its access"
    );
    let _ = FIRST_PARTY_SCOPE;
}

/// An access token of the first-party app `webapp` for Ann with exactly `scope`.
async fn first_party_tokens_with(app: &TestApp, secret: &str, scope: &str) -> String {
    let pkce = Pkce::new();
    let mut url = url::Url::parse(&app.authorize_url("webapp", &pkce, &[])).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let value = if k == "scope" {
                scope.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let callback = app
        .authorize_as(&browser(), url.as_str(), "ann@example.com")
        .await;
    let code = query_of(&callback)["code"].clone();
    let tokens: Value = app
        .exchange("webapp", secret, &code, &pkce.verifier)
        .await
        .json()
        .await
        .unwrap();
    str_of(&tokens, "access_token").to_owned()
}
