//! Forgotten passwords: asking for a link, and setting a new password with it.

use super::form::Posted;
use super::templates::ResetPasswordPage;
use super::{Browser, check_email, email_form, form_page, lenient_query, notice, throttle_network};
use crate::error::PageError;
use crate::i18n::key;
use crate::state::AppState;
use auth_core::password_reset::{self, ResetError};
use auth_core::throttle::Feature;
use auth_core::users::UserError;
use auth_core::users::password::Password;
use auth_core::verification::LinkError;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// `GET /forgot-password`
pub async fn forgot_show(State(state): State<AppState>, browser: Browser) -> Response {
    let texts = ("password-forgot-title", "password-forgot-intro");
    email_form(
        &state,
        &browser,
        StatusCode::OK,
        texts,
        "/forgot-password",
        None,
    )
}

/// `POST /forgot-password`
pub async fn forgot(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    throttle_network(&state, &browser, Feature::PasswordReset).await?;
    let email = params.get("email").unwrap_or("");
    password_reset::request(&state.provider, email, &browser.ip);
    // The one answer, whether or not the account exists.
    Ok(check_email(&state, &browser, key("password-sent")))
}

fn reset_form(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    token: &str,
    error: Option<&str>,
) -> Response {
    form_page(state, browser, status, |t, product, csrf| {
        ResetPasswordPage {
            t,
            product,
            csrf,
            token,
            min_length: state.provider.settings().users.password.min_length,
            error,
        }
    })
}

/// `GET /reset-password?token=...`
pub async fn reset_show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Response {
    let params = lenient_query(query);
    reset_form(
        &state,
        &browser,
        StatusCode::OK,
        params.get("token").unwrap_or(""),
        None,
    )
}

/// `POST /reset-password`
pub async fn reset(
    State(state): State<AppState>,
    Posted {
        mut browser,
        params,
    }: Posted,
) -> Result<Response, PageError> {
    let token = params.get("token").unwrap_or("");
    let password = Password::new(params.get("password").unwrap_or(""));
    match password_reset::reset(&state.provider, token, &password, &browser.ip).await {
        Ok(_) => {
            // Every session ended, this browser's too.
            browser.session = None;
            browser.end_session(&state).await?;
            Ok(notice(
                &state,
                &browser,
                StatusCode::OK,
                key("password-changed"),
                key("password-changed-text"),
                Some(("/login".to_owned(), browser.tr.get("common-sign-in"))),
            ))
        }
        Err(ResetError::Link(LinkError::Invalid)) => Err(PageError::rendered(notice(
            &state,
            &browser,
            StatusCode::BAD_REQUEST,
            key("common-link-not-valid"),
            key("common-link-not-valid-text"),
            Some((
                "/forgot-password".to_owned(),
                browser.tr.get("password-new-link"),
            )),
        ))),
        Err(
            ResetError::Link(LinkError::Internal(e)) | ResetError::User(UserError::Internal(e)),
        ) => Err(PageError::internal(e)),
        Err(ResetError::User(e)) => Err(PageError::rendered(reset_form(
            &state,
            &browser,
            StatusCode::UNPROCESSABLE_ENTITY,
            token,
            Some(&super::refusals::user_error(&browser.tr, &e)),
        ))),
    }
}
