//! `GET /authorize` and its continuation after login and consent.
//!
//! An unknown client or unregistered redirect URI gets an error page and never a redirect
//! (RFC 6749 section 4.1.2.1); every later error goes back to the client's redirect URI with
//! `state` and `iss`. A request that needs the user is kept in the database, so the login and
//! consent pages can be served by any replica.

use crate::error::PageError;
use crate::i18n::{Text, key};
use crate::pages::login::{expired_request, urlencode};
use crate::pages::{Browser, lenient_query, parse_query, see_other};
use crate::state::AppState;
use auth_core::authorize::{
    self, AuthorizationRequest, AuthorizeError, NextStep, SavePendingError, forget_pending,
    load_pending, save_pending,
};
use auth_core::clients::{Client, ClientId, GrantType};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::Arc;

/// `GET /authorize` (RFC 6749 section 4.1.1; OIDC Core section 3.1.2.1).
pub async fn start(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = parse_query(query)?;
    match authorize::validate(&state.provider, &params).await {
        // The request has just arrived: no login can have answered it yet.
        Ok((client, request)) => proceed(&state, &browser, &client, &request, None, None).await,
        Err(error) => answer_error(&browser, error),
    }
}

/// `GET /authorize/continue?request=...`: after login or sign-up.
pub async fn resume(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = lenient_query(query);
    let handle = params.get("request").ok_or_else(expired_request)?;
    let (client, pending) = pending_request(&state, &browser, handle).await?;
    proceed(
        &state,
        &browser,
        &client,
        &pending.request,
        Some(pending.created_at),
        Some(handle),
    )
    .await
}

/// Loads a pending request and its client, or the page explaining it is gone.
pub async fn pending_request(
    state: &AppState,
    browser: &Browser,
    handle: &str,
) -> Result<(Client, authorize::PendingRequest), PageError> {
    let pending = load_pending(&state.provider, handle, browser.binding())
        .await?
        .ok_or_else(expired_request)?;
    let client = match ClientId::parse(&pending.request.client_id) {
        Ok(id) => state.provider.store().client(&id).await?,
        Err(_) => None,
    };
    let client = client.ok_or_else(expired_request)?;
    // An administrator may have taken the redirect URI or the code grant away while the user
    // signed in: the request ends here, and nothing goes to that URI.
    let still_allowed = client.may_use(GrantType::AuthorizationCode)
        && client
            .redirect_uris
            .iter()
            .any(|r| r.matches(&pending.request.redirect_uri));
    if !still_allowed {
        return Err(expired_request());
    }
    Ok((Arc::unwrap_or_clone(client), pending))
}

/// Takes the request one step further: login, consent, or the code. `requested_at` is when a
/// kept request began (`None` for one that has just arrived).
pub async fn proceed(
    state: &AppState,
    browser: &Browser,
    client: &Client,
    request: &AuthorizationRequest,
    requested_at: Option<i64>,
    handle: Option<&str>,
) -> Result<Response, PageError> {
    let provider = &state.provider;
    let step = authorize::next_step(
        provider,
        client,
        request,
        requested_at,
        browser.session.as_ref(),
    )
    .await;
    let page_for = |path: &str, handle: &str| format!("{path}?request={}", urlencode(handle));
    match step {
        Ok(NextStep::IssueCode) => {
            let Some(session) = &browser.session else {
                return Err(PageError::internal("no session at code issuance"));
            };
            match authorize::issue_code(provider, request, session).await {
                Ok(location) => {
                    if let Some(handle) = handle
                        && let Err(e) = forget_pending(provider, handle).await
                    {
                        tracing::warn!(error = %e, "cannot forget a completed authorization request");
                    }
                    Ok(see_other(browser, &location))
                }
                Err(e) => answer_error(browser, request.error_redirect(provider, e)),
            }
        }
        Ok(next) => {
            let handle = match handle {
                Some(handle) => handle.to_owned(),
                None => match save_pending(provider, request, browser.binding(), &browser.ip).await
                {
                    Ok(handle) => handle,
                    // The client and redirect URI may be fine: the server is what is busy.
                    Err(SavePendingError::Throttled(throttled)) => {
                        return Err(PageError::throttled(
                            browser,
                            &throttled,
                            key("throttled-sign-in-requests"),
                        ));
                    }
                    Err(SavePendingError::Store(e)) => return Err(PageError::internal(e)),
                },
            };
            let path = if next == NextStep::Login {
                "/login"
            } else {
                "/consent"
            };
            Ok(see_other(browser, &page_for(path, &handle)))
        }
        Err(e) => match handle {
            Some(handle) => {
                let _ = forget_pending(provider, handle).await;
                answer_error(browser, request.error_redirect(provider, e))
            }
            // Straight from `/authorize` (e.g. `prompt=none` without a session): the user has
            // not interacted yet.
            None => answer_error(
                browser,
                authorize::refuse_before_interaction(provider, client, request, e),
            ),
        },
    }
}

/// Sends an authorization error where it belongs: back to the client (a redirect with the
/// error, RFC 6749 section 4.1.2.1), or an error page when the client cannot be trusted with it.
pub fn answer_error(browser: &Browser, error: AuthorizeError) -> Result<Response, PageError> {
    match error {
        AuthorizeError::Page(message) => Err(PageError::page(
            StatusCode::BAD_REQUEST,
            key("error-cannot-complete"),
            Text::Plain(message),
        )),
        AuthorizeError::Internal(cause) => Err(PageError::internal(cause)),
        AuthorizeError::Redirect { location, error } => {
            if error.code() == auth_core::protocol::error::ErrorCode::ServerError {
                tracing::error!(error = ?error.cause().map(ToString::to_string), "authorization failed");
            }
            Ok(see_other(browser, &location))
        }
    }
}
