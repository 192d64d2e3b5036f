//! `GET /login`, `POST /login` and the second step, `POST /login/second-factor`.

use super::form::Posted;
use super::passkeys::with_script;
use super::templates::{LoginPage, SecondFactorPage};
use super::{Browser, form_page, parse_query, see_other};
use crate::error::PageError;
use crate::i18n::{Text, key};
use crate::state::AppState;
use auth_core::authorize::load_pending;
use auth_core::login::{self, FirstStep, FirstStepError, Method, SecondFactor, SecondStepError};
use auth_core::otp::OtpError;
use auth_core::throttle::{self, Account, Feature, Key, Network};
use auth_core::users::{LoginError, password::Password};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// Where to go after logging in: back into the authorization request, back to the device
/// page the browser came from, or the account page.
pub fn after_login(browser: &Browser, request: Option<&str>) -> String {
    match request {
        Some(handle) => format!("/authorize/continue?request={}", urlencode(handle)),
        None => browser
            .device_page()
            .unwrap_or_else(|| "/account".to_owned()),
    }
}

pub(crate) fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `GET /login`
pub async fn show(
    State(state): State<AppState>,
    mut browser: Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = parse_query(query)?;
    let request = params.get("request");
    let mut email = String::new();
    if let Some(handle) = request {
        let pending = load_pending(&state.provider, handle, browser.binding())
            .await?
            .ok_or_else(expired_request)?;
        browser.with_ui_locales(pending.request.ui_locales.as_deref());
        email = pending.request.login_hint.unwrap_or_default();
    } else if browser.session.is_some() {
        return Ok(see_other(&browser, "/account"));
    }
    Ok(page(
        &state,
        &browser,
        StatusCode::OK,
        request,
        &email,
        None,
        false,
    ))
}

/// The error page of a sign-in request that cannot be continued.
pub fn expired_request() -> PageError {
    PageError::page(
        StatusCode::BAD_REQUEST,
        key("error-request-expired"),
        Text::Key("error-request-expired-text"),
    )
}

fn page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    request: Option<&str>,
    email: &str,
    error: Option<&str>,
    unverified: bool,
) -> Response {
    let passkeys_enabled = state.passkeys.is_some();
    let page = form_page(state, browser, status, |t, product, csrf| LoginPage {
        t,
        product,
        csrf,
        request,
        email,
        error,
        notice: None,
        signup_enabled: state.web.signup_enabled,
        unverified,
        passkeys_enabled,
        upstream: state
            .upstreams
            .all()
            .iter()
            .map(|u| (u.config.id.as_str(), u.config.label.as_str()))
            .collect(),
    });
    with_script(page, status, passkeys_enabled)
}

fn second_factor_page(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    challenge: &str,
    method: &str,
    passkey: bool,
    error: Option<&str>,
) -> Response {
    // The button only for a user with a passkey (the ceremony checks it is theirs).
    let passkeys_enabled = state.passkeys.is_some() && passkey;
    let page = form_page(state, browser, status, |t, product, csrf| {
        SecondFactorPage {
            t,
            product,
            csrf,
            challenge,
            method,
            error,
            passkeys_enabled,
        }
    });
    with_script(page, status, passkeys_enabled)
}

/// `POST /login`
pub async fn submit(
    State(state): State<AppState>,
    Posted {
        mut browser,
        params,
    }: Posted,
) -> Result<Response, PageError> {
    let provider = &state.provider;
    let request = params.get("request");
    let email = params.get("email").unwrap_or("");
    throttle::hit(
        provider,
        &[
            &Key::network(Feature::LoginPost, &Network::of(&browser.ip)),
            &Key::account(provider, Feature::LoginPost, Account::Email(email)),
        ],
    )
    .await
    .map_err(|throttled| PageError::throttled(&browser, &throttled, key("throttled-sign-in")))?;
    let password = Password::new(params.get("password").unwrap_or(""));
    let step = login::password_step(
        provider,
        email,
        &password,
        &browser.ip,
        browser.binding(),
        request,
    )
    .await;
    let refused = |status, message: &str, unverified| {
        PageError::rendered(page(
            &state,
            &browser,
            status,
            request,
            email,
            Some(&browser.tr.get(message)),
            unverified,
        ))
    };
    match step {
        Ok(FirstStep::Done(user)) => {
            browser
                .start_session(&state, &user.id, vec!["pwd".into()])
                .await?;
            Ok(see_other(&browser, &after_login(&browser, request)))
        }
        Ok(FirstStep::SecondFactor {
            handle,
            method,
            passkey,
        }) => Ok(second_factor_page(
            &state,
            &browser,
            StatusCode::OK,
            &handle,
            method.as_str(),
            passkey,
            None,
        )),
        Err(FirstStepError::Login(LoginError::InvalidCredentials)) => Err(refused(
            StatusCode::UNAUTHORIZED,
            key("login-wrong-credentials"),
            false,
        )),
        Err(FirstStepError::Login(LoginError::Disabled)) => {
            Err(refused(StatusCode::FORBIDDEN, key("login-disabled"), false))
        }
        Err(FirstStepError::EmailNotVerified) => Err(refused(
            StatusCode::FORBIDDEN,
            key("login-unverified"),
            true,
        )),
        Err(FirstStepError::Login(LoginError::Throttled(throttled))) => {
            let message = browser.tr.arg(
                "login-locked",
                "wait",
                browser.tr.wait(throttled.retry_after_secs),
            );
            let mut response = page(
                &state,
                &browser,
                StatusCode::TOO_MANY_REQUESTS,
                request,
                email,
                Some(&message),
                false,
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(throttled.retry_after_secs),
            );
            Err(PageError::rendered(response))
        }
        Err(FirstStepError::Otp(OtpError::Throttled(throttled))) => Err(PageError::throttled(
            &browser,
            &throttled,
            key("throttled-codes-requested"),
        )),
        Err(FirstStepError::Login(LoginError::Internal(e))) => Err(PageError::internal(e)),
        Err(FirstStepError::Otp(e)) => Err(PageError::internal(e)),
    }
}

/// `POST /login/second-factor`
pub async fn second_factor(
    State(state): State<AppState>,
    Posted {
        mut browser,
        params,
    }: Posted,
) -> Result<Response, PageError> {
    let provider = &state.provider;
    auth_core::otp::count_attempt(provider, &browser.ip)
        .await
        .map_err(|e| match e {
            OtpError::Throttled(throttled) => {
                PageError::throttled(&browser, &throttled, key("throttled-codes"))
            }
            other => PageError::internal(other),
        })?;
    let challenge = params.get("challenge").unwrap_or("");
    let method = params
        .get("method")
        .and_then(Method::parse)
        .unwrap_or(Method::Totp);
    // Presentation only: the form carries whether the page showed the passkey button.
    let passkey = params.get("passkey") == Some("yes");
    let refused = |status, message: &str| {
        PageError::rendered(second_factor_page(
            &state,
            &browser,
            status,
            challenge,
            method.as_str(),
            passkey,
            Some(message),
        ))
    };
    let input = match (params.get("recovery_code"), params.get("code")) {
        (Some(recovery), _) => SecondFactor::RecoveryCode(recovery.to_owned()),
        (None, Some(code)) => SecondFactor::Code(code.to_owned()),
        (None, None) => {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                &browser.tr.get("second-enter-code"),
            ));
        }
    };
    match login::second_step(provider, challenge, browser.binding(), input, &browser.ip).await {
        Ok(done) => {
            browser
                .start_session(&state, &done.user.id, done.amr)
                .await?;
            Ok(see_other(
                &browser,
                &after_login(&browser, done.request.as_deref()),
            ))
        }
        Err(SecondStepError::Expired) => Err(PageError::rendered(page(
            &state,
            &browser,
            StatusCode::UNAUTHORIZED,
            None,
            "",
            Some(&browser.tr.get("second-expired")),
            false,
        ))),
        Err(SecondStepError::Otp(OtpError::Internal(e))) => Err(PageError::internal(e)),
        Err(SecondStepError::Otp(OtpError::Throttled(throttled))) => Err(PageError::throttled(
            &browser,
            &throttled,
            key("throttled-wrong-codes"),
        )),
        Err(SecondStepError::Otp(e)) => {
            let message = super::refusals::otp_error(&browser.tr, &e);
            Err(refused(StatusCode::UNAUTHORIZED, &message))
        }
    }
}

/// An error message as a sentence.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
