//! E-mail verification: the link target, and asking for a new link.

use super::form::Posted;
use super::templates::{EmailFormPage, VerifyEmailPage};
use super::{Browser, notice, render};
use crate::error::PageError;
use crate::state::AppState;
use auth_core::params::Params;
use auth_core::throttle::{self, Feature, Key, Network};
use auth_core::verification::{self, LinkError};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `GET /verify-email?token=...`: a page with a button, and nothing confirmed yet. Mail
/// scanners and link previews open links; only a person submits the form, so an account
/// someone else signed up with this address is not confirmed behind its owner's back.
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes()).unwrap_or_default();
    let csrf = browser.csrf_token(&state);
    let page = VerifyEmailPage {
        product: &state.web.product_name,
        csrf: &csrf,
        token: params.get("token").unwrap_or(""),
    };
    (browser.jar(), render(&state, StatusCode::OK, &page)).into_response()
}

/// `POST /verify-email`: confirms the address of the link's token.
pub async fn verify(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let token = params.get("token").unwrap_or("");
    match verification::verify(&state.provider, token).await {
        Ok(_) => Ok(notice(
            &state,
            &browser,
            StatusCode::OK,
            "E-mail address confirmed",
            "Thank you: your e-mail address is confirmed.",
            Some(("/login".to_owned(), "Sign in")),
        )),
        Err(LinkError::Invalid) => Err(PageError::rendered(notice(
            &state,
            &browser,
            StatusCode::BAD_REQUEST,
            "Link not valid",
            "This link is invalid, was already used, or has expired.",
            Some(("/verify-email/resend".to_owned(), "Send a new link")),
        ))),
        Err(LinkError::Internal(e)) => Err(PageError::internal(e)),
    }
}

fn resend_form(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let csrf = browser.csrf_token(state);
    let page = EmailFormPage {
        product: &state.web.product_name,
        csrf: &csrf,
        title: "Confirm your e-mail address",
        intro: "Enter your address and we will send you a new confirmation link.",
        action: "/verify-email/resend",
        button: "Send link",
        error,
    };
    (browser.jar(), render(state, status, &page)).into_response()
}

/// `GET /verify-email/resend`
pub async fn resend_show(State(state): State<AppState>, browser: Browser) -> Response {
    resend_form(&state, &browser, StatusCode::OK, None)
}

/// `POST /verify-email/resend`: the same answer whether or not an account needs a link.
pub async fn resend(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let provider = &state.provider;
    throttle::hit(
        provider,
        &[&Key::network(
            Feature::Verification,
            &Network::of(&browser.ip),
        )],
    )
    .await
    .map_err(|throttled| {
        PageError::throttled(&browser, &throttled, "requests from your network")
    })?;
    verification::resend(provider, params.get("email").unwrap_or(""))
        .await
        .map_err(PageError::internal)?;
    Ok(notice(
        &state,
        &browser,
        StatusCode::OK,
        "Check your e-mail",
        "If an account with this address waits for confirmation, we sent it a new link.",
        Some(("/login".to_owned(), "Back to sign in")),
    ))
}
