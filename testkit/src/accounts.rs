//! What many of the api suite's tests ask of a running app besides the code-flow walk: a login
//! on the login page, the account page's forms, an admin token and the admin API it opens, and
//! users and their live sessions as the store keeps them.

use crate::answer::{Fetch as _, ReadJson as _};
use crate::app::TestApp;
use crate::browser::browser;
use crate::forms::{form_field, query_of};
use crate::mail::SmtpSink;
use crate::pkce::Pkce;
use crate::sign_in::PASSWORD;
use auth_core::clients::{Client, ClientId};
use auth_core::clock::Clock as _;
use auth_core::sessions::Session;
use auth_core::store::{AuditEvent, AuditFilter};
use auth_core::users::{User, UserId};

impl TestApp {
    /// A client-credentials access token of a new confidential client `ops` with the `admin`
    /// scope.
    pub async fn admin_token(&self) -> String {
        self.admin_client().await.1
    }

    /// A new confidential client `ops` with the `admin` scope: its secret, and an access token
    /// it got with it.
    pub async fn admin_client(&self) -> (String, String) {
        let secret = self.confidential_client("ops", "admin").await;
        let token = self
            .client_credentials_token("ops", &secret, Some("admin"))
            .await["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token for `ops`"))
            .to_owned();
        (secret, token)
    }

    /// A request to the admin API at `/admin{path}` with the bearer `token`.
    pub fn admin_request(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.bearer_request(method, &format!("/admin{path}"), token)
    }

    /// A request to `path` with the bearer `token`.
    pub fn bearer_request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    /// The sessions of `user` that are live at the app's clock's now.
    pub async fn live_sessions(&self, user: &UserId) -> Vec<Session> {
        self.provider
            .store()
            .user_sessions(user, self.clock.unix())
            .await
            .unwrap_or_else(|e| panic!("the sessions of {user}: {e}"))
    }

    /// Logs `email` in with `password` on the login page (`/login`) in `browser`; the answer.
    pub async fn login(
        &self,
        browser: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.log_in(browser, &self.url("/login"), email, password)
            .await
    }

    /// A fresh browser in which `email` logged in with [`PASSWORD`] (a redirect on: no second
    /// step was asked).
    pub async fn signed_in_browser(&self, email: &str) -> reqwest::Client {
        let b = browser();
        let status = self.login(&b, email, PASSWORD).await.status();
        assert_eq!(status, 303, "the password login of {email} failed");
        b
    }

    /// Logs `email` in with [`PASSWORD`] in `browser` where a second step follows; the page
    /// that asks for it.
    pub async fn second_step_page(&self, browser: &reqwest::Client, email: &str) -> String {
        let answer = self.login(browser, email, PASSWORD).await;
        answer
            .text()
            .await
            .unwrap_or_else(|e| panic!("the second step page: {e}"))
    }

    /// Posts `fields` to the account page's form `action` in `browser` (as
    /// [`TestApp::submit`] from `/account`).
    pub async fn on_account(
        &self,
        browser: &reqwest::Client,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.submit(browser, "/account", action, fields).await
    }

    /// Asks for a one-time code on the account page in `browser`; the code as `mail` receives
    /// it for `email`.
    pub async fn account_code(
        &self,
        browser: &reqwest::Client,
        mail: &SmtpSink,
        email: &str,
    ) -> String {
        self.on_account(browser, "/account/code", &[]).await;
        mail.wait_for(email, "code").await.code()
    }

    /// Changes the address of the account signed in to `browser` from `email` to `new_email`
    /// with a code mailed to `email`; the answer.
    pub async fn change_email(
        &self,
        browser: &reqwest::Client,
        mail: &SmtpSink,
        email: &str,
        new_email: &str,
    ) -> reqwest::Response {
        let code = self.account_code(browser, mail, email).await;
        let fields = [("new_email", new_email), ("code", &code)];
        self.on_account(browser, "/account/email", &fields).await
    }

    /// A user with [`PASSWORD`] whose address is not confirmed yet.
    pub async fn unverified_user(&self, email: &str) -> User {
        use auth_core::users::{Email, NewUser, Origin, Profile, password::Password};
        let new = NewUser {
            email: Email::parse(email).unwrap_or_else(|e| panic!("{email}: {e}")),
            password: Password::new(PASSWORD),
            profile: Profile::default(),
            roles: vec![],
            email_verified: false,
        };
        auth_core::users::register(&self.provider, new, Origin::Admin)
            .await
            .unwrap_or_else(|e| panic!("registering {email}: {e}"))
    }

    /// The code flow of `client` for `email` through `browser` (which keeps the session it
    /// signs in to): the token response.
    pub async fn tokens_in(
        &self,
        browser: &reqwest::Client,
        client: &str,
        secret: &str,
        email: &str,
    ) -> serde_json::Value {
        let pkce = Pkce::new();
        let authorize = self.authorize_url(client, &pkce, &[]);
        let callback = self.authorize_as(browser, &authorize, email).await;
        let code = &query_of(&callback)["code"];
        let response = self.exchange(client, secret, code, &pkce.verifier).await;
        assert_eq!(response.status(), 200, "the code of {email} exchanges");
        response.read_json().await
    }

    /// The answer of refreshing the refresh token of the token response `tokens` at
    /// `client`.
    pub async fn refreshed(
        &self,
        client: &str,
        secret: &str,
        tokens: &serde_json::Value,
    ) -> serde_json::Value {
        let refresh_token = tokens["refresh_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no refresh token in {tokens}"));
        let response = self.refresh(client, secret, refresh_token, None).await;
        response.read_json().await
    }

    /// The audit entries of `event` (up to 100), newest first.
    pub async fn audit_events_of(&self, event: &str) -> Vec<AuditEvent> {
        let filter = AuditFilter {
            event: Some(event.into()),
            limit: 100,
            ..AuditFilter::default()
        };
        let events = self.provider.store().audit_events(&filter).await;
        events.unwrap_or_else(|e| panic!("the audit log: {e}"))
    }

    /// The stored client `id`, as a copy to change.
    pub async fn stored_client(&self, id: &str) -> Client {
        let id = ClientId::parse(id).unwrap_or_else(|e| panic!("client id {id}: {e}"));
        let stored = self.provider.store().client(&id).await;
        let stored = stored.unwrap_or_else(|e| panic!("the client {id}: {e}"));
        stored
            .unwrap_or_else(|| panic!("no client {id}"))
            .as_ref()
            .clone()
    }

    /// The stored user with `email`.
    pub async fn stored_user(&self, email: &str) -> User {
        self.provider
            .store()
            .user_by_email(email)
            .await
            .unwrap_or_else(|e| panic!("the user {email}: {e}"))
            .unwrap_or_else(|| panic!("no user {email}"))
    }
}

/// The TOTP secret an enrolment page shows.
pub fn totp_secret(page: &str) -> String {
    page.split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no TOTP secret in {page}"))
        .to_owned()
}

/// A browser (as [`browser`]) that sends the header `name: value` with every request.
pub fn browser_sending(name: &'static str, value: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(value)
        .unwrap_or_else(|e| panic!("{name}: {value}: {e}"));
    headers.insert(name, value);
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap_or_else(|e| panic!("a browser: {e}"))
}

/// Allows what the consent page `page` (as `browser` was shown it) asks, posting to
/// `consent_url` (a server's `/consent`); the answer.
pub async fn allow_consent(
    browser: &reqwest::Client,
    consent_url: &str,
    page: &str,
) -> reqwest::Response {
    let field = |name| form_field(page, name).unwrap_or_else(|| panic!("no {name} in {page}"));
    let form = [
        ("csrf_token", field("csrf_token")),
        ("request", field("request")),
        ("decision", "allow".to_owned()),
    ];
    browser.post(consent_url).form(&form).fetch().await
}

/// Asserts that `response` is a 429 of a counter past its limit (`why` says which): a
/// `Retry-After` of some seconds, and the OAuth error `temporarily_unavailable`.
pub async fn assert_waits(response: reqwest::Response, why: &str) {
    assert_eq!(response.status(), 429, "{why}");
    let retry_after = response.headers()["retry-after"]
        .to_str()
        .unwrap_or_default();
    let seconds: u64 = retry_after
        .parse()
        .unwrap_or_else(|e| panic!("Retry-After {retry_after}: {e}"));
    assert!(seconds > 0, "{why}");
    let body: serde_json::Value = response.read_json().await;
    assert_eq!(body["error"], "temporarily_unavailable", "{why}");
}

/// Asserts that a command succeeded (its error output says why not).
pub fn assert_success(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The JSON a command printed, which must have succeeded.
pub fn json_output(output: &std::process::Output) -> serde_json::Value {
    assert_success(output);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("JSON output: {e}"))
}
