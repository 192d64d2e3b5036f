//! `/api/docs` in real Chromium (issue 23): Swagger UI built from this server's own files with
//! JavaScript on, the plain reference with it off; and the account page's phone field styled
//! like its other fields.

use crate::browser::{chrome, chrome_with_javascript, click, expect, fill, text_of};
use crate::support::{Backend, PASSWORD, both_backends, spawn_app};
use fantoccini::Locator;
use serde_json::Value;

#[both_backends]
async fn the_api_viewer_loads_nothing_from_another_origin(backend: Backend) {
    let app = spawn_app(backend).await;
    let chrome = chrome_with_javascript(true).await;
    let b = &chrome.client;
    b.goto(&app.url("/api/docs")).await.unwrap();
    // Swagger UI draws one block per operation once it has read /api/openapi.json.
    expect(b, ".swagger-ui .opblock", "swagger ui").await;
    let operations = b
        .find_all(Locator::Css(".swagger-ui .opblock"))
        .await
        .unwrap()
        .len();
    assert!(operations >= 10, "every operation is drawn: {operations}");
    assert!(
        text_of(b, ".swagger-ui .opblock-summary-path")
            .await
            .starts_with("/api/"),
        "the server's own paths"
    );
    // Every resource the page loaded came from this server.
    let loaded = b
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .unwrap();
    let loaded: Vec<String> = serde_json::from_value(loaded).unwrap();
    assert!(
        loaded
            .iter()
            .any(|u| u.ends_with("/api/docs/swagger-ui-bundle.js")),
        "{loaded:?}"
    );
    let origin = app.url("");
    let foreign: Vec<&String> = loaded.iter().filter(|u| !u.starts_with(&origin)).collect();
    assert!(foreign.is_empty(), "loaded from elsewhere: {foreign:?}");
    // Its stylesheet applied (the policy lets this server's styles in).
    let display: Value = b
        .execute(
            "return getComputedStyle(document.querySelector('.swagger-ui .opblock')).borderTopStyle",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(display, "solid", "Swagger UI's stylesheet is applied");
}

#[both_backends]
async fn without_javascript_the_api_docs_show_the_plain_reference(backend: Backend) {
    let app = spawn_app(backend).await;
    let chrome = chrome().await;
    let b = &chrome.client;
    b.goto(&app.url("/api/docs")).await.unwrap();
    expect(b, "#no-script", "plain reference").await;
    let text = text_of(b, "main").await;
    assert!(text.contains("GET /api/account/me"), "{text}");
    assert!(
        text.contains("DELETE /api/account/apps/{client_id}"),
        "{text}"
    );
}

#[both_backends]
async fn the_phone_field_is_styled_like_the_other_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let chrome = chrome_with_javascript(true).await;
    let b = &chrome.client;
    b.goto(&app.url("/login")).await.unwrap();
    fill(b, "email", "ann@example.com").await;
    fill(b, "password", PASSWORD).await;
    click(b, "form[action='/login'] button[type=submit]").await;
    expect(b, "#signed-in-as", "account page").await;
    let style = |id: &'static str| async move {
        b.execute(
            &format!(
                "const s = getComputedStyle(document.getElementById('{id}')); \
                 return [s.width, s.paddingTop, s.borderTopWidth, s.borderTopStyle, s.borderTopLeftRadius, s.fontSize].join(' ')"
            ),
            vec![],
        )
        .await
        .unwrap()
    };
    assert_eq!(style("phone_number").await, style("name").await);
}
