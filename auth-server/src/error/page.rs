//! The errors of the hosted pages: one type, [`PageError`], that page handlers and their
//! extractors return with `?`.
//!
//! A page error is an error page (a title and a message), a 429 notice with `Retry-After`, a
//! 500 page that logs its cause, a redirect (a page that needs a session sends the browser to
//! `/login`), or the page's own form again with the error in place, which the handler renders.
//!
//! Rendering a page needs the deployment's product name and the browser's language, which
//! `IntoResponse` cannot reach: a page error that needs them answers with its status and itself
//! in the response's extensions, and [`render_pending`], a layer of the router, renders it with
//! the state in the language of the request. Nothing else puts a [`Pending`] there. Titles and
//! messages are message keys ([`Text`]); details from the protocol layer, written for
//! developers, stay as they are ([`Text::Plain`]).

use crate::i18n::{Text, Tr};
use crate::pages::templates::{ErrorPage, NoticePage};
use crate::pages::{Browser, render, see_other};
use crate::state::AppState;
use auth_core::store::StoreError;
use auth_core::throttle::Throttled;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

/// An error answer of a hosted page.
#[derive(Debug)]
pub struct PageError(Kind);

#[derive(Debug)]
enum Kind {
    /// Rendered by [`render_pending`].
    Pending(Pending),
    /// Complete: a redirect, or a page the handler rendered.
    Ready(Response),
}

/// A page error waiting for the state to be rendered.
#[derive(Debug, Clone)]
pub struct Pending(Page);

#[derive(Debug, Clone)]
enum Page {
    Message {
        status: StatusCode,
        title: &'static str,
        message: Text,
    },
    Throttled {
        throttled: Throttled,
        what: &'static str,
        jar: CookieJar,
    },
    Internal,
}

impl PageError {
    /// The error page: `title` (a message key) and `message`, nothing else on it.
    pub fn page(status: StatusCode, title: &'static str, message: Text) -> Self {
        Self(Kind::Pending(Pending(Page::Message {
            status,
            title,
            message,
        })))
    }

    /// 400 "Invalid request": the query of a page cannot be read (`message` says why, for
    /// developers).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::page(
            StatusCode::BAD_REQUEST,
            crate::i18n::key("error-invalid-request"),
            Text::Plain(message.into()),
        )
    }

    /// 500: a page that says something went wrong; `cause` is logged, never shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self(Kind::Pending(Pending(Page::Internal)))
    }

    /// 429: the message `what` (a key, with `$wait`: "Too many attempts. Try again in
    /// { $wait }."), with `Retry-After` and the browser's cookies.
    pub fn throttled(browser: &Browser, throttled: &Throttled, what: &'static str) -> Self {
        Self(Kind::Pending(Pending(Page::Throttled {
            throttled: throttled.clone(),
            what,
            jar: browser.jar(),
        })))
    }

    /// `303 See Other` to `location`, with the browser's cookies.
    pub fn redirect(browser: &Browser, location: &str) -> Self {
        Self(Kind::Ready(see_other(browser, location)))
    }

    /// A page its handler rendered: its own form again with the error in place, or a notice
    /// with a way on.
    pub fn rendered(page: Response) -> Self {
        Self(Kind::Ready(page))
    }

    /// The response, rendered with `state` in the language of `tr` (for code that holds the
    /// state, such as a middleware; handlers return the error and [`render_pending`] renders it).
    pub fn render(self, state: &AppState, tr: &Tr) -> Response {
        match self.0 {
            Kind::Pending(pending) => pending.render(state, tr),
            Kind::Ready(response) => response,
        }
    }
}

impl Pending {
    fn render(self, state: &AppState, t: &Tr) -> Response {
        let product = &state.web.product_name;
        match self.0 {
            Page::Message {
                status,
                title,
                message,
            } => render(
                state,
                status,
                &ErrorPage {
                    t,
                    product,
                    title: &t.get(title),
                    message: &t.text(&message),
                },
            ),
            Page::Internal => render(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                &ErrorPage {
                    t,
                    product,
                    title: &t.get("error-internal"),
                    message: &t.get("error-internal-text"),
                },
            ),
            Page::Throttled {
                throttled,
                what,
                jar,
            } => {
                let message = t.arg(what, "wait", t.wait(throttled.retry_after_secs));
                let page = NoticePage {
                    t,
                    product,
                    title: &t.get("error-please-wait"),
                    message: &message,
                    link: None,
                };
                let mut response =
                    (jar, render(state, StatusCode::TOO_MANY_REQUESTS, &page)).into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(throttled.retry_after_secs),
                );
                response
            }
        }
    }

    fn status(&self) -> StatusCode {
        match &self.0 {
            Page::Message { status, .. } => *status,
            Page::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Page::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.0 {
            Kind::Pending(pending) => {
                let mut response = pending.status().into_response();
                response.extensions_mut().insert(pending);
                response
            }
            Kind::Ready(response) => response,
        }
    }
}

/// Renders the page error a handler answered with, if any, in the language of the request
/// (the router's layer: see the module's header).
pub async fn render_pending(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = crate::pages::LanguageHeaders::of(request.headers());
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<Pending>() {
        Some(pending) => {
            let tr = crate::pages::language(&state, &headers).await;
            pending.render(&state, &tr)
        }
        None => response,
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}
