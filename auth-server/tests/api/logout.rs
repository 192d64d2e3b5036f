//! RP-initiated logout.

use crate::support::{Backend, Pkce, REDIRECT_URI, both_backends, browser, form_field, spawn_app};
use crate::walks::{allow_post_logout_redirect, code_in, refreshed, tokens_in};
use auth_testkit::Fetch as _;

const AFTER_LOGOUT: &str = "http://127.0.0.1:9/signed-out";

async fn setup(app: &crate::support::TestApp) -> String {
    let secret = app.code_client("webapp").await;
    allow_post_logout_redirect(app, "webapp", AFTER_LOGOUT).await;
    app.user("ann@example.com").await;
    secret
}

#[both_backends]
async fn logout_with_an_id_token_hint_ends_the_session_and_returns_with_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = setup(&app).await;
    let browser = browser();
    let tokens = tokens_in(&app, &browser, ("webapp", &secret), "ann@example.com").await;
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", AFTER_LOGOUT)
        .append_pair("state", "bye");
    let location = app.follow(&browser, url.as_str()).await;
    assert_eq!(location, format!("{AFTER_LOGOUT}?state=bye"));
    // The session is gone: authorizing again asks for the password, and the refresh token
    // issued in that session is revoked.
    let again = app
        .follow(&browser, &app.authorize_url("webapp", &Pkce::new(), &[]))
        .await;
    assert!(again.contains("/login?"), "{again}");
    let refreshed = refreshed(&app, "webapp", &secret, &tokens).await;
    assert_eq!(refreshed["error"], "invalid_grant");
}

#[both_backends]
async fn logout_without_a_hint_asks_the_user_first(backend: Backend) {
    let app = spawn_app(backend).await;
    setup(&app).await;
    let browser = browser();
    code_in(&app, &browser, "webapp", "ann@example.com").await;
    let response = browser
        .get(app.url("/logout?client_id=webapp"))
        .fetch()
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Client webapp asks to sign you out."),
        "{page}"
    );
    // Still signed in until the user confirms.
    let still = app
        .follow(&browser, &app.authorize_url("webapp", &Pkce::new(), &[]))
        .await;
    assert!(still.starts_with(REDIRECT_URI));
    let confirm = [
        ("csrf_token", form_field(&page, "csrf_token").unwrap()),
        ("confirm", "yes".to_owned()),
        ("client_id", "webapp".to_owned()),
    ];
    let done = browser
        .post(app.url("/logout"))
        .form(&confirm)
        .fetch()
        .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("You are signed out"));
    let after = app
        .follow(&browser, &app.authorize_url("webapp", &Pkce::new(), &[]))
        .await;
    assert!(after.contains("/login?"));
}

#[both_backends]
async fn an_unregistered_post_logout_redirect_uri_is_an_error_page(backend: Backend) {
    let app = spawn_app(backend).await;
    setup(&app).await;
    let response = browser()
        .get(app.url(
            "/logout?client_id=webapp&post_logout_redirect_uri=https%3A%2F%2Fevil.example.com%2F",
        ))
        .fetch()
        .await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("is not registered for client `webapp`")
    );
    let forged = browser()
        .get(app.url("/logout?id_token_hint=a.b.c"))
        .fetch()
        .await;
    assert_eq!(forged.status(), 400);
}
