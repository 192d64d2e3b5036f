//! Second factors and one-time codes.
//!
//! - [`totp`]: authenticator-app codes (RFC 6238), each time step accepted once.
//! - [`recovery`]: single-use recovery codes, shown once, stored hashed.
//! - [`codes`]: short numeric codes sent by e-mail (or text message), for login and for
//!   confirming sensitive changes; few attempts, short life, stored hashed.
//! - [`sms`]: the pluggable text-message sender.
//!
//! Every check of a second factor (at login and for step-ups) runs under [`attempt`]: wrong
//! codes count against the account, whatever challenge, session or address they come from,
//! and every attempt counts against the network.

pub mod codes;
pub mod recovery;
pub mod sms;
pub mod totp;

use crate::Provider;
use crate::store::StoreError;
use crate::throttle::{self, Account, Feature, Key, Network, Throttled};
use crate::users::User;

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

/// Counts one second-factor attempt from the network of `ip`: every attempt, right or wrong,
/// before anything is looked up (so guessed challenge handles count too).
pub async fn count_attempt(provider: &Provider, ip: &str) -> Result<(), OtpError> {
    throttle::hit(
        provider,
        &[&Key::network(Feature::SecondFactor, &Network::of(ip))],
    )
    .await?;
    Ok(())
}

/// Runs `check`, a check of one of `user`'s second factors, under the account's failure
/// counter: refused once the account has had too many wrong codes in the window (from any
/// address, in any challenge: a correct password does not reset it), and a wrong code counts.
pub async fn guarded<T>(
    provider: &Provider,
    user: &User,
    check: impl Future<Output = Result<T, OtpError>>,
) -> Result<T, OtpError> {
    let key = Key::account(provider, Feature::SecondFactor, Account::User(&user.id));
    throttle::check(provider, &key).await?;
    let result = check.await;
    if matches!(result, Err(OtpError::Wrong { .. })) {
        throttle::record(provider, &[&key]).await?;
    }
    result
}

/// [`count_attempt`] and [`guarded`]: a step-up code of a signed-in user.
pub async fn attempt<T>(
    provider: &Provider,
    user: &User,
    ip: &str,
    check: impl Future<Output = Result<T, OtpError>>,
) -> Result<T, OtpError> {
    count_attempt(provider, ip).await?;
    guarded(provider, user, check).await
}
