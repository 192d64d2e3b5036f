//! `/account`: the signed-in user's profile, password, e-mail address, authenticator app,
//! recovery codes and sessions. Every change is a plain form post; the page answers with a
//! redirect and a notice, or shows the error in place.

use super::form::Posted;
use super::templates::{AccountPage, RecoveryCodesPage, TotpEnrolPage};
use super::{Browser, form_page, lenient_query, render, see_other};
use crate::error::PageError;
use crate::i18n::key;
use crate::state::AppState;
use auth_core::account::{self, AccountError};
use auth_core::otp::codes::{self, Channel, CodePurpose};
use auth_core::otp::{OtpError, recovery, totp};
use auth_core::params::Params;
use auth_core::sessions::{self, Session};
use auth_core::users::password::Password;
use auth_core::users::{Email, Profile, User, UserError};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The notices a redirect back to `/account` can carry (their message keys).
fn notice_key(code: &str) -> Option<&'static str> {
    Some(match code {
        "saved" => key("account-notice-saved"),
        "password" => key("account-notice-password"),
        "code-sent" => key("account-notice-code-sent"),
        "email" => key("account-notice-email"),
        "totp-on" => key("account-notice-totp-on"),
        "totp-off" => key("account-notice-totp-off"),
        "session-ended" => key("account-notice-session-ended"),
        "passkey-added" => key("account-notice-passkey-added"),
        "passkey-renamed" => key("account-notice-passkey-renamed"),
        "passkey-removed" => key("account-notice-passkey-removed"),
        "upstream-linked" => key("account-notice-upstream-linked"),
        "upstream-unlinked" => key("account-notice-upstream-unlinked"),
        _ => return None,
    })
}

/// The languages to choose from: (tag, name, chosen). A setting that is none of them (made
/// through the account API, such as `de-CH`) is offered too, so saving the form keeps it.
fn language_choices(state: &AppState, setting: Option<&str>) -> Vec<(String, String, bool)> {
    let mut choices: Vec<(String, String, bool)> = state
        .web
        .i18n
        .choices()
        .into_iter()
        .map(|(tag, name)| {
            let chosen = setting.is_some_and(|s| s.eq_ignore_ascii_case(&tag));
            (tag, name, chosen)
        })
        .collect();
    if let Some(setting) = setting
        && !choices.iter().any(|c| c.2)
    {
        choices.push((setting.to_owned(), setting.to_owned(), true));
    }
    choices
}

/// The signed-in user and their session; without one (or for a disabled account), the
/// redirect to `/login`.
pub(crate) async fn signed_in(
    state: &AppState,
    browser: &Browser,
) -> Result<(User, Session), PageError> {
    let sign_in = || PageError::redirect(browser, "/login");
    let session = browser.session.clone().ok_or_else(sign_in)?;
    let user = state
        .provider
        .store()
        .user(&session.user_id)
        .await?
        .filter(User::is_active)
        .ok_or_else(sign_in)?;
    Ok((user, session))
}

async fn page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let (user, session) = signed_in(state, browser).await?;
    let provider = &state.provider;
    let store = provider.store();
    let now = provider.clock().unix();
    let grants = store.user_grants(&user.id).await?;
    let totp_enabled = store
        .totp(&user.id)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some());
    let recovery_left = store.recovery_codes_left(&user.id).await?;
    let sessions = store.user_sessions(&user.id, now).await?;
    let passkeys = super::passkeys::views(state, &user).await?;
    let upstream = super::upstream_account::rows(state, &user.id).await?;
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
    let passkeys_enabled = state.passkeys.is_some();
    let page = |t, product, csrf| AccountPage {
        t,
        product,
        csrf,
        notice,
        error,
        email: user.email.as_str(),
        email_verified: user.email_verified,
        profile: &user.profile,
        phone: user.phone_number.as_deref().unwrap_or(""),
        languages: language_choices(state, user.profile.locale.as_deref()),
        roles: grants.roles,
        totp_enabled,
        recovery_left,
        sessions,
        passkeys_enabled,
        passkeys,
        upstream,
    };
    let page = form_page(state, browser, status, page);
    Ok(super::passkeys::with_script(page, status, passkeys_enabled))
}

/// `GET /account`
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = lenient_query(query);
    let notice = params
        .get("notice")
        .and_then(notice_key)
        .map(|key| browser.tr.get(key));
    page(&state, &browser, StatusCode::OK, notice.as_deref(), None).await
}

/// An account error where it belongs: a 429 notice, a 500 page, or the account page with the
/// error in place (409 for an address another account has, 422 for anything else refused).
pub(crate) async fn refused(state: &AppState, browser: &Browser, error: AccountError) -> PageError {
    let status = match error {
        AccountError::Throttled(throttled) | AccountError::Otp(OtpError::Throttled(throttled)) => {
            return PageError::throttled(browser, &throttled, key("throttled-attempts"));
        }
        AccountError::Otp(OtpError::Internal(e)) | AccountError::User(UserError::Internal(e)) => {
            return PageError::internal(e);
        }
        AccountError::User(UserError::EmailTaken) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let message = super::refusals::account_error(&browser.tr, &error);
    refused_with(state, browser, status, &message).await
}

/// The account page with `message` as its error.
pub(crate) async fn refused_with(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    message: &str,
) -> PageError {
    match page(state, browser, status, None, Some(message)).await {
        Ok(shown) => PageError::rendered(shown),
        Err(e) => e,
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
pub async fn profile(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, _) = signed_in(&state, &browser).await?;
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
        Ok(_) => Ok(see_other(&browser, "/account?notice=saved")),
        Err(e) => Err(refused(&state, &browser, e).await),
    }
}

/// `POST /account/password`
pub async fn password(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, session) = signed_in(&state, &browser).await?;
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
        Ok(()) => Ok(see_other(&browser, "/account?notice=password")),
        Err(e) => Err(refused(&state, &browser, e).await),
    }
}

/// `POST /account/code`: e-mails a step-up code.
pub async fn send_code(
    State(state): State<AppState>,
    Posted { browser, .. }: Posted,
) -> Result<Response, PageError> {
    let (user, _) = signed_in(&state, &browser).await?;
    match codes::send(
        &state.provider,
        &user,
        CodePurpose::StepUp,
        Channel::Email,
        &browser.ip,
    )
    .await
    {
        Ok(()) => Ok(see_other(&browser, "/account?notice=code-sent")),
        Err(e) => Err(refused(&state, &browser, e.into()).await),
    }
}

/// `POST /account/email`
pub async fn email(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, _) = signed_in(&state, &browser).await?;
    let new_email = match Email::parse(params.get("new_email").unwrap_or("")) {
        Ok(email) => email,
        Err(e) => return Err(refused(&state, &browser, e.into()).await),
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
        Ok(_) => Ok(see_other(&browser, "/account?notice=email")),
        Err(e) => Err(refused(&state, &browser, e).await),
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

fn enrol_page(
    state: &AppState,
    browser: &Browser,
    enrolment: &totp::Enrolment,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let qr = qr_data_uri(&enrolment.otpauth_url).map_err(PageError::internal)?;
    Ok(form_page(state, browser, status, |t, product, csrf| {
        TotpEnrolPage {
            t,
            product,
            csrf,
            qr_data_uri: &qr,
            secret: &enrolment.secret_base32,
            error,
        }
    }))
}

/// The current password typed in a form, if any.
fn current_password(params: &Params) -> Option<Password> {
    params
        .get("current_password")
        .filter(|p| !p.is_empty())
        .map(Password::new)
}

/// [`account::reauthenticate`] with the form's password and the session's sign-in time.
pub(crate) async fn reauthenticated(
    state: &AppState,
    browser: &Browser,
    params: &Params,
    user: &User,
    session: &Session,
) -> Result<(), PageError> {
    let proof = account::reauthenticate(
        &state.provider,
        user,
        session.auth_time,
        current_password(params).as_ref(),
        &browser.ip,
    )
    .await;
    match proof {
        Ok(()) => Ok(()),
        Err(e) => Err(refused(state, browser, e).await),
    }
}

/// `POST /account/totp`: starts setting up an authenticator app (after the password, or
/// within minutes of signing in).
pub async fn totp_begin(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, session) = signed_in(&state, &browser).await?;
    reauthenticated(&state, &browser, &params, &user, &session).await?;
    match totp::begin(&state.provider, &user).await {
        Ok(enrolment) => enrol_page(&state, &browser, &enrolment, StatusCode::OK, None),
        Err(e) => Err(refused(&state, &browser, e.into()).await),
    }
}

/// `POST /account/totp/confirm`: the same proof as [`totp_begin`] (a wrong code shows the
/// pending secret again).
pub async fn totp_confirm(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, session) = signed_in(&state, &browser).await?;
    reauthenticated(&state, &browser, &params, &user, &session).await?;
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
                t: &browser.tr,
                product: &state.web.product_name,
                codes: &codes.0,
            };
            Ok((browser.jar(), render(&state, StatusCode::OK, &page)).into_response())
        }
        Err(OtpError::Wrong { .. }) => match totp::pending(provider, &user)
            .await
            .map_err(PageError::internal)?
        {
            Some(enrolment) => Err(PageError::rendered(enrol_page(
                &state,
                &browser,
                &enrolment,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&browser.tr.get("account-totp-wrong-code")),
            )?)),
            None => Ok(see_other(&browser, "/account")),
        },
        Err(e) => Err(refused(&state, &browser, e.into()).await),
    }
}

/// `POST /account/totp/disable`
pub async fn totp_disable(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, _) = signed_in(&state, &browser).await?;
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
        Ok(()) => Ok(see_other(&browser, "/account?notice=totp-off")),
        Err(e) => Err(refused(&state, &browser, e).await),
    }
}

/// `POST /account/recovery-codes`: a new set, after the password.
pub async fn recovery_codes(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, _) = signed_in(&state, &browser).await?;
    let current = Password::new(params.get("current_password").unwrap_or(""));
    if let Err(e) = account::confirm_password(&state.provider, &user, &current, &browser.ip).await {
        return Err(refused(&state, &browser, e).await);
    }
    match recovery::regenerate(&state.provider, &user).await {
        Ok(codes) => {
            let page = RecoveryCodesPage {
                t: &browser.tr,
                product: &state.web.product_name,
                codes: &codes.0,
            };
            Ok((browser.jar(), render(&state, StatusCode::OK, &page)).into_response())
        }
        Err(e) => Err(refused(&state, &browser, e.into()).await),
    }
}

/// `POST /account/sessions/end`: signs out another session of the user.
pub async fn end_session(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, _) = signed_in(&state, &browser).await?;
    let target = params.get("session").unwrap_or("");
    let now = state.provider.clock().unix();
    let owned = state
        .provider
        .store()
        .user_sessions(&user.id, now)
        .await?
        .iter()
        .any(|s| s.id == target);
    if !owned {
        let missing = page(
            &state,
            &browser,
            StatusCode::NOT_FOUND,
            None,
            Some(&browser.tr.get("account-no-such-session")),
        )
        .await?;
        return Err(PageError::rendered(missing));
    }
    sessions::end(&state.provider, target).await?;
    Ok(see_other(&browser, "/account?notice=session-ended"))
}
