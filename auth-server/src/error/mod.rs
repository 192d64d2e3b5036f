//! How a refusal reaches each kind of client: one error type per kind, each domain error mapped
//! to it once, so a handler only says what went wrong and returns it with `?`.
//!
//! - [`OAuthErrorResponse`] ([`protocol`]): the OAuth endpoints (`/token`, `/introspect`,
//!   `/revoke`, `/register`). Exactly the RFC error codes, with `WWW-Authenticate` and
//!   `Retry-After` where they apply. Bearer-token refusals of protected resources (RFC 6750)
//!   are [`crate::bearer::refuse`].
//! - [`ApiError`] ([`json`]): the JSON APIs under `/api` and `/admin`:
//!   `{"error", "error_description"}` with a status saying whose problem it is.
//! - [`PageError`] ([`page`]): the hosted pages. An error page, a 429 notice, a redirect, or
//!   the form again with the error in place.
//!
//! In every kind a failure of the server (storage, hashing, templates) says "internal error"
//! and nothing more; its cause goes to the log.

pub mod json;
pub mod page;
pub mod protocol;

pub use json::{ApiError, ApiErrorBody};
pub use page::PageError;
pub use protocol::OAuthErrorResponse;

use axum::http::{HeaderValue, header};

/// `Cache-Control: no-store` and `Pragma: no-cache`, required on token responses
/// (RFC 6749 section 5.1) and used on every response that carries a token or its status.
pub fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}
