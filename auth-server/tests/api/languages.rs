//! Pages and mails in the user's language: `Accept-Language`, the `ui_locales` of an
//! authorization request, the user's own setting (which wins), and mails in the recipient's
//! setting whoever asked for them.

use crate::support::{
    Backend, PASSWORD, Pkce, REDIRECT_URI, TestApp, both_backends, form_field, spawn_app,
    spawn_app_with_mail,
};
use auth_core::clients::{self, AuthMethod, ClientId, GrantType, NewClient, RedirectUri};
use auth_core::scope::Scope;

/// A browser (cookies, no redirects followed) that asks for `languages`.
fn browser_asking(languages: &str) -> reqwest::Client {
    auth_testkit::accounts::browser_sending("accept-language", languages)
}

/// The page's `<html lang>`.
fn html_lang(page: &str) -> &str {
    let start = page
        .find("<html lang=\"")
        .expect("an html element with lang")
        + 12;
    let end = page[start..].find('"').unwrap();
    &page[start..start + end]
}

async fn get(browser: &reqwest::Client, url: &str) -> (reqwest::header::HeaderMap, String) {
    let response = browser.get(url).send().await.unwrap();
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

#[both_backends]
async fn accept_language_picks_the_language_of_a_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = app.url("/login");
    for (asked, lang, title) in [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr", "<h1>Se connecter</h1>"),
        ("ja, de;q=0.7, es;q=0.5", "de", "<h1>Anmelden</h1>"),
        ("es-MX", "es", "<h1>Iniciar sesión</h1>"),
        ("ja", "en", "<h1>Sign in</h1>"),
        ("de;q=0, en;q=0.1", "en", "<h1>Sign in</h1>"),
    ] {
        let (headers, page) = get(&browser_asking(asked), &login).await;
        assert_eq!(html_lang(&page), lang, "{asked}");
        assert!(page.contains(title), "{asked}: {page}");
        assert_eq!(headers["content-language"], lang);
        assert!(
            headers["vary"]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-language")
        );
    }
    // Without the header: English, the default.
    let (headers, page) = get(&reqwest::Client::new(), &login).await;
    assert_eq!(html_lang(&page), "en");
    assert_eq!(headers["content-language"], "en");
    // An error page, rendered after the handler, follows the header too.
    let (_, page) = get(
        &browser_asking("de"),
        &app.url("/consent?request=no-such-request"),
    )
    .await;
    assert_eq!(html_lang(&page), "de", "{page}");
}

#[both_backends]
async fn the_users_own_setting_wins_over_accept_language(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("ann@example.com").await;
    let browser = browser_asking("fr");
    let response = app.login(&browser, "ann@example.com", PASSWORD).await;
    assert_eq!(response.status(), 303);
    let (_, page) = get(&browser, &app.url("/account")).await;
    assert_eq!(html_lang(&page), "fr", "no setting yet: the browser's");
    assert!(page.contains("<h1>Votre compte</h1>"));
    assert!(page.contains("<option value=\"de\">Deutsch</option>"));

    // The setting, chosen on the account page.
    let csrf = form_field(&page, "csrf_token").unwrap();
    let saved = browser
        .post(app.url("/account/profile"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Ann"),
            ("locale", "de"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let (headers, page) = get(&browser, &app.url("/account?notice=saved")).await;
    assert_eq!(html_lang(&page), "de", "{page}");
    assert_eq!(headers["content-language"], "de");
    assert!(page.contains("Ihr Profil ist gespeichert."));
    assert!(page.contains("<option value=\"de\" selected>Deutsch</option>"));
    let stored = user_by_email(&app, "ann@example.com").await;
    assert_eq!(stored.profile.locale.as_deref(), Some("de"));

    // Error pages of the signed-in user follow the setting as well.
    let (_, page) = get(&browser, &app.url("/consent?request=no-such-request")).await;
    assert_eq!(html_lang(&page), "de", "{page}");

    // A setting made through the account API that is none of the languages (a regional
    // variant) finds its language, and the account page keeps offering it.
    set_locale(&app, "ann@example.com", "es-AR").await;
    let (_, page) = get(&browser, &app.url("/account")).await;
    assert_eq!(html_lang(&page), "es");
    assert!(page.contains("<option value=\"es-AR\" selected>es-AR</option>"));

    // And "as my browser asks" removes the setting.
    let csrf = form_field(&page, "csrf_token").unwrap();
    browser
        .post(app.url("/account/profile"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Ann"),
            ("locale", ""),
        ])
        .send()
        .await
        .unwrap();
    let (_, page) = get(&browser, &app.url("/account")).await;
    assert_eq!(html_lang(&page), "fr");
}

async fn user_by_email(app: &TestApp, email: &str) -> auth_core::users::User {
    app.provider
        .store()
        .user_by_email(email)
        .await
        .unwrap()
        .expect("the user exists")
}

/// Sets the user's language as the account API would (the profile's `locale`).
async fn set_locale(app: &TestApp, email: &str, locale: &str) {
    let user = user_by_email(app, email).await;
    let mut profile = user.profile.clone();
    profile.locale = Some(locale.to_owned());
    app.provider
        .store()
        .update_profile(&user.id, &profile, app.provider.clock().unix())
        .await
        .unwrap();
}

#[both_backends]
async fn ui_locales_of_the_authorization_request_comes_before_accept_language(backend: Backend) {
    let app = spawn_app(backend).await;
    app.code_client("webapp").await;
    let pkce = Pkce::new();
    let browser = browser_asking("de");
    // OIDC Core section 3.1.2.1: space-separated, most preferred first; `ja` is not there.
    let authorize = app.authorize_url("webapp", &pkce, &[("ui_locales", "ja es fr")]);
    let login = app.follow(&browser, &authorize).await;
    let (headers, page) = get(&browser, &login).await;
    assert_eq!(html_lang(&page), "es", "{page}");
    assert_eq!(headers["content-language"], "es");
    // The same browser on a page outside the request: its own language again.
    let (_, page) = get(&browser, &app.url("/forgot-password")).await;
    assert_eq!(html_lang(&page), "de");
}

#[both_backends]
async fn a_mail_goes_out_in_the_recipients_language_whoever_asks(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, |_| {}).await;
    // Signing up on a Spanish page makes Spanish the account's language.
    let browser = browser_asking("es");
    let response = app
        .submit(
            &browser,
            "/signup",
            "/signup",
            &[
                ("email", "bea@example.com"),
                ("name", "Bea"),
                ("password", "a long enough password 1"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert_eq!(html_lang(&page), "es");
    let user = user_by_email(&app, "bea@example.com").await;
    assert_eq!(user.profile.locale.as_deref(), Some("es"));
    let mail = sink
        .wait_for("bea@example.com", "Confirme su correo electrónico")
        .await;
    assert!(mail.text.starts_with("Hola, Bea:"), "{}", mail.text);
    assert!(mail.html.contains("<html lang=\"es\">"));
    assert!(mail.html.contains("Confirmar mi correo electrónico"));
    assert!(mail.text.contains("/verify-email?token="));

    // A German-speaking stranger asks for Bea's password reset: the mail is still Spanish.
    let stranger = browser_asking("de");
    let response = app
        .submit(
            &stranger,
            "/forgot-password",
            "/forgot-password",
            &[("email", "bea@example.com")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert_eq!(html_lang(&page), "de", "the page is the asker's");
    let mail = sink
        .wait_for("bea@example.com", "Restablezca su contraseña")
        .await;
    assert!(mail.text.contains("/reset-password?token="));
    assert!(mail.text.contains("Abra este enlace"), "{}", mail.text);

    // A user without a setting gets the default language.
    app.user("carl@example.com").await;
    app.submit(
        &browser_asking("fr"),
        "/forgot-password",
        "/forgot-password",
        &[("email", "carl@example.com")],
    )
    .await;
    let mail = sink.wait_for("carl@example.com", "Reset your").await;
    assert!(mail.html.contains("<html lang=\"en\">"));
}

#[both_backends]
async fn values_in_translated_texts_are_escaped(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut new = NewClient::new(
        "<img src=x onerror=alert(1)> & Co",
        AuthMethod::ClientSecretBasic,
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
    );
    new.id = Some(ClientId::parse("hostile").unwrap());
    new.scope = Scope::parse("openid profile email offline_access").unwrap();
    new.redirect_uris = vec![RedirectUri::parse(REDIRECT_URI).unwrap()];
    clients::register(&app.provider, new).await.unwrap();
    app.user("ann@example.com").await;
    let browser = browser_asking("fr");
    let pkce = Pkce::new();
    let authorize = app.authorize_url("hostile", &pkce, &[]);
    let login = app.follow(&browser, &authorize).await;
    let response = app
        .log_in(&browser, &login, "ann@example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), 303);
    let next = app
        .follow(
            &browser,
            &app.url(response.headers()["location"].to_str().unwrap()),
        )
        .await;
    assert!(next.contains("/consent"), "{next}");
    let (_, page) = get(&browser, &next).await;
    assert_eq!(html_lang(&page), "fr");
    assert!(
        page.contains(
            "Autoriser &#60;img src=x onerror=alert(1)&#62; &#38; Co à accéder à votre compte ?"
        ) || page.contains(
            "Autoriser &lt;img src=x onerror=alert(1)&gt; &amp; Co à accéder à votre compte ?"
        ),
        "{page}"
    );
    assert!(!page.contains("<img src=x"));
    // The markup of the "signed in as" line is the template's, the address escaped in it.
    assert!(page.contains("Connecté en tant que <strong>ann@example.com</strong>."));
    // No isolation marks around the values.
    assert!(!page.contains('\u{2068}') && !page.contains('\u{2069}'));
}
