//! `GET /consent` and `POST /consent`: the user approves or denies the requested scopes.

use super::form::Posted;
use super::login::urlencode;
use super::templates::ConsentPage;
use super::{Browser, form_page, lenient_query};
use crate::authorize::{answer_error, pending_request, proceed};
use crate::error::PageError;
use crate::i18n::{Tr, key};
use crate::state::AppState;
use auth_core::OAuthError;
use auth_core::authorize::{self, forget_pending};
use auth_core::protocol::error::ErrorCode;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// What a scope lets the application do, in words for the consent page.
pub fn describe_scope(t: &Tr, scope: &str) -> String {
    t.get(match scope {
        "openid" => key("scope-openid"),
        "profile" => key("scope-profile"),
        "email" => key("scope-email"),
        "offline_access" => key("scope-offline-access"),
        "permissions" => key("scope-permissions"),
        "admin" => key("scope-admin"),
        "account" => key("scope-account"),
        "account:write" => key("scope-account-write"),
        _ => key("scope-other"),
    })
}

/// `GET /consent?request=...`
pub async fn show(
    State(state): State<AppState>,
    mut browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = lenient_query(query);
    let handle = params.get("request").unwrap_or("");
    let (client, pending) = pending_request(&state, &browser, handle).await?;
    browser.with_ui_locales(pending.request.ui_locales.as_deref());
    let sign_in =
        || PageError::redirect(&browser, &format!("/login?request={}", urlencode(handle)));
    let session = browser.session.as_ref().ok_or_else(sign_in)?;
    let user = state
        .provider
        .store()
        .user(&session.user_id)
        .await?
        .ok_or_else(sign_in)?;
    let page = |t, product, csrf| ConsentPage {
        t,
        product,
        csrf,
        request: handle,
        client_name: &client.name,
        client_uri: client.extras.client_uri.as_deref(),
        client_id: client.id.as_str(),
        // A name and link the client gave itself (RFC 7591 registration), not checked by the
        // operator: the page says so, so an app cannot pass for another.
        self_registered: client.registration_token_hash.is_some(),
        user_email: user.email.as_str(),
        scopes: pending
            .request
            .scope()
            .iter()
            .map(|s| (s.to_owned(), describe_scope(t, s)))
            .collect(),
    };
    Ok(form_page(&state, &browser, StatusCode::OK, page))
}

/// `POST /consent`
pub async fn submit(
    State(state): State<AppState>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let handle = params.get("request").unwrap_or("");
    let (client, pending) = pending_request(&state, &browser, handle).await?;
    let Some(session) = &browser.session else {
        return Err(PageError::redirect(
            &browser,
            &format!("/login?request={}", urlencode(handle)),
        ));
    };
    let request = &pending.request;
    match params.get("decision") {
        Some("allow") => {
            if let Err(e) =
                authorize::remember_consent(&state.provider, &client, request, session).await
            {
                return answer_error(&browser, request.error_redirect(&state.provider, e));
            }
            // Consent given in this request satisfies prompt=consent.
            let mut request = request.clone();
            request.prompt.retain(|p| *p != authorize::Prompt::Consent);
            proceed(
                &state,
                &browser,
                &client,
                &request,
                Some(pending.created_at),
                Some(handle),
            )
            .await
        }
        _ => {
            let _ = forget_pending(&state.provider, handle).await;
            let denied = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
            answer_error(&browser, request.error_redirect(&state.provider, denied))
        }
    }
}
