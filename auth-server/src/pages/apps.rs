//! `/account/apps`: the applications with access to the signed-in user's account, and
//! removing that access (see [`auth_core::apps`]).

use super::account::signed_in;
use super::consent::describe_scope;
use super::form::Posted;
use super::templates::{AccountAppsPage, AppView};
use super::{Browser, form_page, lenient_query, see_other};
use crate::error::PageError;
use crate::state::AppState;
use crate::views::rfc3339;
use auth_core::apps;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The page's address.
pub const PATH: &str = "/account/apps";

async fn page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let (user, _) = signed_in(state, browser).await?;
    let apps = apps::list(&state.provider, &user.id)
        .await?
        .into_iter()
        .map(|app| AppView {
            scopes: app
                .scopes
                .into_iter()
                .map(|s| {
                    let words = describe_scope(&browser.tr, &s);
                    (s, words)
                })
                .collect(),
            granted: rfc3339(app.granted_at),
            last_used: app.last_used_at.map(rfc3339),
            client_id: app.client_id,
            name: app.name,
            client_uri: app.client_uri,
            self_registered: app.self_registered,
        })
        .collect();
    Ok(form_page(state, browser, status, |t, product, csrf| {
        AccountAppsPage {
            t,
            product,
            csrf,
            notice,
            error,
            email: user.email.as_str(),
            apps,
        }
    }))
}

/// `GET /account/apps`
pub async fn show(
    State(state): State<AppState>,
    browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = lenient_query(query);
    let notice = match params.get("notice") {
        Some("removed") => Some(browser.tr.get("apps-removed")),
        _ => None,
    };
    page(&state, &browser, StatusCode::OK, notice.as_deref(), None).await
}

/// `POST /account/apps/remove`: takes back one app's access to the user's account.
pub async fn remove(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, _) = signed_in(&state, &browser).await?;
    let client_id = params.get("client_id").unwrap_or("");
    if !apps::remove(&state.provider, &user.id, client_id, &browser.ip).await? {
        let missing = page(
            &state,
            &browser,
            StatusCode::NOT_FOUND,
            None,
            Some(&browser.tr.get("apps-no-access")),
        )
        .await?;
        return Err(PageError::rendered(missing));
    }
    Ok(see_other(&browser, "/account/apps?notice=removed"))
}
