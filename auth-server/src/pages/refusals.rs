//! The domain errors a form shows in place (a weak password, a wrong code), in the page's
//! language. An error without a message of its own (a profile field's details, a role) is
//! shown as the domain words it, as a sentence.

use super::login::sentence;
use crate::i18n::{Tr, key};
use auth_core::account::{AccountError, RECENT_AUTHENTICATION_SECS};
use auth_core::otp::OtpError;
use auth_core::users::UserError;
use auth_core::users::password::{MAX_PASSWORD_CHARS, PasswordError};

/// A refused sign-up, password or profile change, as a sentence in `t`'s language.
pub fn user_error(t: &Tr, error: &UserError) -> String {
    match error {
        UserError::InvalidEmail(email) => t.arg("refused-invalid-email", "email", email),
        UserError::EmailTaken => t.get("refused-email-taken"),
        UserError::Password(password) => password_error(t, password),
        other => sentence(&other.to_string()),
    }
}

fn password_error(t: &Tr, error: &PasswordError) -> String {
    match error {
        PasswordError::TooShort(min) => t.arg("refused-password-too-short", "min", *min),
        PasswordError::TooLong => t.arg("refused-password-too-long", "max", MAX_PASSWORD_CHARS),
        PasswordError::Common => t.get(key("refused-password-common")),
        PasswordError::IsEmail => t.get(key("refused-password-is-email")),
    }
}

/// A refused one-time code, as a sentence.
pub fn otp_error(t: &Tr, error: &OtpError) -> String {
    match error {
        OtpError::Wrong {
            attempts_left: Some(left),
        } => t.arg("second-wrong-code-left", "left", *left),
        OtpError::Wrong {
            attempts_left: None,
        } => t.get("second-wrong-code"),
        OtpError::Replayed => t.get("refused-code-replayed"),
        OtpError::Missing => t.get("refused-code-missing"),
        OtpError::AlreadyEnrolled => t.get("refused-totp-already-enrolled"),
        other => sentence(&other.to_string()),
    }
}

/// A refused account change, as a sentence.
pub fn account_error(t: &Tr, error: &AccountError) -> String {
    match error {
        AccountError::WrongPassword => t.get("refused-wrong-password"),
        AccountError::ReauthenticationRequired => t.arg(
            "refused-reauthenticate",
            "minutes",
            RECENT_AUTHENTICATION_SECS / 60,
        ),
        AccountError::StepUpRequired(_) => t.get("refused-step-up"),
        AccountError::Otp(otp) => otp_error(t, otp),
        AccountError::User(user) => user_error(t, user),
        other => sentence(&other.to_string()),
    }
}
