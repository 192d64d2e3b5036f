//! The hosted pages in each shipped language, in real headless Chromium whose language is set
//! the way a user sets it (Chromium's `--lang` / `--accept-lang` and its `intl.accept_languages`
//! preference, which it sends as `Accept-Language`); then the user's own setting, chosen on
//! the account page, overriding the browser's.

use crate::browser::{chrome_in, click, expect, fill, screenshot, sign_in, text_of};
use crate::support::{Backend, PASSWORD, both_backends, spawn_app};
use fantoccini::{Client, Locator};

/// The `lang` of the page's `<html>` element.
async fn page_lang(b: &Client) -> String {
    b.find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("lang")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[both_backends]
async fn the_login_page_is_shown_in_the_browsers_language(backend: Backend) {
    let app = spawn_app(backend).await;
    for (language, heading, forgot) in [
        ("en", "Sign in", "Forgot your password?"),
        ("de", "Anmelden", "Passwort vergessen?"),
        ("fr", "Se connecter", "Mot de passe oublié ?"),
        ("es", "Iniciar sesión", "¿Ha olvidado su contraseña?"),
    ] {
        let chrome = chrome_in(Some(language)).await;
        let b = &chrome.client;
        b.goto(&app.url("/login")).await.unwrap();
        expect(b, "main h1", &format!("the {language} login page")).await;
        screenshot(b, &format!("i18n-login-{language}")).await;
        assert_eq!(page_lang(b).await, language);
        assert_eq!(text_of(b, "main h1").await, heading, "{language}");
        assert_eq!(
            text_of(b, "a[href='/forgot-password']").await,
            forgot,
            "{language}"
        );
        assert_eq!(b.title().await.unwrap(), format!("{heading} · Account"));
        chrome.client.clone().close().await.unwrap();
    }
}

#[both_backends]
async fn the_users_setting_on_the_account_page_overrides_the_browser(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let chrome = chrome_in(Some("fr")).await;
    let b = &chrome.client;
    b.goto(&app.url("/login")).await.unwrap();
    sign_in(b, "ann@example.com", PASSWORD).await;
    expect(b, "#signed-in-as", "the account page").await;
    assert_eq!(page_lang(b).await, "fr");
    assert_eq!(text_of(b, "main h1").await, "Votre compte");

    // Choose Spanish in the select and save the profile.
    b.find(Locator::Css("#locale option[value='es']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(b, "name", "Ann").await;
    click(b, "form[action='/account/profile'] button[type=submit]").await;
    expect(b, "#notice", "the saved notice").await;
    screenshot(b, "i18n-account-es").await;
    assert_eq!(page_lang(b).await, "es");
    assert_eq!(text_of(b, "main h1").await, "Su cuenta");
    assert_eq!(text_of(b, "#notice").await, "Su perfil se ha guardado.");
    chrome.client.clone().close().await.unwrap();
}
