//! What a sibling service links to trust the authorization server.
//!
//! - [`Verifier`]: verifies access tokens offline. RS256, ES256 or EdDSA JWTs of the RFC 9068 profile,
//!   checked against the issuer's published keys (cached, refreshed on an unknown `kid` with a
//!   floor between fetches), with optional RFC 7662 introspection to see revocations at once.
//! - `auth_client::axum` (feature `axum`): the `Authenticated` extractor and `Require` route
//!   layers, answering per RFC 6750 section 3.
//! - [`TokenSource`]: this service's client-credentials token, cached, renewed before expiry
//!   by a single request, retried with backoff.
//! - [`ExchangeSource`]: tokens to call another service on a user's behalf (RFC 8693 token
//!   exchange), cached per user token, target and scope.
//! - [`UserDirectory`]: whether a user id or e-mail address is registered, and user lookups,
//!   cached; an error (never a silent "no") when the server cannot answer.
//! - [`webhooks`]: verifies the server's Standard Webhooks event deliveries.
//! - [`LogoutVerifier`]: verifies OpenID Connect Back-Channel Logout tokens; the axum
//!   integration's `backchannel_logout` endpoint ends the service's sessions with it.
//!
//! The crate depends on `auth-proto` for the wire types, on `auth-jose` for the JWS checks and
//! the keys, and on nothing of the server.
//!
//! # Verifying a token
//!
//! ```no_run
//! # async fn run() -> Result<(), auth_client::VerifyError> {
//! use auth_client::{Verifier, VerifyError};
//!
//! // Once, at start-up: reads the discovery document and the key set.
//! let verifier = Verifier::new("https://id.example.com", "https://id.example.com").await?;
//!
//! match verifier.verify("eyJ...").await {
//!     Ok(claims) if claims.has_scope("tickets:read") => { /* serve */ }
//!     Ok(_) => { /* 403 */ }
//!     Err(VerifyError::Expired { exp }) => { /* 401, expired at `exp` */ }
//!     Err(error) if error.is_token_error() => { /* 401 */ }
//!     Err(error) => { /* 503: the server could not be asked */ }
//! }
//! # Ok(()) }
//! ```
//!
//! # Time
//!
//! Every builder takes a [`Clock`]; [`SystemClock`] is the default and the only reader of the
//! wall clock, [`ManualClock`] lets tests move time.
//!
//! # Layout
//!
//! - `verify`: [`Verifier`], [`Claims`], [`VerifyError`]; the JWKS cache and introspection.
//! - `token_source`, `token_exchange`, `directory`, [`webhooks`], `axum` (feature `axum`).
//! - `discovery`, `transport`: provider metadata and the HTTP errors every call shares.
//! - `clock`, `credentials`: time and the service's client secret.

#[cfg(feature = "axum")]
pub mod axum;
mod clock;
mod credentials;
mod directory;
mod discovery;
mod dpop;
mod token_exchange;
mod token_source;
mod transport;
mod verify;
pub mod webhooks;

pub use auth_jose::SigningAlgorithm;
pub use auth_proto;
pub use auth_proto::claims::Actor;
pub use clock::{Clock, ManualClock, SystemClock};
pub use credentials::ClientCredentials;
pub use directory::{DirectoryError, Registration, UserDirectory, UserDirectoryBuilder, UserInfo};
pub use discovery::DiscoveryError;
pub use dpop::{DpopKey, DpopKeyError};
pub use reqwest;
pub use token_exchange::{ExchangeSource, ExchangeSourceBuilder, ExchangeTarget};
pub use token_source::{AccessToken, Authorization, TokenError, TokenSource, TokenSourceBuilder};
pub use transport::FetchError;
pub use verify::{
    Claims, LogoutToken, LogoutTokenError, LogoutVerifier, Verifier, VerifierBuilder, VerifyError,
};
// For the fuzz targets in `fuzz/` only; not part of the supported API.
#[doc(hidden)]
pub use verify::fuzzing;

/// The README's examples, compiled with the doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
