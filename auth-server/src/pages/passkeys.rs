//! Passkeys on the hosted pages: the JSON halves of the WebAuthn ceremonies, the account
//! page's list (rename, remove) and the script that talks to `navigator.credentials`.
//!
//! The ceremony endpoints take a form-encoded post like every other page form, so [`Posted`]
//! checks their CSRF token and origin before the handler runs; they answer JSON (the options,
//! or where to go next) for `/static/passkeys.js`. Who may call them:
//!
//! - `POST /account/passkeys/register/options`, `POST /account/passkeys/register`: the
//!   session's user, after re-authentication (the current password, or a sign-in within
//!   minutes: [`account::reauthenticate`], the rule of TOTP set-up). The ceremony is bound to
//!   the user and the browser.
//! - `POST /account/passkeys/rename`, `POST /account/passkeys/remove`: the session's user, for
//!   their own passkeys only (another user's id is "not found"); removal re-authenticates.
//! - `POST /login/passkey/options`, `POST /login/passkey`: anyone (the signature is the
//!   credential), throttled per network and per account.
//! - `POST /login/second-factor/passkey/options`, `POST /login/second-factor/passkey`: the
//!   browser holding the login challenge of a password it just passed.
//!
//! Only the pages with a passkey section allow scripts, and only this server's own
//! ([`with_script`]).

use super::Browser;
use super::form::Posted;
use super::login::after_login;
use crate::error::PageError;
use crate::i18n::{Text, key};
use crate::state::AppState;
use auth_core::account::{self, AccountError};
use auth_core::passkeys::{self, PasskeyError, RelyingParty};
use auth_core::sessions::Session;
use auth_core::users::User;
use auth_core::users::password::Password;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The script of the passkey sections, compiled in.
pub const SCRIPT: &str = include_str!("../../../templates/static/passkeys.js");

/// The policy of pages with a passkey section: [`super::render`]'s, plus scripts and `fetch`
/// from this origin only.
const SCRIPTED_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/// `GET /static/passkeys.js`
pub async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        SCRIPT,
    )
        .into_response()
}

/// A page rendered with [`super::render`] (or [`super::form_page`]) with `status`, allowing
/// this server's scripts when `scripted` (the page has a passkey section).
pub fn with_script(mut response: Response, status: StatusCode, scripted: bool) -> Response {
    if scripted && response.status() == status {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SCRIPTED_POLICY),
        );
    }
    response
}

/// A passkey as the account page lists it.
#[derive(Debug, Clone)]
pub struct PasskeyView {
    /// Public id (in the forms).
    pub id: String,
    /// The user's name for it.
    pub name: String,
    /// When it was added.
    pub created: String,
    /// When it was last used (empty if never).
    pub last_used: String,
    /// Whether it may be synced to other devices.
    pub synced: bool,
}

/// The user's passkeys for the account page (none when passkeys are off).
pub async fn views(state: &AppState, user: &User) -> Result<Vec<PasskeyView>, PageError> {
    if state.passkeys.is_none() {
        return Ok(Vec::new());
    }
    Ok(state
        .provider
        .store()
        .user_passkeys(&user.id)
        .await?
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id,
            name: p.name,
            created: crate::views::rfc3339(p.created_at),
            last_used: p
                .last_used_at
                .map(crate::views::rfc3339)
                .unwrap_or_default(),
            synced: p.backup_eligible,
        })
        .collect())
}

/// A JSON answer for the script: `{"error": ...}` with `status`.
fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn passkey_error(browser: &Browser, error: PasskeyError) -> Response {
    let status = match &error {
        PasskeyError::Throttled(throttled) => {
            let mut response = json_error(
                StatusCode::TOO_MANY_REQUESTS,
                &super::refusals::passkey_error(&browser.tr, &error),
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(throttled.retry_after_secs),
            );
            return (browser.jar(), response).into_response();
        }
        PasskeyError::Internal(cause) => {
            tracing::error!(error = %cause, "passkey ceremony failed");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &browser.tr.get("error-internal-text"),
            );
        }
        PasskeyError::Expired | PasskeyError::InvalidName => StatusCode::BAD_REQUEST,
        PasskeyError::Refused | PasskeyError::Cloned => StatusCode::UNAUTHORIZED,
        PasskeyError::EmailNotVerified => StatusCode::FORBIDDEN,
        PasskeyError::Duplicate | PasskeyError::LastMethod => StatusCode::CONFLICT,
        PasskeyError::NotFound => StatusCode::NOT_FOUND,
    };
    (
        browser.jar(),
        json_error(status, &super::refusals::passkey_error(&browser.tr, &error)),
    )
        .into_response()
}

fn not_enabled(browser: &Browser) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        &browser.tr.get("passkeys-not-enabled"),
    )
}

fn ceremony_json(browser: &Browser, ceremony: passkeys::Ceremony) -> Response {
    let mut body = ceremony.options;
    if let Some(object) = body.as_object_mut() {
        object.insert("handle".into(), Value::String(ceremony.handle));
    }
    (browser.jar(), Json(body)).into_response()
}

/// The session's active user, or a JSON 401.
async fn session_user(state: &AppState, browser: &Browser) -> Result<(User, Session), Response> {
    let refused = || {
        json_error(
            StatusCode::UNAUTHORIZED,
            &browser.tr.get("passkeys-sign-in-first"),
        )
    };
    let Some(session) = browser.session.clone() else {
        return Err(refused());
    };
    match state.provider.store().user(&session.user_id).await {
        Ok(Some(user)) if user.is_active() => Ok((user, session)),
        Ok(_) => Err(refused()),
        Err(e) => Err(PageError::from(e).render(state, &browser.tr)),
    }
}

fn current_password(posted: &Posted) -> Option<Password> {
    posted
        .params
        .get("current_password")
        .filter(|p| !p.is_empty())
        .map(Password::new)
}

fn account_error(browser: &Browser, error: AccountError) -> Response {
    match error {
        AccountError::Throttled(throttled) => {
            passkey_error(browser, PasskeyError::Throttled(throttled))
        }
        AccountError::User(auth_core::users::UserError::Internal(e)) => {
            passkey_error(browser, PasskeyError::Internal(e))
        }
        other => json_error(
            StatusCode::FORBIDDEN,
            &super::refusals::account_error(&browser.tr, &other),
        ),
    }
}

fn rp<'a>(state: &'a AppState, browser: &Browser) -> Result<&'a RelyingParty, Response> {
    state.passkeys.as_ref().ok_or_else(|| not_enabled(browser))
}

/// Counts a try at a second factor ([`auth_core::otp::count_attempt`]); over the budget, the
/// JSON error.
async fn count_attempt(state: &AppState, browser: &Browser) -> Result<(), Response> {
    auth_core::otp::count_attempt(&state.provider, &browser.ip)
        .await
        .map_err(|e| match e {
            auth_core::otp::OtpError::Throttled(t) => {
                passkey_error(browser, PasskeyError::Throttled(t))
            }
            other => passkey_error(browser, PasskeyError::Internal(other.to_string())),
        })
}

/// `POST /account/passkeys/register/options`: after re-authentication, the options for
/// `navigator.credentials.create`.
pub async fn register_options(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, Response> {
    let browser = &posted.browser;
    let (user, session) = session_user(&state, browser).await?;
    let rp = rp(&state, browser)?;
    let provider = &state.provider;
    let proof = account::reauthenticate(
        provider,
        &user,
        session.auth_time,
        current_password(&posted).as_ref(),
        &browser.ip,
    )
    .await;
    proof.map_err(|e| account_error(browser, e))?;
    match passkeys::begin_registration(provider, rp, &user, browser.binding()).await {
        Ok(ceremony) => Ok(ceremony_json(browser, ceremony)),
        Err(e) => Err(passkey_error(browser, e)),
    }
}

/// `POST /account/passkeys/register`: the authenticator's answer; stores the passkey.
pub async fn register(State(state): State<AppState>, posted: Posted) -> Result<Response, Response> {
    let browser = &posted.browser;
    let (user, _) = session_user(&state, browser).await?;
    let rp = rp(&state, browser)?;
    let params = &posted.params;
    let done = passkeys::finish_registration(
        &state.provider,
        rp,
        &user,
        browser.binding(),
        params.get("handle").unwrap_or(""),
        params.get("name").unwrap_or(""),
        params.get("credential").unwrap_or(""),
        &browser.ip,
    )
    .await;
    match done {
        Ok(_) => Ok((
            browser.jar(),
            Json(json!({ "redirect": "/account?notice=passkey-added" })),
        )
            .into_response()),
        Err(e) => Err(passkey_error(browser, e)),
    }
}

/// An account page answer to a passkey form: back to `/account` with a notice, or the page
/// with the error.
async fn account_answer(
    state: &AppState,
    browser: &Browser,
    result: Result<(), PasskeyError>,
    notice: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(super::see_other(
            browser,
            &format!("/account?notice={notice}"),
        )),
        Err(PasskeyError::Internal(e)) => Err(PageError::internal(e)),
        Err(PasskeyError::Throttled(throttled)) => Err(PageError::throttled(
            browser,
            &throttled,
            key("throttled-attempts"),
        )),
        Err(e) => {
            let status = match e {
                PasskeyError::NotFound => StatusCode::NOT_FOUND,
                PasskeyError::LastMethod => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = super::refusals::passkey_error(&browser.tr, &e);
            Err(super::account::refused_with(state, browser, status, &message).await)
        }
    }
}

/// The session's user for a plain form of the account page (a redirect to `/login` without
/// one), and the relying party (404 when passkeys are off).
async fn form_user(state: &AppState, browser: &Browser) -> Result<(User, Session), PageError> {
    let (user, session) = super::account::signed_in(state, browser).await?;
    if state.passkeys.is_none() {
        return Err(PageError::page(
            StatusCode::NOT_FOUND,
            key("error-not-found"),
            Text::Key("passkeys-not-enabled"),
        ));
    }
    Ok((user, session))
}

/// `POST /account/passkeys/rename`
pub async fn rename(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, _) = form_user(&state, &browser).await?;
    let result = passkeys::rename(
        &state.provider,
        &user,
        params.get("passkey").unwrap_or(""),
        params.get("name").unwrap_or(""),
    )
    .await;
    account_answer(&state, &browser, result, "passkey-renamed").await
}

/// `POST /account/passkeys/remove`: after re-authentication (the password, or a recent
/// sign-in), so a stolen session cannot take away the owner's passkeys.
pub async fn remove(State(state): State<AppState>, posted: Posted) -> Result<Response, PageError> {
    let browser = &posted.browser;
    let (user, session) = form_user(&state, browser).await?;
    let proof = account::reauthenticate(
        &state.provider,
        &user,
        session.auth_time,
        current_password(&posted).as_ref(),
        &browser.ip,
    )
    .await;
    if let Err(e) = proof {
        return Err(super::account::refused(&state, browser, e).await);
    }
    let result = passkeys::remove(
        &state.provider,
        &user,
        posted.params.get("passkey").unwrap_or(""),
        &browser.ip,
    )
    .await;
    account_answer(&state, browser, result, "passkey-removed").await
}

/// `POST /login/passkey/options`: the options of a sign-in with a discoverable passkey.
pub async fn sign_in_options(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, Response> {
    let browser = &posted.browser;
    let rp = rp(&state, browser)?;
    let request = posted.params.get("request").filter(|r| !r.is_empty());
    match passkeys::begin_sign_in(&state.provider, rp, browser.binding(), request, &browser.ip)
        .await
    {
        Ok(ceremony) => Ok(ceremony_json(browser, ceremony)),
        Err(e) => Err(passkey_error(browser, e)),
    }
}

/// Starts the session of a completed login and says where to go.
async fn signed_in_json(
    state: &AppState,
    mut browser: Browser,
    done: auth_core::login::Completed,
) -> Response {
    if let Err(e) = browser.start_session(state, &done.user.id, done.amr).await {
        return PageError::from(e).render(state, &browser.tr);
    }
    let next = after_login(&browser, done.request.as_deref());
    (browser.jar(), Json(json!({ "redirect": next }))).into_response()
}

/// `POST /login/passkey`: the authenticator's answer; signs in.
pub async fn sign_in(State(state): State<AppState>, posted: Posted) -> Result<Response, Response> {
    let Posted { browser, params } = posted;
    let rp = rp(&state, &browser)?;
    let done = passkeys::finish_sign_in(
        &state.provider,
        rp,
        browser.binding(),
        params.get("handle").unwrap_or(""),
        params.get("credential").unwrap_or(""),
        &browser.ip,
    )
    .await;
    match done {
        Ok(done) => Ok(signed_in_json(&state, browser, done).await),
        Err(e) => Err(passkey_error(&browser, e)),
    }
}

/// `POST /login/second-factor/passkey/options`: the options of a passkey as the second step.
pub async fn second_factor_options(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, Response> {
    let browser = &posted.browser;
    let rp = rp(&state, browser)?;
    count_attempt(&state, browser).await?;
    let challenge = posted.params.get("challenge").unwrap_or("");
    match passkeys::begin_second_factor(&state.provider, rp, browser.binding(), challenge).await {
        Ok(ceremony) => Ok(ceremony_json(browser, ceremony)),
        Err(e) => Err(passkey_error(browser, e)),
    }
}

/// `POST /login/second-factor/passkey`: the authenticator's answer; finishes the login.
pub async fn second_factor(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, Response> {
    let Posted { browser, params } = posted;
    let rp = rp(&state, &browser)?;
    count_attempt(&state, &browser).await?;
    let done = passkeys::finish_second_factor(
        &state.provider,
        rp,
        browser.binding(),
        params.get("challenge").unwrap_or(""),
        params.get("handle").unwrap_or(""),
        params.get("credential").unwrap_or(""),
        &browser.ip,
    )
    .await;
    match done {
        Ok(done) => Ok(signed_in_json(&state, browser, done).await),
        Err(e) => Err(passkey_error(&browser, e)),
    }
}
