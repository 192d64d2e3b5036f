//! E-mail verification: the link target, and asking for a new link.

use super::form::Posted;
use super::templates::VerifyEmailPage;
use super::{Browser, check_email, email_form, form_page, lenient_query, notice, throttle_network};
use crate::error::PageError;
use crate::i18n::key;
use crate::state::AppState;
use auth_core::throttle::Feature;
use auth_core::verification::{self, LinkError};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// `GET /verify-email?token=...`: a page with a button, and nothing confirmed yet. Mail
/// scanners and link previews open links; only a person submits the form, so an account
/// someone else signed up with this address is not confirmed behind its owner's back.
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Response {
    let params = lenient_query(query);
    form_page(&state, &browser, StatusCode::OK, |t, product, csrf| {
        VerifyEmailPage {
            t,
            product,
            csrf,
            token: params.get("token").unwrap_or(""),
        }
    })
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
            key("verify-confirmed"),
            key("verify-done"),
            Some(("/login".to_owned(), browser.tr.get("common-sign-in"))),
        )),
        Err(LinkError::Invalid) => Err(PageError::rendered(notice(
            &state,
            &browser,
            StatusCode::BAD_REQUEST,
            key("common-link-not-valid"),
            key("common-link-not-valid-text"),
            Some((
                "/verify-email/resend".to_owned(),
                browser.tr.get("verify-new-link"),
            )),
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
    let texts = ("verify-title", "verify-resend-intro");
    email_form(state, browser, status, texts, "/verify-email/resend", error)
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
    throttle_network(&state, &browser, Feature::Verification).await?;
    verification::resend(&state.provider, params.get("email").unwrap_or(""));
    Ok(check_email(&state, &browser, key("verify-resent")))
}
