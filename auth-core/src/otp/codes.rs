//! One-time codes by e-mail or text message: six digits, valid for minutes, a few attempts,
//! stored as a keyed hash. Used as a login second factor for users without TOTP and to confirm
//! sensitive changes (step-up).

use super::OtpError;
use super::sms::SmsMessage;
use crate::Provider;
use crate::mail::Mail;
use crate::secrets::random_bytes;
use crate::store::CodeCheck;
use crate::throttle::{self, Account, Feature, Key, Network};
use crate::users::User;

/// What a code is for; a code only works for its purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Second factor at login.
    Login,
    /// Confirming a sensitive change (e-mail address, disabling TOTP).
    StepUp,
}

impl CodePurpose {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::StepUp => "step_up",
        }
    }

    /// What the code is for, in English words ("sign in").
    pub fn words(self) -> &'static str {
        match self {
            Self::Login => "sign in",
            Self::StepUp => "confirm a change to your account",
        }
    }
}

/// Where a code is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The account's e-mail address.
    Email,
    /// The account's phone number, by text message.
    Sms,
}

/// Six uniformly random digits.
fn new_code() -> String {
    loop {
        let bytes = random_bytes::<4>();
        let n = u32::from_be_bytes(bytes);
        // Reject the top sliver so every code is equally likely.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

fn hash_key(user: &User, purpose: CodePurpose, code: &str) -> String {
    format!("otp:{}:{}:{code}", user.id, purpose.as_str())
}

/// Sends a new code (replacing any earlier one). Limited per account and per network of `ip`.
/// An unavailable channel is refused before anything changes, so an earlier code stays valid.
pub async fn send(
    provider: &Provider,
    user: &User,
    purpose: CodePurpose,
    channel: Channel,
    ip: &str,
) -> Result<(), OtpError> {
    let sms = match channel {
        Channel::Email => None,
        Channel::Sms => {
            let sender = provider.sms().ok_or_else(|| {
                OtpError::Unavailable("text messages are not configured on this server".into())
            })?;
            let to = user
                .phone_number
                .clone()
                .ok_or_else(|| OtpError::Unavailable("the account has no phone number".into()))?;
            Some((sender, to))
        }
    };
    throttle::hit(
        provider,
        &[
            &Key::network(Feature::CodeSent, &Network::of(ip)),
            &Key::account(provider, Feature::CodeSent, Account::User(&user.id)),
        ],
    )
    .await?;
    let code = new_code();
    let policy = &provider.settings().account;
    let now = provider.clock().unix();
    let ttl = i64::try_from(policy.one_time_code_ttl.as_secs()).unwrap_or(600);
    provider
        .store()
        .put_one_time_code(
            &user.id,
            purpose.as_str(),
            &provider.hasher().hash(&hash_key(user, purpose, &code)),
            now,
            now + ttl,
        )
        .await?;
    let valid_minutes = policy.one_time_code_ttl.as_secs().div_ceil(60);
    match sms {
        None => provider
            .send_mail(
                Mail::OneTimeCode {
                    to: user.email.as_str().to_owned(),
                    code,
                    purpose,
                    valid_minutes,
                },
                user.profile.locale.as_deref(),
            )
            .await
            .map_err(|e| OtpError::Internal(e.to_string())),
        Some((sender, to)) => {
            let text = format!(
                "Your code to {} is {code}. It is valid for {valid_minutes} minutes.",
                purpose.words()
            );
            sender.send(&SmsMessage { to, text }).await.map_err(|e| {
                tracing::warn!(error = %e, "the SMS webhook did not accept a message");
                OtpError::DeliveryFailed(
                    "the text message could not be sent; try again later or ask for an e-mail"
                        .into(),
                )
            })
        }
    }
}

/// Checks a code; a correct one is consumed, a wrong one spends an attempt.
pub async fn verify(
    provider: &Provider,
    user: &User,
    purpose: CodePurpose,
    code: &str,
) -> Result<(), OtpError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let hash = provider.hasher().hash(&hash_key(user, purpose, &code));
    let max = provider.settings().account.one_time_code_attempts;
    match provider
        .store()
        .check_one_time_code(
            &user.id,
            purpose.as_str(),
            &hash,
            provider.clock().unix(),
            max,
        )
        .await?
    {
        CodeCheck::Valid => Ok(()),
        CodeCheck::Wrong { attempts_left } => Err(OtpError::Wrong {
            attempts_left: Some(attempts_left),
        }),
        CodeCheck::Missing => Err(OtpError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
