//! The domain errors a form shows in place (a weak password, a wrong code), in the page's
//! language. An error without a message of its own (a profile field's details, a role) is
//! shown as the domain words it, as a sentence.

use super::login::sentence;
use crate::i18n::{Text, Tr, key};
use auth_core::account::{AccountError, RECENT_AUTHENTICATION_SECS};
use auth_core::otp::OtpError;
use auth_core::passkeys::{NAME_MAX_CHARS, PasskeyError};
use auth_core::upstream::UpstreamError;
use auth_core::upstream::flow::UnlinkError;
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

/// A refused passkey ceremony or change, as a sentence.
pub fn passkey_error(t: &Tr, error: &PasskeyError) -> String {
    match error {
        PasskeyError::Expired => t.get("passkeys-error-expired"),
        PasskeyError::Refused => t.get("passkeys-error-refused"),
        PasskeyError::Cloned => t.get("passkeys-error-cloned"),
        PasskeyError::Duplicate => t.get("passkeys-error-duplicate"),
        PasskeyError::InvalidName => t.arg("passkeys-error-invalid-name", "max", NAME_MAX_CHARS),
        PasskeyError::NotFound => t.get("passkeys-error-not-found"),
        PasskeyError::LastMethod => t.get("passkeys-error-last-method"),
        PasskeyError::EmailNotVerified => t.get("login-unverified"),
        PasskeyError::Throttled(throttled) => t.arg(
            "throttled-attempts",
            "wait",
            t.wait(throttled.retry_after_secs),
        ),
        PasskeyError::Internal(_) => t.get("error-internal-text"),
    }
}

/// A refused sign-in through an upstream provider, as the message of an error page.
pub fn upstream_error(error: &UpstreamError) -> Text {
    Text::Key(match error {
        UpstreamError::UnknownProvider => key("upstream-error-unknown-provider"),
        UpstreamError::Refused(code) => {
            return Text::Arg(key("upstream-error-refused"), "code", code.clone());
        }
        UpstreamError::State => key("upstream-error-state"),
        UpstreamError::Unavailable(_) => key("upstream-error-unavailable"),
        UpstreamError::IdToken(_) => key("upstream-error-id-token"),
        UpstreamError::NoEmail => key("upstream-error-no-email"),
        // One answer whether or not an account here has the address: an anonymous caller with
        // an unverified upstream address must not learn which addresses have accounts.
        UpstreamError::UnverifiedEmailTaken | UpstreamError::UnverifiedEmail => {
            key("upstream-error-unverified-email")
        }
        UpstreamError::SignUpClosed => key("upstream-error-sign-up-closed"),
        UpstreamError::Disabled => key("upstream-error-disabled"),
        UpstreamError::LinkedElsewhere => key("upstream-error-linked-elsewhere"),
        UpstreamError::Internal(_) => key("error-internal-text"),
    })
}

/// A refused unlink of an upstream provider: its message key.
pub fn unlink_error(error: &UnlinkError) -> &'static str {
    match error {
        UnlinkError::NotLinked => key("upstream-error-not-linked"),
        UnlinkError::LastMethod => key("upstream-error-last-method"),
        UnlinkError::Internal(_) => key("error-internal-text"),
    }
}
