//! `/account`: the signed-in user's profile, password, e-mail address, authenticator app,
//! recovery codes and sessions. Every change is a plain form post; the page answers with a
//! redirect and a notice, or shows the error in place.

use super::login::sentence;
use super::templates::{AccountPage, RecoveryCodesPage, TotpEnrolPage};
use super::{Browser, form, internal_error, render, see_other, too_many};
use crate::state::AppState;
use auth_core::account::{self, AccountError};
use auth_core::otp::codes::{self, Channel, CodePurpose};
use auth_core::otp::{OtpError, recovery, totp};
use auth_core::params::Params;
use auth_core::sessions::{self, Session};
use auth_core::users::password::Password;
use auth_core::users::{Email, Profile, User, UserError};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The notices a redirect back to `/account` can carry.
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "saved" => "Your profile is saved.",
        "password" => "Your password is changed. Your other sessions were signed out.",
        "code-sent" => "We sent a code to your e-mail address.",
        "email" => {
            "Your address is changed. Open the link we sent to the new address to confirm it."
        }
        "totp-on" => "The authenticator app is set up.",
        "totp-off" => "The authenticator app is turned off.",
        "session-ended" => "That session is signed out.",
        _ => return None,
    })
}

async fn signed_in(state: &AppState, browser: &Browser) -> Result<(User, Session), Response> {
    let Some(session) = browser.session.clone() else {
        return Err(see_other(browser, "/login"));
    };
    match state.provider.store().user(&session.user_id).await {
        Ok(Some(user)) if user.is_active() => Ok((user, session)),
        Ok(_) => Err(see_other(browser, "/login")),
        Err(e) => Err(internal_error(state, &e)),
    }
}

async fn page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let (user, session) = match signed_in(state, browser).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let provider = &state.provider;
    let store = provider.store();
    let now = provider.clock().unix();
    let loaded = async {
        let grants = store.user_grants(&user.id).await?;
        let totp_enabled = store
            .totp(&user.id)
            .await?
            .is_some_and(|t| t.confirmed_at.is_some());
        let recovery_left = store.recovery_codes_left(&user.id).await?;
        let sessions = store.user_sessions(&user.id, now).await?;
        Ok::<_, auth_core::store::StoreError>((grants, totp_enabled, recovery_left, sessions))
    };
    let (grants, totp_enabled, recovery_left, sessions) = match loaded.await {
        Ok(loaded) => loaded,
        Err(e) => return internal_error(state, &e),
    };
    let csrf = browser.csrf_token(state);
    let sessions = sessions
        .into_iter()
        .map(|s| {
            let started = crate::views::rfc3339(s.created_at);
            let agent: String = s.user_agent.chars().take(60).collect();
            let description = format!("{started}, {} {agent}", s.ip);
            let current = s.id == session.id;
            (s.id, description, current)
        })
        .collect();
    let page = AccountPage {
        product: &state.web.product_name,
        csrf: &csrf,
        notice,
        error,
        email: user.email.as_str(),
        email_verified: user.email_verified,
        profile: &user.profile,
        phone: user.phone_number.as_deref().unwrap_or(""),
        roles: grants.roles,
        totp_enabled,
        recovery_left,
        sessions,
    };
    (browser.jar(), render(state, status, &page)).into_response()
}

/// `GET /account`
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes()).unwrap_or_default();
    let notice = params.get("notice").and_then(notice_text);
    page(&state, &browser, StatusCode::OK, notice, None).await
}

/// Parses the form, checks CSRF, and finds the signed-in user.
async fn posted(
    state: &AppState,
    browser: &Browser,
    body: &Bytes,
) -> Result<(Params, User, Session), Response> {
    let params = form(state, body)?;
    browser.check_csrf(state, &params)?;
    let (user, session) = signed_in(state, browser).await?;
    Ok((params, user, session))
}

/// Renders an account error where it belongs.
async fn refused(state: &AppState, browser: &Browser, error: AccountError) -> Response {
    match error {
        AccountError::Throttled(throttled) | AccountError::Otp(OtpError::Throttled(throttled)) => {
            too_many(state, browser, &throttled, "attempts")
        }
        AccountError::Otp(OtpError::Internal(e)) | AccountError::User(UserError::Internal(e)) => {
            internal_error(state, &e)
        }
        other => {
            page(
                state,
                browser,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&sentence(&other.to_string())),
            )
            .await
        }
    }
}

fn optional(params: &Params, name: &str) -> Option<String> {
    params
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `POST /account/profile`
pub async fn profile(State(state): State<AppState>, browser: Browser, body: Bytes) -> Response {
    let (params, user, _) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let profile = Profile {
        name: params.get("name").unwrap_or("").trim().to_owned(),
        given_name: optional(&params, "given_name"),
        family_name: optional(&params, "family_name"),
        locale: optional(&params, "locale"),
    };
    match account::update_profile(
        &state.provider,
        &user,
        &profile,
        params.get("phone_number"),
        params.get("code"),
        &browser.ip,
    )
    .await
    {
        Ok(_) => see_other(&browser, "/account?notice=saved"),
        Err(e) => refused(&state, &browser, e).await,
    }
}

/// `POST /account/password`
pub async fn password(State(state): State<AppState>, browser: Browser, body: Bytes) -> Response {
    let (params, user, session) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let current = Password::new(params.get("current_password").unwrap_or(""));
    let new = Password::new(params.get("new_password").unwrap_or(""));
    match account::change_password(
        &state.provider,
        &user,
        Some(&session.id),
        &current,
        &new,
        &browser.ip,
    )
    .await
    {
        Ok(()) => see_other(&browser, "/account?notice=password"),
        Err(e) => refused(&state, &browser, e).await,
    }
}

/// `POST /account/code`: e-mails a step-up code.
pub async fn send_code(State(state): State<AppState>, browser: Browser, body: Bytes) -> Response {
    let (_, user, _) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match codes::send(
        &state.provider,
        &user,
        CodePurpose::StepUp,
        Channel::Email,
        &browser.ip,
    )
    .await
    {
        Ok(()) => see_other(&browser, "/account?notice=code-sent"),
        Err(e) => refused(&state, &browser, e.into()).await,
    }
}

/// `POST /account/email`
pub async fn email(State(state): State<AppState>, browser: Browser, body: Bytes) -> Response {
    let (params, user, _) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let new_email = match Email::parse(params.get("new_email").unwrap_or("")) {
        Ok(email) => email,
        Err(e) => return refused(&state, &browser, e.into()).await,
    };
    match account::change_email(
        &state.provider,
        &user,
        &new_email,
        params.get("code").unwrap_or(""),
        &browser.ip,
    )
    .await
    {
        Ok(_) => see_other(&browser, "/account?notice=email"),
        Err(e) => refused(&state, &browser, e).await,
    }
}

fn qr_data_uri(url: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| e.to_string())?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

async fn enrol_page(
    state: &AppState,
    browser: &Browser,
    enrolment: &totp::Enrolment,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let qr = match qr_data_uri(&enrolment.otpauth_url) {
        Ok(qr) => qr,
        Err(e) => return internal_error(state, &e),
    };
    let csrf = browser.csrf_token(state);
    let page = TotpEnrolPage {
        product: &state.web.product_name,
        csrf: &csrf,
        qr_data_uri: &qr,
        secret: &enrolment.secret_base32,
        error,
    };
    (browser.jar(), render(state, status, &page)).into_response()
}

/// The current password typed in a form, if any.
fn current_password(params: &Params) -> Option<Password> {
    params
        .get("current_password")
        .filter(|p| !p.is_empty())
        .map(Password::new)
}

/// [`account::reauthenticate`] with the form's password and the session's sign-in time.
async fn reauthenticated(
    state: &AppState,
    browser: &Browser,
    params: &Params,
    user: &User,
    session: &Session,
) -> Result<(), AccountError> {
    account::reauthenticate(
        &state.provider,
        user,
        session.auth_time,
        current_password(params).as_ref(),
        &browser.ip,
    )
    .await
}

/// `POST /account/totp`: starts setting up an authenticator app (after the password, or
/// within minutes of signing in).
pub async fn totp_begin(State(state): State<AppState>, browser: Browser, body: Bytes) -> Response {
    let (params, user, session) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(e) = reauthenticated(&state, &browser, &params, &user, &session).await {
        return refused(&state, &browser, e).await;
    }
    match totp::begin(&state.provider, &user).await {
        Ok(enrolment) => enrol_page(&state, &browser, &enrolment, StatusCode::OK, None).await,
        Err(e) => refused(&state, &browser, e.into()).await,
    }
}

/// `POST /account/totp/confirm`: the same proof as [`totp_begin`] (a wrong code shows the
/// pending secret again).
pub async fn totp_confirm(
    State(state): State<AppState>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let (params, user, session) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(e) = reauthenticated(&state, &browser, &params, &user, &session).await {
        return refused(&state, &browser, e).await;
    }
    let provider = &state.provider;
    match totp::confirm(provider, &user, params.get("code").unwrap_or("")).await {
        Ok(codes) => {
            auth_core::audit::record(
                provider,
                auth_core::audit::Entry::new("totp_enabled")
                    .user(&user.id)
                    .ip(&browser.ip),
            )
            .await;
            let page = RecoveryCodesPage {
                product: &state.web.product_name,
                codes: &codes.0,
            };
            (browser.jar(), render(&state, StatusCode::OK, &page)).into_response()
        }
        Err(OtpError::Wrong { .. }) => match totp::pending(provider, &user).await {
            Ok(Some(enrolment)) => {
                enrol_page(
                    &state,
                    &browser,
                    &enrolment,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("The code is not correct. Check the time on your device and try again."),
                )
                .await
            }
            Ok(None) => see_other(&browser, "/account"),
            Err(e) => internal_error(&state, &e),
        },
        Err(e) => refused(&state, &browser, e.into()).await,
    }
}

/// `POST /account/totp/disable`
pub async fn totp_disable(
    State(state): State<AppState>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let (params, user, _) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let current = Password::new(params.get("current_password").unwrap_or(""));
    match account::disable_totp(
        &state.provider,
        &user,
        &current,
        params.get("code").unwrap_or(""),
        &browser.ip,
    )
    .await
    {
        Ok(()) => see_other(&browser, "/account?notice=totp-off"),
        Err(e) => refused(&state, &browser, e).await,
    }
}

/// `POST /account/recovery-codes`: a new set, after the password.
pub async fn recovery_codes(
    State(state): State<AppState>,
    browser: Browser,
    body: Bytes,
) -> Response {
    let (params, user, _) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let current = Password::new(params.get("current_password").unwrap_or(""));
    if let Err(e) = account::confirm_password(&state.provider, &user, &current, &browser.ip).await {
        return refused(&state, &browser, e).await;
    }
    match recovery::regenerate(&state.provider, &user).await {
        Ok(codes) => {
            let page = RecoveryCodesPage {
                product: &state.web.product_name,
                codes: &codes.0,
            };
            (browser.jar(), render(&state, StatusCode::OK, &page)).into_response()
        }
        Err(e) => refused(&state, &browser, e.into()).await,
    }
}

/// `POST /account/sessions/end`: signs out another session of the user.
pub async fn end_session(State(state): State<AppState>, browser: Browser, body: Bytes) -> Response {
    let (params, user, _) = match posted(&state, &browser, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let target = params.get("session").unwrap_or("");
    let now = state.provider.clock().unix();
    let owned = match state.provider.store().user_sessions(&user.id, now).await {
        Ok(sessions) => sessions.iter().any(|s| s.id == target),
        Err(e) => return internal_error(&state, &e),
    };
    if !owned {
        return page(
            &state,
            &browser,
            StatusCode::NOT_FOUND,
            None,
            Some("That session does not exist."),
        )
        .await;
    }
    match sessions::end(&state.provider, target).await {
        Ok(()) => see_other(&browser, "/account?notice=session-ended"),
        Err(e) => internal_error(&state, &e),
    }
}
