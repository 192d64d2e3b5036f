//! Sign-in with an upstream identity provider: the buttons' posts (`POST
//! /login/upstream/{id}`), the callback (`GET /login/upstream/{id}/callback`), the link and
//! second-factor step (`POST /login/upstream-continue`), and linking and unlinking from the
//! account page (`POST /account/upstream/{id}/link`, `.../unlink`). The decisions are
//! `auth_core::upstream::flow`'s; this module parses, throttles and renders.
//!
//! Who may call what: the button and the callback are anonymous (the callback acts only for
//! the browser whose state it carries); the continue step needs the browser's own pending
//! step; link and unlink need a session, and act on the session's user only.

use super::form::Posted;
use super::login::{after_login, expired_request};
use super::templates::UpstreamContinuePage;
use super::{Browser, form_page, notice, parse_query, see_other};
use crate::error::PageError;
use crate::i18n::{Text, key};
use crate::state::AppState;
use auth_core::authorize::load_pending;
use auth_core::otp::OtpError;
use auth_core::throttle::Feature;
use auth_core::upstream::UpstreamError;
use auth_core::upstream::flow::{self, Callback, FinishError, Outcome, Proof, UnlinkError};
use auth_core::users::LoginError;
use auth_core::users::password::Password;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// Each start and each callback counts against the network's sign-in budget (the login
/// form's: an upstream sign-in is a sign-in).
async fn throttle_network(state: &AppState, browser: &Browser) -> Result<(), PageError> {
    super::throttle_network(state, browser, Feature::LoginPost).await
}

fn upstream_error(error: &UpstreamError) -> PageError {
    let status = match error {
        UpstreamError::UnknownProvider => StatusCode::NOT_FOUND,
        UpstreamError::Internal(e) => return PageError::internal(e),
        UpstreamError::Unavailable(detail) => {
            tracing::warn!(reason = %detail, "upstream sign-in failed");
            StatusCode::BAD_GATEWAY
        }
        UpstreamError::Disabled | UpstreamError::SignUpClosed => StatusCode::FORBIDDEN,
        UpstreamError::UnverifiedEmailTaken
        | UpstreamError::LinkedElsewhere
        | UpstreamError::UnverifiedEmail => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    PageError::page(
        status,
        key("upstream-sign-in-failed"),
        super::refusals::upstream_error(error),
    )
}

/// `POST /login/upstream/{id}`: the button; sends the browser to the upstream.
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    if state.upstreams.get(&id).is_none() {
        return Err(upstream_error(&UpstreamError::UnknownProvider));
    }
    throttle_network(&state, &browser).await?;
    let request = params.get("request");
    if let Some(handle) = request {
        load_pending(&state.provider, handle, browser.binding())
            .await?
            .ok_or_else(expired_request)?;
    }
    let location = flow::start(
        &state.provider,
        &state.upstreams,
        &id,
        browser.binding(),
        request,
        None,
    )
    .await
    .map_err(|e| upstream_error(&e))?;
    Ok(see_other(&browser, &location))
}

/// `GET /login/upstream/{id}/callback`
pub async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    mut browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = parse_query(query)?;
    let Some(upstream) = state.upstreams.get(&id) else {
        return Err(upstream_error(&UpstreamError::UnknownProvider));
    };
    throttle_network(&state, &browser).await?;
    let session_user = browser.session.as_ref().map(|s| s.user_id.clone());
    let outcome = flow::callback(
        &state.provider,
        &state.upstreams,
        &id,
        browser.binding(),
        Callback {
            code: params.get("code"),
            state: params.get("state"),
            error: params.get("error"),
            iss: params.get("iss"),
        },
        &browser.ip,
        session_user.as_ref(),
    )
    .await
    .map_err(|e| upstream_error(&e))?;
    let label = upstream.config.label.clone();
    outcome_response(&state, &mut browser, outcome, &label, None).await
}

async fn outcome_response(
    state: &AppState,
    browser: &mut Browser,
    outcome: Outcome,
    label: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    match outcome {
        Outcome::SignedIn { user, amr, request } => {
            browser.start_session(state, &user.id, amr).await?;
            Ok(see_other(
                browser,
                &after_login(browser, request.as_deref()),
            ))
        }
        Outcome::SecondFactor { handle } => Ok(continue_page(
            state,
            browser,
            StatusCode::OK,
            &ContinueView {
                handle: &handle,
                link: false,
                totp: true,
                email: "",
                label,
            },
            error,
        )),
        Outcome::ProveAccount {
            handle,
            totp,
            email,
        } => Ok(continue_page(
            state,
            browser,
            StatusCode::OK,
            &ContinueView {
                handle: &handle,
                link: true,
                totp,
                email: &email,
                label,
            },
            error,
        )),
        Outcome::Linked => Ok(see_other(browser, "/account?notice=upstream-linked")),
    }
}

struct ContinueView<'a> {
    handle: &'a str,
    link: bool,
    totp: bool,
    email: &'a str,
    label: &'a str,
}

fn continue_page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    view: &ContinueView<'_>,
    error: Option<&str>,
) -> Response {
    let unnamed = browser.tr.get("upstream-the-provider");
    form_page(state, browser, status, |t, product, csrf| {
        UpstreamContinuePage {
            t,
            product,
            csrf,
            handle: view.handle,
            link: view.link,
            totp: view.totp,
            email: view.email,
            label: if view.label.is_empty() {
                &unnamed
            } else {
                view.label
            },
            error,
        }
    })
}

/// `POST /login/upstream-continue`: the password (and code) that link the accounts, or the
/// second factor of a linked account.
pub async fn finish(
    State(state): State<AppState>,
    Posted {
        mut browser,
        params,
    }: Posted,
) -> Result<Response, PageError> {
    let handle = params.get("handle").unwrap_or("");
    let password = params.get("password").map(Password::new);
    let proof = Proof {
        password: password.as_ref(),
        code: params.get("code"),
        recovery_code: params.get("recovery_code"),
    };
    let view = ContinueView {
        handle,
        link: params.get("link") == Some("yes"),
        totp: params.get("totp") == Some("yes"),
        email: "",
        label: "",
    };
    let again = |status, message: &str| {
        PageError::rendered(continue_page(
            &state,
            &browser,
            status,
            &view,
            Some(message),
        ))
    };
    let result = flow::finish(
        &state.provider,
        handle,
        browser.binding(),
        proof,
        &browser.ip,
    )
    .await;
    match result {
        Ok(outcome) => outcome_response(&state, &mut browser, outcome, "", None).await,
        Err(FinishError::Expired) => Err(PageError::page(
            StatusCode::UNAUTHORIZED,
            key("upstream-sign-in-expired"),
            Text::Key("upstream-sign-in-expired-text"),
        )),
        Err(FinishError::Login(LoginError::InvalidCredentials)) => Err(again(
            StatusCode::UNAUTHORIZED,
            &browser.tr.get("upstream-wrong-password"),
        )),
        Err(FinishError::Login(LoginError::Disabled)) => Err(PageError::page(
            StatusCode::FORBIDDEN,
            key("upstream-sign-in-failed"),
            Text::Key("upstream-error-disabled"),
        )),
        Err(FinishError::Login(LoginError::Throttled(throttled)))
        | Err(FinishError::Otp(OtpError::Throttled(throttled))) => Err(PageError::throttled(
            &browser,
            &throttled,
            key("throttled-sign-in"),
        )),
        Err(FinishError::Otp(OtpError::Internal(e)))
        | Err(FinishError::Login(LoginError::Internal(e)))
        | Err(FinishError::Internal(e)) => Err(PageError::internal(e)),
        Err(FinishError::Otp(e)) => Err(again(
            StatusCode::UNAUTHORIZED,
            &super::refusals::otp_error(&browser.tr, &e),
        )),
    }
}

/// The signed-in user of a form post; without one, the redirect to `/login`.
fn session_user(browser: &Browser) -> Result<auth_core::users::UserId, PageError> {
    browser
        .session
        .as_ref()
        .map(|s| s.user_id.clone())
        .ok_or_else(|| PageError::redirect(browser, "/login"))
}

/// `POST /account/upstream/{id}/link`: links a provider to the signed-in account. A link is a
/// new way into the account, so it needs what adding a passkey or an authenticator app needs:
/// the password, or a sign-in within minutes ([`auth_core::account::reauthenticate`]).
pub async fn link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { browser, params }: Posted,
) -> Result<Response, PageError> {
    let (user, session) = super::account::signed_in(&state, &browser).await?;
    super::account::reauthenticated(&state, &browser, &params, &user, &session).await?;
    throttle_network(&state, &browser).await?;
    let location = flow::start(
        &state.provider,
        &state.upstreams,
        &id,
        browser.binding(),
        None,
        Some(&user.id),
    )
    .await
    .map_err(|e| upstream_error(&e))?;
    Ok(see_other(&browser, &location))
}

/// `POST /account/upstream/{id}/unlink`
pub async fn unlink(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { browser, .. }: Posted,
) -> Result<Response, PageError> {
    let user = session_user(&browser)?;
    match flow::unlink(&state.provider, &user, &id, &browser.ip).await {
        Ok(()) => Ok(see_other(&browser, "/account?notice=upstream-unlinked")),
        Err(UnlinkError::Internal(e)) => Err(PageError::internal(e)),
        Err(e) => {
            let status = match e {
                UnlinkError::NotLinked => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            Err(PageError::rendered(notice(
                &state,
                &browser,
                status,
                key("upstream-not-unlinked"),
                super::refusals::unlink_error(&e),
                Some(("/account".to_owned(), browser.tr.get("apps-back"))),
            )))
        }
    }
}
