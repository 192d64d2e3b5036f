//! The sign-in and consent walk of the code flow, as a browser goes through it, and the token
//! requests a client makes after it.

use crate::Fetch as _;
use crate::app::TestApp;
use crate::browser::browser;
use crate::forms::{form_field, query_of};
use crate::pkce::Pkce;

/// The redirect URI of the code-flow clients tests register (nothing listens there: the test
/// reads the code from the `Location` header).
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
/// The password of every user a test creates.
pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// The `/authorize` URL for `client` with `pkce` and extra parameters.
    pub fn authorize_url(&self, client: &str, pkce: &Pkce, extra: &[(&str, &str)]) -> String {
        authorize_url(&self.url("/authorize"), client, pkce, extra).unwrap()
    }

    /// GETs `url` and returns the `Location` it redirects to (panics if it does not redirect).
    pub async fn follow(&self, browser: &reqwest::Client, url: &str) -> String {
        let response = browser.get(url).fetch().await;
        assert_eq!(response.status(), 303, "expected a redirect from {url}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        if location.starts_with('/') {
            self.url(&location)
        } else {
            location
        }
    }

    /// Logs in on the login page at `login_url`; returns where the login redirects.
    pub async fn log_in(
        &self,
        browser: &reqwest::Client,
        login_url: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = browser.get(login_url).fetch_text().await;
        let csrf = form_field(&page, "csrf_token").expect("csrf token on the login page");
        let mut form = vec![
            ("csrf_token", csrf),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ];
        if let Some(request) = form_field(&page, "request") {
            form.push(("request", request));
        }
        browser.post(self.url("/login")).form(&form).fetch().await
    }

    /// Runs the whole browser side of the code flow for a user: authorize, log in, consent.
    /// Returns the callback URL the client receives.
    pub async fn authorize_as(
        &self,
        browser: &reqwest::Client,
        authorize_url: &str,
        email: &str,
    ) -> String {
        let mut location = self.follow(browser, authorize_url).await;
        if location.contains("/login?") {
            let response = self.log_in(browser, &location, email, PASSWORD).await;
            assert_eq!(response.status(), 303, "login failed");
            let next = response.headers()["location"].to_str().unwrap().to_owned();
            location = self.follow(browser, &self.url(&next)).await;
        }
        if location.contains("/consent?") {
            let page = browser.get(&location).fetch_text().await;
            let form = [
                ("csrf_token", form_field(&page, "csrf_token").unwrap()),
                ("request", form_field(&page, "request").unwrap()),
                ("decision", "allow".to_owned()),
            ];
            let response = browser.post(self.url("/consent")).form(&form).fetch().await;
            assert_eq!(response.status(), 303);
            location = response.headers()["location"].to_str().unwrap().to_owned();
        }
        assert!(
            location.starts_with(REDIRECT_URI),
            "expected the callback, got {location}"
        );
        location
    }

    /// Exchanges a code at the token endpoint, for the [`REDIRECT_URI`] it was asked with.
    pub async fn exchange(
        &self,
        client: &str,
        secret: &str,
        code: &str,
        verifier: &str,
    ) -> reqwest::Response {
        self.exchange_with(client, secret, code, verifier, Some(REDIRECT_URI))
            .await
    }

    /// Exchanges a code at the token endpoint, sending `redirect_uri` as the authorization
    /// request named it (`None`: it named none, RFC 6749 section 4.1.3).
    pub async fn exchange_with(
        &self,
        client: &str,
        secret: &str,
        code: &str,
        verifier: &str,
        redirect_uri: Option<&str>,
    ) -> reqwest::Response {
        let mut form = vec![("grant_type", "authorization_code"), ("code", code)];
        if let Some(redirect_uri) = redirect_uri {
            form.push(("redirect_uri", redirect_uri));
        }
        form.push(("code_verifier", verifier));
        self.token_request(client, secret, &form).await
    }

    /// Refreshes at the token endpoint.
    pub async fn refresh(
        &self,
        client: &str,
        secret: &str,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.token_request(client, secret, &form).await
    }

    /// Posts `form` to the token endpoint as `client`, authenticated with `secret`.
    async fn token_request(
        &self,
        client: &str,
        secret: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(self.url("/token"))
            .basic_auth(client, Some(secret))
            .form(form)
            .fetch()
            .await
    }

    /// Whether `token` introspects as active (asked by `client`).
    pub async fn is_active(&self, client: &str, secret: &str, token: &str) -> bool {
        let body: serde_json::Value = self
            .http
            .post(self.url("/introspect"))
            .basic_auth(client, Some(secret))
            .form(&[("token", token)])
            .fetch_json()
            .await;
        body["active"] == true
    }

    /// The browser side of the flow in a browser of its own: the code the client receives, and
    /// the PKCE pair it was asked with.
    pub async fn code_for(&self, client: &str, email: &str) -> (String, Pkce) {
        let pkce = Pkce::new();
        let callback = self
            .authorize_as(&browser(), &self.authorize_url(client, &pkce, &[]), email)
            .await;
        (query_of(&callback)["code"].clone(), pkce)
    }

    /// The complete flow: a user, a client, a browser, and the token response.
    pub async fn tokens_for(&self, client: &str, secret: &str, email: &str) -> serde_json::Value {
        let (code, pkce) = self.code_for(client, email).await;
        let response = self.exchange(client, secret, &code, &pkce.verifier).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// The code-flow authorization request at `authorization_endpoint` for `client` with `pkce`
/// and extra parameters: the scopes `openid profile email offline_access`, state `state-123`,
/// nonce `nonce-456`, back to [`REDIRECT_URI`].
pub fn authorize_url(
    authorization_endpoint: &str,
    client: &str,
    pkce: &Pkce,
    extra: &[(&str, &str)],
) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(authorization_endpoint)?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("state", "state-123")
        .append_pair("nonce", "nonce-456")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    Ok(url.into())
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location.to_owned()
    }
}

/// Where `response`, a redirect (303) from the server at `base`, sends the browser, as an
/// absolute URL.
pub async fn redirect_of(response: reqwest::Response, base: &str) -> String {
    assert_eq!(
        response.status(),
        303,
        "expected a redirect, got {}",
        response.status()
    );
    absolute(base, response.headers()["location"].to_str().unwrap())
}

/// Logs in as `email` with [`PASSWORD`] on the login page at `login_url` of the server
/// `issuer`, and follows the login back to the pending authorization. Returns where that sends
/// the browser: the consent page, or the client's callback when consent is not asked.
pub async fn log_in(
    browser: &reqwest::Client,
    issuer: &str,
    login_url: &str,
    email: &str,
) -> String {
    let page = browser.get(login_url).fetch_text().await;
    let mut form = vec![
        (
            "csrf_token",
            form_field(&page, "csrf_token").expect("a csrf token"),
        ),
        ("email", email.to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    if let Some(request) = form_field(&page, "request") {
        form.push(("request", request));
    }
    let response = browser
        .post(format!("{issuer}/login"))
        .form(&form)
        .fetch()
        .await;
    let location = redirect_of(response, issuer).await;
    // Back to the pending authorization (`/authorize/continue`), which redirects on.
    if location.starts_with(issuer) && !location.starts_with(&format!("{issuer}/consent")) {
        redirect_of(browser.get(&location).fetch().await, issuer).await
    } else {
        location
    }
}

/// Runs the browser side of a sign-in from `authorize_url` at the server `issuer`: the login
/// page with [`PASSWORD`], and consent when asked. Returns the URL the server sends the
/// browser back to (the client's callback).
pub async fn sign_in(
    browser: &reqwest::Client,
    issuer: &str,
    authorize_url: &str,
    email: &str,
) -> String {
    let mut location = redirect_of(browser.get(authorize_url).fetch().await, issuer).await;
    if location.starts_with(&format!("{issuer}/login")) {
        location = log_in(browser, issuer, &location, email).await;
    }
    if location.starts_with(&format!("{issuer}/consent")) {
        let page = browser.get(&location).fetch_text().await;
        let form = [
            ("csrf_token", form_field(&page, "csrf_token").unwrap()),
            ("request", form_field(&page, "request").unwrap()),
            ("decision", "allow".to_owned()),
        ];
        let response = browser
            .post(format!("{issuer}/consent"))
            .form(&form)
            .fetch()
            .await;
        location = redirect_of(response, issuer).await;
    }
    location
}
