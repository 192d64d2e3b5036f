//! Sign-in with an upstream identity provider in real headless Chromium with JavaScript off:
//! the upstream is a second instance of this very server (on `localhost`, the downstream on
//! `127.0.0.1`, so Chromium keeps their cookies apart). A first sign-in through the provider's
//! button creates the account; an existing local account is linked only after its password is
//! entered on the downstream, and can be unlinked from the account page.

use crate::browser::{chrome, click, expect, expect_url, fill, screenshot, sign_in, text_of};
use crate::support::{Backend, PASSWORD, UpstreamPair, both_backends, db_count};
use auth_testkit::upstream::{LABEL, PROVIDER};
use fantoccini::Client;

/// From the downstream's login page: the provider's button, the upstream's login page as
/// `email`, its consent page; ends on the downstream after its callback.
async fn through_the_upstream(b: &Client, pair: &UpstreamPair, email: &str) {
    b.goto(&pair.downstream.url("/login")).await.unwrap();
    let button = format!("#upstream-{PROVIDER}");
    expect(b, &button, "the provider's button").await;
    assert_eq!(text_of(b, &button).await, LABEL);
    click(b, &button).await;
    // The downstream's login page has a password field too: wait for the upstream's address.
    expect_url(b, &pair.issuer, "the upstream's login page").await;
    expect(b, "#password", "the upstream's login page").await;
    sign_in(b, email, PASSWORD).await;
    expect(b, "button[value=allow]", "the upstream's consent page").await;
    click(b, "button[value=allow]").await;
}

#[both_backends]
async fn a_first_sign_in_through_the_provider_creates_the_account(backend: Backend) {
    let pair = UpstreamPair::start(backend, |_| {}).await;
    pair.upstream.user("uma@example.com").await;
    let chrome = chrome().await;
    let b = &chrome.client;

    through_the_upstream(b, &pair, "uma@example.com").await;
    expect(b, "#signed-in-as", "the downstream's account page").await;
    screenshot(b, "upstream-new-account").await;
    let at = b.current_url().await.unwrap();
    assert!(
        at.as_str().starts_with(&pair.downstream.url("/account")),
        "{at}"
    );
    assert!(
        text_of(b, "#signed-in-as")
            .await
            .contains("uma@example.com")
    );
    // The account page lists the provider as linked, with the upstream address.
    let linked = text_of(b, "ul.upstream").await;
    assert!(linked.contains("linked (uma@example.com)"), "{linked}");
    let url = &pair.downstream.db.url;
    assert_eq!(
        db_count(
            url,
            "SELECT COUNT(*) FROM users WHERE email = 'uma@example.com' AND password_hash IS NULL"
        )
        .await,
        1,
        "an account without a password of its own"
    );
    assert_eq!(
        db_count(url, "SELECT COUNT(*) FROM upstream_identities").await,
        1
    );

    // The only way into that account cannot be unlinked.
    click(b, &format!("#unlink-{PROVIDER}")).await;
    expect(b, "a#continue[href='/account']", "the refused unlink").await;
    assert!(text_of(b, "main").await.contains("only way to sign in"));
    assert_eq!(
        db_count(url, "SELECT COUNT(*) FROM upstream_identities").await,
        1
    );
    chrome.client.clone().close().await.unwrap();
}

#[both_backends]
async fn an_existing_account_is_linked_only_with_its_password(backend: Backend) {
    let pair = UpstreamPair::start(backend, |_| {}).await;
    pair.upstream.user("lin@example.com").await;
    pair.downstream.user("lin@example.com").await;
    let url = pair.downstream.db.url.clone();
    let chrome = chrome().await;
    let b = &chrome.client;

    through_the_upstream(b, &pair, "lin@example.com").await;
    expect(b, "#continue", "the link page").await;
    screenshot(b, "upstream-link").await;
    assert!(text_of(b, "main").await.contains("lin@example.com"));
    assert_eq!(
        db_count(&url, "SELECT COUNT(*) FROM upstream_identities").await,
        0
    );

    // A wrong password links nothing.
    fill(b, "password", "not the password at all").await;
    click(b, "#continue").await;
    expect(b, "p.error", "the wrong password").await;
    assert_eq!(text_of(b, "p.error").await, "The password is incorrect.");
    assert_eq!(
        db_count(&url, "SELECT COUNT(*) FROM upstream_identities").await,
        0
    );

    fill(b, "password", PASSWORD).await;
    click(b, "#continue").await;
    expect(b, "#signed-in-as", "the account page after linking").await;
    assert!(
        text_of(b, "#signed-in-as")
            .await
            .contains("lin@example.com")
    );
    assert_eq!(
        db_count(&url, "SELECT COUNT(*) FROM upstream_identities").await,
        1
    );

    // The account has a password, so the link can go.
    click(b, &format!("#unlink-{PROVIDER}")).await;
    expect(b, "#notice", "the unlinked notice").await;
    assert_eq!(
        text_of(b, "#notice").await,
        "The sign-in provider is unlinked from your account."
    );
    assert_eq!(
        db_count(&url, "SELECT COUNT(*) FROM upstream_identities").await,
        0
    );
    chrome.client.clone().close().await.unwrap();
}
