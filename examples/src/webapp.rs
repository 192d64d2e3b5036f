//! A third-party web app: signs users in with the OpenID Connect authorization code flow and
//! PKCE (S256) through the `openidconnect` crate, then calls the events service with the
//! user's access token.
//!
//! - `GET /`: who is signed in and the events they can see, or a sign-in link.
//! - `GET /login`: to the server's `/authorize` with `state`, `nonce` and a PKCE challenge.
//! - `GET /callback`: checks `state`, exchanges the code with the PKCE verifier, validates the
//!   ID token (signature, issuer, audience, expiry, nonce), and starts a session.
//! - `GET /logout`: ends the session here and at the server (RP-initiated logout).
//! - `POST /backchannel-logout`: the server says a session ended (OpenID Connect Back-Channel
//!   Logout: the user signed out elsewhere, an admin disabled the account, the password was
//!   reset). `auth-client`'s endpoint verifies the logout token and the app ends its sessions
//!   begun with an ID token of that `sid`. Register it as the client's `backchannel_logout_uri`.
//!
//! Sessions are kept in memory, keyed by a random cookie. A pending sign-in (PKCE verifier
//! and nonce, keyed by `state`) belongs to the browser that began it: `/login` sets a random,
//! short-lived, `HttpOnly`, `SameSite=Lax` cookie and `/callback` accepts the `state` only
//! with that cookie (RFC 6749 section 10.12, RFC 9700 section 4.7). Without the binding, an
//! attacker could begin a sign-in, stop before the callback and send the victim the callback
//! URL, signing the victim in to the attacker's account (login CSRF). Pending sign-ins expire
//! after [`PENDING_TTL`] and there are at most [`MAX_PENDING`] of them.

use auth_client::axum::{EndSessions, backchannel_logout};
use auth_client::{LogoutToken, LogoutVerifier, Verifier};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

const COOKIE: &str = "webapp_session";
/// The cookie binding a pending sign-in to its browser.
const SIGN_IN_COOKIE: &str = "webapp_sign_in";
/// How long a user may take between `/login` and `/callback`.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
/// Most sign-ins in progress at once; anyone can start one, so the map must not grow forever.
pub const MAX_PENDING: usize = 10_000;

/// How the app is set up.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The authorization server's issuer.
    pub issuer: String,
    /// This app's client id at the server.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// Its own base URL, e.g. `http://127.0.0.1:8090` (the callback is `<base>/callback`).
    pub base_url: String,
    /// The events service's base URL.
    pub events_url: String,
}

/// What the handlers share.
#[derive(Clone)]
pub struct App(Arc<Inner>);

struct Inner {
    settings: Settings,
    metadata: CoreProviderMetadata,
    end_session_endpoint: Option<String>,
    oidc_http: openidconnect::reqwest::Client,
    http: reqwest::Client,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, Session>>,
    /// Verifies the server's logout tokens for this client.
    logouts: LogoutVerifier,
}

struct Pending {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    /// The value of the browser's [`SIGN_IN_COOKIE`].
    browser: String,
    started: Instant,
}

#[derive(Clone)]
struct Session {
    name: String,
    email: String,
    access_token: String,
    id_token: String,
    /// The server's session the ID token was issued in (its `sid`).
    sid: Option<String>,
    /// The user, as the server names them to this app.
    sub: String,
}

impl App {
    /// Reads the server's discovery document.
    pub async fn new(settings: Settings) -> anyhow::Result<Self> {
        let oidc_http = openidconnect::reqwest::ClientBuilder::new()
            // RFC 9700 section 4.11: never follow redirects from the token endpoint.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()?;
        let issuer = IssuerUrl::new(settings.issuer.clone())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &oidc_http)
            .await
            .map_err(|e| anyhow::anyhow!("discovery at {} failed: {e}", settings.issuer))?;
        let http = reqwest::Client::new();
        // `end_session_endpoint` (OIDC RP-Initiated Logout) is outside the core metadata type.
        let discovery: serde_json::Value = http
            .get(format!(
                "{}/.well-known/openid-configuration",
                settings.issuer.trim_end_matches('/')
            ))
            .send()
            .await?
            .json()
            .await?;
        let end_session_endpoint = discovery["end_session_endpoint"]
            .as_str()
            .map(str::to_owned);
        // Logout tokens are signed with the server's keys and meant for this client id.
        let verifier = Verifier::new(&settings.issuer, &settings.issuer)
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the keys of {}: {e}", settings.issuer))?;
        let logouts = LogoutVerifier::new(verifier, settings.client_id.clone());
        Ok(Self(Arc::new(Inner {
            settings,
            metadata,
            end_session_endpoint,
            oidc_http,
            http,
            pending: Mutex::default(),
            sessions: Mutex::default(),
            logouts,
        })))
    }

    fn callback_url(&self) -> String {
        format!("{}/callback", self.0.settings.base_url)
    }

    fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, COOKIE)?;
        self.0
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }
}

/// The routes.
pub fn app(app: App) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/logout", get(logout))
        .route(
            "/backchannel-logout",
            backchannel_logout(app.0.logouts.clone(), app.clone()),
        )
        .with_state(app)
}

fn parts(app: &App) -> Result<ClientParts, Failure> {
    Ok(ClientParts {
        metadata: app.0.metadata.clone(),
        redirect: RedirectUrl::new(app.callback_url())?,
    })
}

/// What a `CoreClient` is built from (its type-state makes it awkward to store).
struct ClientParts {
    metadata: CoreProviderMetadata,
    redirect: RedirectUrl,
}

macro_rules! oidc_client {
    ($app:expr, $parts:expr) => {
        CoreClient::from_provider_metadata(
            $parts.metadata,
            ClientId::new($app.0.settings.client_id.clone()),
            Some(ClientSecret::new($app.0.settings.client_secret.clone())),
        )
        .set_redirect_uri($parts.redirect)
    };
}

async fn home(State(app): State<App>, headers: HeaderMap) -> Html<String> {
    let Some(session) = app.session(&headers) else {
        return Html(page(
            "<p>You are not signed in.</p><p><a id=\"sign-in\" href=\"/login\">Sign in</a></p>",
        ));
    };
    let events = match app
        .0
        .http
        .get(format!("{}/events", app.0.settings.events_url))
        .bearer_auth(&session.access_token)
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => {
            let events: Vec<serde_json::Value> = response.json().await.unwrap_or_default();
            let items: String = events
                .iter()
                .map(|e| format!("<li>{}</li>", escape(e["title"].as_str().unwrap_or(""))))
                .collect();
            format!(
                "<p id=\"event-count\">{} events</p><ul>{items}</ul>",
                events.len()
            )
        }
        Ok(response) => format!("<p>The events service answered {}.</p>", response.status()),
        Err(e) => format!(
            "<p>The events service cannot be reached: {}</p>",
            escape(&e.to_string())
        ),
    };
    Html(page(&format!(
        "<p>Signed in as <strong id=\"name\">{}</strong> ({}).</p>{events}<p><a href=\"/logout\">Sign out</a></p>",
        escape(&session.name),
        escape(&session.email)
    )))
}

async fn login(State(app): State<App>) -> Result<Response, Failure> {
    let parts = parts(&app)?;
    let oidc = oidc_client!(app, parts);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = oidc
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("permissions".into()))
        .set_pkce_challenge(challenge)
        .url();
    let browser = uuid::Uuid::new_v4().simple().to_string();
    {
        let mut pending = app.0.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.retain(|_, p| p.started.elapsed() < PENDING_TTL);
        if pending.len() >= MAX_PENDING {
            return Err(Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many sign-ins are in progress; try again in a few minutes",
            ));
        }
        pending.insert(
            state.secret().clone(),
            Pending {
                verifier,
                nonce,
                browser: browser.clone(),
                started: Instant::now(),
            },
        );
    }
    let binding = format!(
        "{SIGN_IN_COOKIE}={browser}; Path=/callback; HttpOnly; SameSite=Lax; Max-Age={}",
        PENDING_TTL.as_secs()
    );
    Ok(([(header::SET_COOKIE, binding)], Redirect::to(url.as_str())).into_response())
}

async fn callback(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Failure> {
    if let Some(error) = query.get("error") {
        let description = query.get("error_description").map_or("", String::as_str);
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            format!("the server refused the sign-in: {error} {description}"),
        ));
    }
    let (Some(code), Some(state)) = (query.get("code"), query.get("state")) else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "the callback has no code or state",
        ));
    };
    // The state ties the answer to a sign-in this browser started (RFC 6749 section 10.12):
    // it must be pending, fresh, and presented with the cookie `/login` set in this browser.
    let browser = cookie(&headers, SIGN_IN_COOKIE).ok_or_else(|| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "this browser did not start a sign-in (no sign-in cookie)",
        )
    })?;
    let pending = {
        let mut pending = app.0.pending.lock().unwrap_or_else(PoisonError::into_inner);
        match pending.get(state) {
            None => None,
            Some(p) if !same_secret(&p.browser, &browser) => {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "this sign-in was started in another browser",
                ));
            }
            Some(_) => pending.remove(state),
        }
    }
    .filter(|p| p.started.elapsed() < PENDING_TTL)
    .ok_or_else(|| Failure::new(StatusCode::BAD_REQUEST, "unknown, expired or used state"))?;
    let parts = parts(&app)?;
    let oidc = oidc_client!(app, parts);
    let tokens = oidc
        .exchange_code(AuthorizationCode::new(code.clone()))?
        .set_pkce_verifier(pending.verifier)
        .request_async(&app.0.oidc_http)
        .await
        .map_err(|e| {
            Failure::new(
                StatusCode::BAD_GATEWAY,
                format!("code exchange failed: {e}"),
            )
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| Failure::new(StatusCode::BAD_GATEWAY, "no ID token in the answer"))?;
    let claims = id_token
        .claims(&oidc.id_token_verifier(), &pending.nonce)
        .map_err(|e| Failure::new(StatusCode::BAD_GATEWAY, format!("invalid ID token: {e}")))?;
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .unwrap_or_else(|| claims.subject().as_str().to_owned());
    let email = claims
        .email()
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    let session = Session {
        name,
        email,
        access_token: openidconnect::OAuth2TokenResponse::access_token(&tokens)
            .secret()
            .clone(),
        id_token: id_token.to_string(),
        sid: sid_of(&id_token.to_string()),
        sub: claims.subject().as_str().to_owned(),
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    app.0
        .sessions
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id.clone(), session);
    // `AppendHeaders`: a plain array would keep only the last `Set-Cookie`.
    Ok((
        AppendHeaders([
            (
                header::SET_COOKIE,
                format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax"),
            ),
            (
                header::SET_COOKIE,
                format!("{SIGN_IN_COOKIE}=; Path=/callback; HttpOnly; SameSite=Lax; Max-Age=0"),
            ),
        ]),
        Redirect::to("/"),
    )
        .into_response())
}

async fn logout(State(app): State<App>, headers: HeaderMap) -> Response {
    let session = cookie(&headers, COOKIE).and_then(|id| {
        app.0
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)
    });
    let clear = [(
        header::SET_COOKIE,
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    )];
    match (session, &app.0.end_session_endpoint) {
        (Some(session), Some(endpoint)) => {
            let mut url = match url::Url::parse(endpoint) {
                Ok(url) => url,
                Err(_) => return (clear, Redirect::to("/")).into_response(),
            };
            url.query_pairs_mut()
                .append_pair("id_token_hint", &session.id_token)
                .append_pair(
                    "post_logout_redirect_uri",
                    &format!("{}/", app.0.settings.base_url),
                );
            (clear, Redirect::to(url.as_str())).into_response()
        }
        _ => (clear, Redirect::to("/")).into_response(),
    }
}

/// Ends the sessions a logout token names (Back-Channel Logout section 2.7): those begun in
/// the server's session `sid`, or without a `sid` every session of `sub`.
impl EndSessions for App {
    async fn end_sessions(&self, logout: &LogoutToken) -> Result<(), String> {
        let mut sessions = self
            .0
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sessions.retain(|_, session| match (&logout.sid, &logout.sub) {
            (Some(sid), _) => session.sid.as_ref() != Some(sid),
            (None, Some(sub)) => session.sub != *sub,
            (None, None) => true,
        });
        Ok(())
    }
}

/// The `sid` claim of an ID token `openidconnect` has verified (its claims type has no field
/// for it).
fn sid_of(id_token: &str) -> Option<String> {
    let payload = URL_SAFE_NO_PAD.decode(id_token.split('.').nth(1)?).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    claims["sid"].as_str().map(str::to_owned)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_owned())
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

fn page(body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Example app</title></head><body><h1>Example app</h1>{body}</body></html>"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A failed step, shown as a short page.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        tracing::warn!(status = %self.status, message = %self.message, "sign-in step failed");
        (
            self.status,
            Html(page(&format!(
                "<p id=\"error\">{}</p>",
                escape(&self.message)
            ))),
        )
            .into_response()
    }
}
