//! `GET /signup` and `POST /signup`.

use super::form::Posted;
use super::login::urlencode;
use super::templates::SignupPage;
use super::{Browser, form_page, notice, parse_query};
use crate::error::PageError;
use crate::i18n::{Text, key};
use crate::state::AppState;
use auth_core::authorize::load_pending;
use auth_core::params::Params;
use auth_core::users::{self, Email, NewUser, Profile, UserError, password::Password};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

fn page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    params: &Params,
    error: Option<&str>,
) -> Response {
    form_page(state, browser, status, |t, product, csrf| SignupPage {
        t,
        product,
        csrf,
        request: params.get("request"),
        email: params.get("email").unwrap_or(""),
        name: params.get("name").unwrap_or(""),
        roles: state
            .provider
            .settings()
            .users
            .signup_roles
            .iter()
            .map(|r| r.as_str())
            .collect(),
        min_length: state.provider.settings().users.password.min_length,
        error,
    })
}

fn closed() -> PageError {
    PageError::page(
        StatusCode::NOT_FOUND,
        key("signup-closed"),
        Text::Key("signup-closed-text"),
    )
}

/// `GET /signup`
pub async fn show(
    State(state): State<AppState>,
    mut browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if !state.web.signup_enabled {
        return Err(closed());
    }
    let params = parse_query(query)?;
    with_request_language(&state, &mut browser, &params).await?;
    Ok(page(&state, &browser, StatusCode::OK, &params, None))
}

/// `POST /signup`: answers the same whether or not the address has an account. A closed
/// sign-up says so before the form is looked at.
pub async fn submit(
    State(state): State<AppState>,
    posted: Result<Posted, PageError>,
) -> Result<Response, PageError> {
    if !state.web.signup_enabled {
        return Err(closed());
    }
    let Posted {
        mut browser,
        params,
    } = posted?;
    with_request_language(&state, &mut browser, &params).await?;
    let refused = |e: UserError| {
        PageError::rendered(page(
            &state,
            &browser,
            StatusCode::UNPROCESSABLE_ENTITY,
            &params,
            Some(&super::refusals::user_error(&browser.tr, &e)),
        ))
    };
    let new = new_user(&state, &browser, &params).map_err(refused)?;
    match users::sign_up(&state.provider, new, &browser.ip).await {
        Ok(()) => {
            let request = params.get("request");
            let continue_to = match request {
                Some(handle) => format!("/login?request={}", urlencode(handle)),
                None => "/login".to_owned(),
            };
            let message = if state.provider.settings().account.require_verified_email {
                key("signup-sent-confirm-first")
            } else {
                key("signup-sent")
            };
            Ok(notice(
                &state,
                &browser,
                StatusCode::OK,
                key("common-check-email"),
                message,
                Some((continue_to, browser.tr.get("signup-continue"))),
            ))
        }
        Err(UserError::Throttled(throttled)) => Err(PageError::throttled(
            &browser,
            &throttled,
            key("throttled-sign-ups"),
        )),
        Err(UserError::Internal(e)) => Err(PageError::internal(e)),
        Err(e) => Err(refused(e)),
    }
}

/// The `ui_locales` of the authorization request the sign-up belongs to, if any.
async fn with_request_language(
    state: &AppState,
    browser: &mut Browser,
    params: &Params,
) -> Result<(), PageError> {
    if let Some(handle) = params.get("request")
        && let Some(pending) = load_pending(&state.provider, handle, browser.binding()).await?
    {
        browser.with_ui_locales(pending.request.ui_locales.as_deref());
    }
    Ok(())
}

fn new_user(state: &AppState, browser: &Browser, params: &Params) -> Result<NewUser, UserError> {
    let email = Email::parse(params.get("email").unwrap_or(""))?;
    let password = Password::new(params.get("password").unwrap_or(""));
    // Checked before anything is stored or sent, so a weak password is explained at once.
    state
        .provider
        .settings()
        .users
        .password
        .check(&password, email.as_str())?;
    let roles = state
        .provider
        .settings()
        .users
        .signup_roles
        .iter()
        .filter(|role| params.get(&format!("role_{role}")) == Some("on"))
        .cloned()
        .collect();
    Ok(NewUser {
        email,
        password,
        profile: Profile {
            name: params.get("name").unwrap_or("").trim().to_owned(),
            // The language of the page they signed up on becomes their setting (their mails
            // go out in it).
            locale: Some(browser.tr.lang().to_owned()),
            ..Profile::default()
        },
        roles,
        email_verified: false,
    })
}
