//! The hosted pages: login, sign-up, consent, logout, account. Server-rendered HTML forms that
//! work with JavaScript off.
//!
//! Every form carries a CSRF token bound to a cookie of the browser (an HMAC of the cookie under
//! the deployment's key), and cross-site form posts are refused by their `Origin`: a handler
//! accepts a form only through the extractors of [`form`], which check both. Errors are
//! [`PageError`]s. Pages are never framed and never cached.

pub mod account;
pub mod apps;
pub mod consent;
pub mod device;
pub mod form;
pub mod login;
pub mod logout;
pub mod passkeys;
pub mod password;
mod refusals;
pub mod signup;
pub mod templates;
pub mod upstream;
pub mod upstream_account;
pub mod verify;

use crate::error::PageError;
use crate::extract::ClientIp;
use crate::i18n::{Tr, key};
use crate::state::AppState;
use askama::Template;
use auth_core::device::UserCode;
use auth_core::params::Params;
use auth_core::secrets::new_token;
use auth_core::sessions::{self, Session};
use auth_core::throttle;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use templates::Localized;

/// What the server knows about the browser making a request.
pub struct Browser {
    jar: CookieJar,
    csrf_secret: String,
    csrf_is_new: bool,
    secure: bool,
    /// The live session, if the browser has one.
    pub session: Option<Session>,
    /// Client address (for throttling and the session list).
    pub ip: String,
    /// `User-Agent`.
    pub user_agent: String,
    /// The page's language: see [`Browser::language`].
    pub tr: Tr,
    /// The signed-in user's language setting, if any.
    user_language: Option<String>,
    accept_language: Option<String>,
    origin_ok: bool,
}

impl Browser {
    fn cookie_name(&self, name: &'static str) -> String {
        cookie_name(self.secure, name)
    }

    /// Takes the `ui_locales` of the authorization request the page belongs to into account
    /// (after the user's own setting, before `Accept-Language`: see
    /// [`crate::i18n::Catalog::negotiate`]).
    pub fn with_ui_locales(&mut self, ui_locales: Option<&str>) {
        if ui_locales.is_some() {
            self.tr = self.tr.catalog().negotiate(
                self.user_language.as_deref(),
                ui_locales,
                self.accept_language.as_deref(),
            );
        }
    }

    /// The secret that binds pending authorization requests to this browser.
    pub fn binding(&self) -> &str {
        &self.csrf_secret
    }

    /// The CSRF token to put in forms.
    pub fn csrf_token(&self, state: &AppState) -> String {
        csrf_token(state, &self.csrf_secret)
    }

    /// Starts a session cookie (and drops any previous session: no fixation).
    pub async fn start_session(
        &mut self,
        state: &AppState,
        user: &auth_core::users::UserId,
        amr: Vec<String>,
    ) -> Result<Session, auth_core::store::StoreError> {
        if let Some(old) = self.session.take() {
            sessions::end(&state.provider, &old.id).await?;
        }
        let client = sessions::ClientInfo {
            user_agent: self.user_agent.clone(),
            ip: self.ip.clone(),
        };
        let (session, secret) = sessions::start(&state.provider, user, amr, &client).await?;
        let cookie = base_cookie(
            self.cookie_name("session"),
            secret.expose().to_owned(),
            self.secure,
        );
        self.jar = self.jar.clone().add(cookie);
        self.session = Some(session.clone());
        Ok(session)
    }

    /// Ends the browser's session and clears its cookie.
    pub async fn end_session(
        &mut self,
        state: &AppState,
    ) -> Result<(), auth_core::store::StoreError> {
        if let Some(session) = self.session.take() {
            sessions::end(&state.provider, &session.id).await?;
        }
        let mut removal = base_cookie(self.cookie_name("session"), String::new(), self.secure);
        removal.make_removal();
        self.jar = self.jar.clone().add(removal);
        Ok(())
    }

    /// Remembers that the browser was sent from `/device` to sign in, with the code it
    /// brought, so that signing in comes back there ([`Browser::device_page`]).
    pub fn remember_device_page(&mut self, user_code: Option<&UserCode>) {
        let value = user_code.map_or_else(|| "-".to_owned(), UserCode::display);
        let mut cookie = base_cookie(self.cookie_name("device"), value, self.secure);
        // Long enough to sign in, not so long that a later sign-in lands there.
        cookie.set_max_age(time::Duration::minutes(15));
        self.jar = self.jar.clone().add(cookie);
    }

    /// Where to go back to after signing in, when the browser came from `/device`: the page
    /// with the code it brought (only ever a well-formed code, so nothing else can be injected
    /// into the location).
    pub fn device_page(&self) -> Option<String> {
        let value = self
            .jar
            .get(&self.cookie_name("device"))?
            .value()
            .to_owned();
        Some(match UserCode::parse(&value) {
            Some(code) => format!("/device?user_code={}", code.display()),
            None => "/device".to_owned(),
        })
    }

    /// Forgets the way back to `/device` (the user is there).
    pub fn forget_device_page(&mut self) {
        if self.jar.get(&self.cookie_name("device")).is_some() {
            let mut removal = base_cookie(self.cookie_name("device"), String::new(), self.secure);
            removal.make_removal();
            self.jar = self.jar.clone().add(removal);
        }
    }

    /// The cookies to send back (the CSRF cookie when it was just made, session changes).
    pub fn jar(&self) -> CookieJar {
        if self.csrf_is_new {
            self.jar.clone().add(base_cookie(
                self.cookie_name("csrf"),
                self.csrf_secret.clone(),
                self.secure,
            ))
        } else {
            self.jar.clone()
        }
    }
}

fn cookie_name(secure: bool, name: &'static str) -> String {
    // The __Host- prefix pins the cookie to this origin, over https, path /.
    if secure {
        format!("__Host-auth_{name}")
    } else {
        format!("auth_{name}")
    }
}

fn base_cookie(name: String, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

fn csrf_token(state: &AppState, secret: &str) -> String {
    let hash = state.provider.hasher().hash(&format!("csrf:{secret}"));
    URL_SAFE_NO_PAD.encode(hash.as_bytes())
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let secure = state.provider.settings().issuer.is_https();
        let (csrf_secret, csrf_is_new) = match jar.get(&cookie_name(secure, "csrf")) {
            Some(cookie) if cookie.value().len() >= 40 && cookie.value().len() <= 100 => {
                (cookie.value().to_owned(), false)
            }
            _ => (new_token("csrf_").expose_secret().to_owned(), true),
        };
        let session = match jar.get(&cookie_name(secure, "session")) {
            Some(cookie) => sessions::find(&state.provider, cookie.value()).await?,
            None => None,
        };
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let user_agent = header_text(&parts.headers, header::USER_AGENT).unwrap_or_default();
        let origin_ok = origin_allowed(&parts.headers, state.provider.settings().issuer.as_str());
        let user_language = match &session {
            Some(session) => state
                .provider
                .store()
                .user(&session.user_id)
                .await?
                .and_then(|user| user.profile.locale),
            None => None,
        };
        let accept_language = header_text(&parts.headers, header::ACCEPT_LANGUAGE);
        let tr =
            state
                .web
                .i18n
                .negotiate(user_language.as_deref(), None, accept_language.as_deref());
        Ok(Self {
            jar,
            csrf_secret,
            csrf_is_new,
            secure,
            session,
            ip,
            user_agent,
            tr,
            user_language,
            accept_language,
            origin_ok,
        })
    }
}

/// What the language of a page depends on, taken from a request before it is handled (for
/// [`crate::error::page::render_pending`], which renders a page error after).
pub struct LanguageHeaders {
    cookie: Option<HeaderValue>,
    accept_language: Option<String>,
}

impl LanguageHeaders {
    /// The headers of `headers` that choose the language.
    pub fn of(headers: &HeaderMap) -> Self {
        Self {
            cookie: headers.get(header::COOKIE).cloned(),
            accept_language: header_text(headers, header::ACCEPT_LANGUAGE),
        }
    }
}

/// The language of a page for a request with `headers`: the signed-in user's setting, else
/// `Accept-Language`, else the default.
pub async fn language(state: &AppState, headers: &LanguageHeaders) -> Tr {
    let mut cookies = HeaderMap::new();
    if let Some(cookie) = &headers.cookie {
        cookies.insert(header::COOKIE, cookie.clone());
    }
    let secure = state.provider.settings().issuer.is_https();
    let user_language = user_language(state, &CookieJar::from_headers(&cookies), secure)
        .await
        .unwrap_or_default();
    state.web.i18n.negotiate(
        user_language.as_deref(),
        None,
        headers.accept_language.as_deref(),
    )
}

async fn user_language(
    state: &AppState,
    jar: &CookieJar,
    secure: bool,
) -> Result<Option<String>, auth_core::store::StoreError> {
    let Some(cookie) = jar.get(&cookie_name(secure, "session")) else {
        return Ok(None);
    };
    let Some(session) = sessions::find(&state.provider, cookie.value()).await? else {
        return Ok(None);
    };
    Ok(state
        .provider
        .store()
        .user(&session.user_id)
        .await?
        .and_then(|user| user.profile.locale))
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Whether a form post comes from this site. `Sec-Fetch-Site` is decisive when the browser
/// sends it (it reflects the real initiator; `Origin` can be `null` for a same-origin post under
/// `Referrer-Policy: no-referrer`). Older browsers are judged by `Origin`, and requests with
/// neither pass: the CSRF token still protects them.
fn origin_allowed(headers: &HeaderMap, issuer: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let issuer_origin = url::Url::parse(issuer).map(|u| u.origin().ascii_serialization());
    matches!((origin.to_str(), issuer_origin), (Ok(origin), Ok(expected)) if origin == expected)
}

/// Renders a page with the headers every page carries: its language in `Content-Language`
/// (RFC 9110 section 8.5) and `Vary: Accept-Language`, as the language follows that header.
pub fn render(
    state: &AppState,
    status: StatusCode,
    template: &(impl Template + Localized),
) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            if let Ok(language) = HeaderValue::from_str(template.tr().lang()) {
                headers.insert(header::CONTENT_LANGUAGE, language);
            }
            headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            let _ = state;
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A page with a form, with the browser's cookies: `page` builds it from what every form page
/// has, its messages (`t`), the product's name and the browser's CSRF token (the one
/// [`form::Posted`] checks the post against).
pub fn form_page<'a, P: Template + Localized>(
    state: &'a AppState,
    browser: &'a Browser,
    status: StatusCode,
    page: impl FnOnce(&'a Tr, &'a str, String) -> P,
) -> Response {
    let page = page(
        &browser.tr,
        &state.web.product_name,
        browser.csrf_token(state),
    );
    (browser.jar(), render(state, status, &page)).into_response()
}

/// An information page with an optional link onwards: `title` and `message` are message keys
/// (wrap them in [`crate::i18n::key`]), the link's text is text.
pub fn notice(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    title: &str,
    message: &str,
    link: Option<(String, String)>,
) -> Response {
    let (title, message) = (browser.tr.get(title), browser.tr.get(message));
    notice_text(state, browser, status, &title, &message, link)
}

/// A page's query parameters; a query that does not parse is an `invalid_request`.
pub fn parse_query(query: Option<String>) -> Result<Params, PageError> {
    Params::parse(query.unwrap_or_default().as_bytes())
        .map_err(|e| PageError::invalid_request(e.description()))
}

/// A page's query parameters, none when the query does not parse (for pages whose
/// parameters are all optional: a notice, a token to check, a handle to look up).
pub fn lenient_query(query: Option<String>) -> Params {
    Params::parse(query.unwrap_or_default().as_bytes()).unwrap_or_default()
}

/// Counts a post of `feature` against the budget of the browser's network; over it, the
/// "too many attempts from your network" page.
pub async fn throttle_network(
    state: &AppState,
    browser: &Browser,
    feature: throttle::Feature,
) -> Result<(), PageError> {
    let network = throttle::Network::of(&browser.ip);
    throttle::hit(
        &state.provider,
        &[&throttle::Key::network(feature, &network)],
    )
    .await
    .map_err(|throttled| PageError::throttled(browser, &throttled, key("throttled-network")))
}

/// The form that asks for an e-mail address to send a link to (`texts`: the keys of its title
/// and introduction), posted to `action`.
pub fn email_form(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    (title, intro): (&str, &str),
    action: &str,
    error: Option<&str>,
) -> Response {
    let t = &browser.tr;
    let (title, intro, button) = (t.get(title), t.get(intro), t.get("common-send-link"));
    form_page(state, browser, status, |t, product, csrf| {
        templates::EmailFormPage {
            t,
            product,
            csrf,
            title: &title,
            intro: &intro,
            action,
            button: &button,
            error,
        }
    })
}

/// "Check your e-mail": the one answer to a request for a link, whether or not an account
/// needs one (`message`: the key of what was sent), with the way back to the sign-in.
pub fn check_email(state: &AppState, browser: &Browser, message: &str) -> Response {
    notice(
        state,
        browser,
        StatusCode::OK,
        key("common-check-email"),
        message,
        Some((
            "/login".to_owned(),
            browser.tr.get("common-back-to-sign-in"),
        )),
    )
}

/// An information page whose title and message are texts already in the page's language.
pub fn notice_text(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    title: &str,
    message: &str,
    link: Option<(String, String)>,
) -> Response {
    let page = templates::NoticePage {
        t: &browser.tr,
        product: &state.web.product_name,
        title,
        message,
        link: link
            .as_ref()
            .map(|(href, text)| (href.clone(), text.as_str())),
    };
    (browser.jar(), render(state, status, &page)).into_response()
}

/// `303 See Other` to `location`, with the browser's cookies.
pub fn see_other(browser: &Browser, location: &str) -> Response {
    (browser.jar(), Redirect::to(location)).into_response()
}

/// `GET /static/auth.css`
pub async fn stylesheet(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        state.web.stylesheet.clone(),
    )
        .into_response()
}

/// The default stylesheet, compiled in.
pub const DEFAULT_STYLESHEET: &str = include_str!("../../../templates/static/auth.css");
