//! Second factors and one-time codes.
//!
//! - [`totp`]: authenticator-app codes (RFC 6238), each time step accepted once.
//! - [`recovery`]: single-use recovery codes, shown once, stored hashed.
//! - [`codes`]: short numeric codes sent by e-mail (or text message), for login and for
//!   confirming sensitive changes; few attempts, short life, stored hashed.
//! - [`sms`]: the pluggable text-message sender.

pub mod codes;
pub mod recovery;
pub mod sms;
pub mod totp;

use crate::store::StoreError;
use crate::throttle::Throttled;

/// Why a code was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    /// The code is wrong.
    #[error("the code is not correct")]
    Wrong {
        /// Tries left for this code, when counted.
        attempts_left: Option<i64>,
    },
    /// The code was already used (TOTP replay).
    #[error("this code was already used; wait for the next one")]
    Replayed,
    /// No live code: never sent, expired, used up, or out of attempts.
    #[error("there is no valid code; request a new one")]
    Missing,
    /// No second factor of this kind is set up.
    #[error("{0}")]
    NotEnrolled(&'static str),
    /// Already set up.
    #[error("an authenticator app is already set up; disable it first")]
    AlreadyEnrolled,
    /// Too many requests.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// The channel cannot be used (no phone number, no SMS sender).
    #[error("{0}")]
    Unavailable(String),
    /// The channel is set up but delivery failed (the SMS webhook did not accept the message).
    #[error("{0}")]
    DeliveryFailed(String),
    /// Storage or crypto failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for OtpError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}
