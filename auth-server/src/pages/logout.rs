//! RP-initiated logout: `GET` and `POST /logout` (the `end_session_endpoint`).
//!
//! The session ends at once when the `id_token_hint` names it; otherwise the user confirms
//! with a form (RP-Initiated Logout section 2: the OP SHOULD ask), so a third-party page cannot
//! log users out.

use super::form::LogoutPost;
use super::templates::{LoggedOutPage, LogoutPage};
use super::{Browser, form_page, notice, parse_query, render, see_other};
use crate::error::PageError;
use crate::i18n::{Text, key};
use crate::state::AppState;
use auth_core::logout::{self, LogoutError, LogoutRequest};
use auth_core::params::Params;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `GET /logout`
pub async fn get(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = parse_query(query)?;
    handle(state, browser, params, false).await
}

/// `POST /logout`
pub async fn post(
    State(state): State<AppState>,
    LogoutPost {
        browser,
        params,
        confirmed,
    }: LogoutPost,
) -> Result<Response, PageError> {
    handle(state, browser, params, confirmed).await
}

async fn handle(
    state: AppState,
    mut browser: Browser,
    params: Params,
    confirmed: bool,
) -> Result<Response, PageError> {
    let request = logout::validate(&state.provider, &params)
        .await
        .map_err(|e| match e {
            LogoutError::Invalid(message) => PageError::page(
                StatusCode::BAD_REQUEST,
                key("error-sign-out-failed"),
                Text::Plain(message),
            ),
            LogoutError::Internal(e) => PageError::internal(e),
        })?;
    let named_session = browser
        .session
        .as_ref()
        .is_some_and(|session| request.names_session(&state.provider, session));
    if browser.session.is_some() && !confirmed && !named_session {
        return Ok(confirm_page(&state, &browser, &request, &params));
    }
    browser.end_session(&state).await?;
    Ok(match request.redirect() {
        Some(location) if request.redirects_at_once(named_session, confirmed) => {
            see_other(&browser, &location)
        }
        // RP-Initiated Logout section 3: without proof that the request comes from this
        // session's client, a self-registered client's URI is a link the user may follow, not
        // a redirect (else `/logout` is an open redirector for anyone who registers a client).
        Some(location) => {
            let name = match &request.client {
                Some(client) => client.name.clone(),
                None => browser.tr.get("logout-the-application"),
            };
            let host = url::Url::parse(&location)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            let text = browser
                .tr
                .args2("logout-continue-to", "client", name, "host", host);
            notice(
                &state,
                &browser,
                StatusCode::OK,
                key("logout-done-title"),
                key("logout-done-text"),
                Some((location, text)),
            )
        }
        None => {
            let page = LoggedOutPage {
                t: &browser.tr,
                product: &state.web.product_name,
            };
            (browser.jar(), render(&state, StatusCode::OK, &page)).into_response()
        }
    })
}

fn confirm_page(
    state: &AppState,
    browser: &Browser,
    request: &LogoutRequest,
    params: &Params,
) -> Response {
    let hidden = [
        "id_token_hint",
        "client_id",
        "post_logout_redirect_uri",
        "state",
    ]
    .into_iter()
    .filter_map(|name| params.get(name).map(|value| (name, value.to_owned())))
    .collect();
    form_page(state, browser, StatusCode::OK, |t, product, csrf| {
        LogoutPage {
            t,
            product,
            csrf,
            client_name: request.client.as_ref().map(|c| c.name.as_str()),
            hidden,
        }
    })
}
