//! `GET /signup` and `POST /signup`.

use super::form::Posted;
use super::login::{sentence, urlencode};
use super::templates::SignupPage;
use super::{Browser, notice, render};
use crate::error::PageError;
use crate::state::AppState;
use auth_core::params::Params;
use auth_core::users::{self, Email, NewUser, Profile, UserError, password::Password};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

fn page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    params: &Params,
    error: Option<&str>,
) -> Response {
    let csrf = browser.csrf_token(state);
    let page = SignupPage {
        product: &state.web.product_name,
        csrf: &csrf,
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
    };
    (browser.jar(), render(state, status, &page)).into_response()
}

fn closed() -> PageError {
    PageError::page(
        StatusCode::NOT_FOUND,
        "Sign-up is closed",
        "New accounts are created by an administrator.",
    )
}

/// `GET /signup`
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if !state.web.signup_enabled {
        return Err(closed());
    }
    let params = Params::parse(query.unwrap_or_default().as_bytes())
        .map_err(|e| PageError::invalid_request(e.description()))?;
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
    let Posted { browser, params } = posted?;
    let refused = |e: UserError| {
        PageError::rendered(page(
            &state,
            &browser,
            StatusCode::UNPROCESSABLE_ENTITY,
            &params,
            Some(&sentence(&e.to_string())),
        ))
    };
    let new = new_user(&state, &params).map_err(refused)?;
    match users::sign_up(&state.provider, new, &browser.ip).await {
        Ok(()) => {
            let request = params.get("request");
            let continue_to = match request {
                Some(handle) => format!("/login?request={}", urlencode(handle)),
                None => "/login".to_owned(),
            };
            let message = if state.provider.settings().account.require_verified_email {
                "We sent a link to your e-mail address. Open it to confirm the address, then sign in."
            } else {
                "We sent a link to your e-mail address to confirm it. You can sign in now."
            };
            Ok(notice(
                &state,
                &browser,
                StatusCode::OK,
                "Check your e-mail",
                message,
                Some((continue_to, "Continue to sign in")),
            ))
        }
        Err(UserError::Throttled(throttled)) => Err(PageError::throttled(
            &browser,
            &throttled,
            "sign-ups from your network",
        )),
        Err(UserError::Internal(e)) => Err(PageError::internal(e)),
        Err(e) => Err(refused(e)),
    }
}

fn new_user(state: &AppState, params: &Params) -> Result<NewUser, UserError> {
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
            ..Profile::default()
        },
        roles,
        email_verified: false,
    })
}
