//! `/device`: where a signed-in user enters the code a device shows (RFC 8628 section 3.3),
//! sees which application asks and for what, and allows or denies it.
//!
//! A code in the link (`verification_uri_complete`, section 3.3.1) only fills in the form: the
//! user still posts it, and then allows or denies on a page naming the application and its
//! scopes (section 5.4: a link sent by someone else must not approve anything by itself).
//! Without a session the browser signs in first and comes back here with its code.

use super::consent::describe_scope;
use super::form::Posted;
use super::templates::{DeviceConsentPage, DevicePage};
use super::{Browser, form_page, notice_text, parse_query};
use crate::error::PageError;
use crate::i18n::{Text, key};
use crate::state::AppState;
use auth_core::device::{self, Decision, DeviceError, PendingDevice, UserCode};
use auth_core::sessions::Session;
use auth_core::users::User;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The signed-in, active user and their session; without one, the redirect to `/login`,
/// remembering to come back with `user_code`.
async fn signed_in(
    state: &AppState,
    browser: &mut Browser,
    user_code: Option<&str>,
) -> Result<(User, Session), PageError> {
    let user = match &browser.session {
        Some(session) => state
            .provider
            .store()
            .user(&session.user_id)
            .await?
            .filter(User::is_active),
        None => None,
    };
    match (user, browser.session.clone()) {
        (Some(user), Some(session)) => Ok((user, session)),
        _ => {
            browser.remember_device_page(user_code.and_then(UserCode::parse).as_ref());
            Err(PageError::redirect(browser, "/login"))
        }
    }
}

fn entry_page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    user: &User,
    user_code: &str,
    error: Option<&str>,
) -> Response {
    form_page(state, browser, status, |t, product, csrf| DevicePage {
        t,
        product,
        csrf,
        user_email: user.email.as_str(),
        user_code,
        error,
    })
}

/// The entry page again with what went wrong with the code, or the throttled or internal
/// error page.
fn refused(
    state: &AppState,
    browser: &Browser,
    user: &User,
    typed: &str,
    error: DeviceError,
) -> PageError {
    let (status, message) = match error {
        DeviceError::Throttled(throttled) => {
            return PageError::throttled(browser, &throttled, key("throttled-codes-entered"));
        }
        DeviceError::Store(e) => return PageError::internal(e),
        DeviceError::Malformed => (
            StatusCode::UNPROCESSABLE_ENTITY,
            key("device-code-malformed"),
        ),
        // Wrong, expired or already used: the page does not say which (section 5.1).
        DeviceError::Unknown => (StatusCode::UNPROCESSABLE_ENTITY, key("device-code-invalid")),
    };
    let typed: String = typed.chars().take(20).collect();
    PageError::rendered(entry_page(
        state,
        browser,
        status,
        user,
        &typed,
        Some(&browser.tr.get(message)),
    ))
}

/// `GET /device` and `GET /device?user_code=...`: the form, with the code filled in when
/// the link carried one.
pub async fn show(
    State(state): State<AppState>,
    mut browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = parse_query(query)?;
    let user_code = params.get("user_code");
    let (user, _) = signed_in(&state, &mut browser, user_code).await?;
    browser.forget_device_page();
    // Only a well-formed code is put back into the page.
    let shown = user_code
        .and_then(UserCode::parse)
        .map(|code| code.display())
        .unwrap_or_default();
    Ok(entry_page(
        &state,
        &browser,
        StatusCode::OK,
        &user,
        &shown,
        None,
    ))
}

/// `POST /device`: the code entered; the page that names the application and its scopes.
pub async fn submit(
    State(state): State<AppState>,
    Posted {
        mut browser,
        params,
    }: Posted,
) -> Result<Response, PageError> {
    let typed = params.get("user_code").unwrap_or("");
    let (user, session) = signed_in(&state, &mut browser, Some(typed)).await?;
    let found = device::find(&state.provider, &session, typed, &browser.ip)
        .await
        .map_err(|e| refused(&state, &browser, &user, typed, e))?;
    Ok(consent_page(&state, &browser, &user, &found))
}

fn consent_page(
    state: &AppState,
    browser: &Browser,
    user: &User,
    found: &PendingDevice,
) -> Response {
    let user_code = found.user_code.display();
    form_page(state, browser, StatusCode::OK, |t, product, csrf| {
        DeviceConsentPage {
            t,
            product,
            csrf,
            user_email: user.email.as_str(),
            user_code: &user_code,
            client_name: &found.client.name,
            client_uri: found.client.extras.client_uri.as_deref(),
            client_id: found.client.id.as_str(),
            // A name and link the client gave itself (RFC 7591 registration), not checked by the
            // operator: the page says so, so an app cannot pass for another.
            self_registered: found.client.registration_token_hash.is_some(),
            scopes: found
                .scope
                .iter()
                .map(|s| (s.to_owned(), describe_scope(t, s)))
                .collect(),
        }
    })
}

/// `POST /device/decision`: Allow or Deny.
pub async fn decide(
    State(state): State<AppState>,
    Posted {
        mut browser,
        params,
    }: Posted,
) -> Result<Response, PageError> {
    let typed = params.get("user_code").unwrap_or("");
    let (user, session) = signed_in(&state, &mut browser, Some(typed)).await?;
    let decision = match params.get("decision") {
        Some("approve") => Decision::Approve,
        Some("deny") => Decision::Deny,
        _ => {
            return Err(PageError::page(
                StatusCode::BAD_REQUEST,
                key("error-invalid-form"),
                Text::Key("error-choose-decision"),
            ));
        }
    };
    let found = device::decide(&state.provider, &session, typed, decision, &browser.ip)
        .await
        .map_err(|e| refused(&state, &browser, &user, typed, e))?;
    let (title, message) = match decision {
        Decision::Approve => (key("device-connected"), key("device-connected-text")),
        Decision::Deny => (key("device-denied"), key("device-denied-text")),
    };
    let t = &browser.tr;
    let message = t.arg(message, "client", found.client.name.as_str());
    Ok(notice_text(
        &state,
        &browser,
        StatusCode::OK,
        &t.get(title),
        &message,
        None,
    ))
}
