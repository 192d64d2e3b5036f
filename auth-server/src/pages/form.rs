//! Accepting a posted form: the only way a page handler reads one.
//!
//! [`Posted`] does every step before the handler runs, in this order: the browser (its cookies
//! and session), the body parsed by the rules of OAuth parameters (400 "Invalid form"), then the
//! CSRF token of the form and the origin of the post (403 "Form expired"). A handler that takes
//! it cannot forget a step. [`LogoutPost`] is the one exception, for the one form another site
//! may post.

use super::{Browser, csrf_token};
use crate::error::PageError;
use crate::i18n::{Text, key};
use crate::state::AppState;
use auth_core::params::Params;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use subtle::ConstantTimeEq;

/// A form posted from a page of this server: CSRF token and origin checked, body parsed.
pub struct Posted {
    /// The browser that posted it.
    pub browser: Browser,
    /// The form's fields.
    pub params: Params,
}

impl FromRequest<AppState> for Posted {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (browser, params) = read(request, state).await?;
        check(&browser, state, &params)?;
        Ok(Self { browser, params })
    }
}

/// A post to `/logout`. A relying party may send its logout request as a form post from its
/// own site (RP-Initiated Logout 1.0 section 2), so such a post is only parsed; it ends a
/// session at once only when its `id_token_hint` names it. The confirmation form of
/// `/logout` itself (`confirm=yes`) is checked like [`Posted`], and only then `confirmed`.
pub struct LogoutPost {
    /// The browser that posted it.
    pub browser: Browser,
    /// The form's fields.
    pub params: Params,
    /// Whether this is the user's confirmation, from the page's own form.
    pub confirmed: bool,
}

impl FromRequest<AppState> for LogoutPost {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (browser, params) = read(request, state).await?;
        let confirmed = params.get("confirm") == Some("yes");
        if confirmed {
            check(&browser, state, &params)?;
        }
        Ok(Self {
            browser,
            params,
            confirmed,
        })
    }
}

/// The browser and the parsed body.
async fn read(request: Request, state: &AppState) -> Result<(Browser, Params), PageError> {
    let (mut parts, body) = request.into_parts();
    let browser = Browser::from_request_parts(&mut parts, state).await?;
    let body = Bytes::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(|rejection| {
            PageError::page(
                rejection.status(),
                key("error-invalid-form"),
                Text::Plain(rejection.body_text()),
            )
        })?;
    let params = Params::parse(&body).map_err(|e| {
        PageError::page(
            StatusCode::BAD_REQUEST,
            key("error-invalid-form"),
            Text::Plain(e.description().to_owned()),
        )
    })?;
    Ok((browser, params))
}

/// The form's CSRF token is this browser's, and the post comes from this site.
fn check(browser: &Browser, state: &AppState, params: &Params) -> Result<(), PageError> {
    let expected = csrf_token(state, &browser.csrf_secret);
    let sent = params.get("csrf_token").unwrap_or("");
    let valid = !browser.csrf_is_new
        && browser.origin_ok
        && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()));
    if valid {
        Ok(())
    } else {
        Err(PageError::page(
            StatusCode::FORBIDDEN,
            key("error-form-expired"),
            Text::Key("error-form-expired-text"),
        ))
    }
}
