//! E-mail: what the server sends, and how it gets there without ever blocking a request.
//!
//! Domain code asks for a [`Mail`] (a verification link, a reset link, a code). The
//! [`MailComposer`] turns it into subject, text and HTML (the server renders templates; a plain
//! composer is built in). The message is sealed under the KEK (it carries single-use links and
//! codes) and put in the `mail_outbox` table in the same request; the [`outbox`] worker delivers
//! it through a [`transport`] with retries and backoff, so a crash or an SMTP outage loses no mail.

pub mod outbox;
pub mod transport;

use crate::Provider;
use crate::secrets::new_id;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A mail the server sends.
#[derive(Clone)]
pub enum Mail {
    /// Confirm the address of a new account (or a changed address).
    VerifyEmail {
        /// Recipient.
        to: String,
        /// The user's name, if known.
        name: String,
        /// The single-use token of the link.
        token: String,
        /// Minutes the link is valid.
        valid_minutes: u64,
    },
    /// Someone tried to sign up with an address that has an account already.
    SignupWithExistingAddress {
        /// Recipient (the account's address).
        to: String,
    },
    /// A password reset link.
    ResetPassword {
        /// Recipient.
        to: String,
        /// The single-use token of the link.
        token: String,
        /// Minutes the link is valid.
        valid_minutes: u64,
    },
    /// The password was changed.
    PasswordChanged {
        /// Recipient.
        to: String,
    },
    /// The account's address was changed: sent to the old address, so its owner hears of a
    /// change they did not make.
    EmailChanged {
        /// Recipient (the address the account had before).
        to: String,
    },
    /// A one-time code.
    OneTimeCode {
        /// Recipient.
        to: String,
        /// The code.
        code: String,
        /// What it is for.
        purpose: crate::otp::codes::CodePurpose,
        /// Minutes the code is valid.
        valid_minutes: u64,
    },
}

impl Mail {
    /// The recipient.
    pub fn recipient(&self) -> &str {
        match self {
            Self::VerifyEmail { to, .. }
            | Self::SignupWithExistingAddress { to }
            | Self::ResetPassword { to, .. }
            | Self::PasswordChanged { to }
            | Self::EmailChanged { to }
            | Self::OneTimeCode { to, .. } => to,
        }
    }

    /// Whether the mail answers a request anyone can make about an address (sign-up, password
    /// reset, verification link): it goes out for an address with an account and not for one
    /// without (or another kind goes out), so it is not counted in metrics, which would tell
    /// the two apart where the answer does not.
    pub fn answers_anyone(&self) -> bool {
        matches!(
            self,
            Self::VerifyEmail { .. }
                | Self::SignupWithExistingAddress { .. }
                | Self::ResetPassword { .. }
        )
    }

    /// A name for metrics and logs (never the content).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VerifyEmail { .. } => "verify_email",
            Self::SignupWithExistingAddress { .. } => "signup_existing",
            Self::ResetPassword { .. } => "reset_password",
            Self::PasswordChanged { .. } => "password_changed",
            Self::EmailChanged { .. } => "email_changed",
            Self::OneTimeCode { .. } => "one_time_code",
        }
    }
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mail::{}(..)", self.kind())
    }
}

/// A composed message, ready for a transport.
#[derive(Clone, Serialize, Deserialize)]
pub struct Message {
    /// Recipient address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// What the outbox holds (sealed): the message, and whether its delivery stays out of metrics.
#[derive(Serialize, Deserialize)]
pub(crate) struct Queued {
    #[serde(flatten)]
    pub(crate) message: Message,
    /// See [`Mail::answers_anyone`]; absent in mail queued before it existed.
    #[serde(default)]
    pub(crate) uncounted: bool,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Turns a [`Mail`] into a [`Message`].
pub trait MailComposer: Send + Sync {
    /// Composes the message, in `language` (the recipient's setting, a BCP 47 tag) where the
    /// composer has it.
    fn compose(&self, mail: &Mail, language: Option<&str>) -> Result<Message, String>;
}

/// A composer with plain built-in texts, for embedders without templates. Links point at the
/// server's standard paths under the issuer.
#[derive(Debug, Clone)]
pub struct PlainComposer {
    /// The issuer URL, base of the links.
    pub issuer: String,
}

impl MailComposer for PlainComposer {
    fn compose(&self, mail: &Mail, _language: Option<&str>) -> Result<Message, String> {
        let (subject, text) = match mail {
            Mail::VerifyEmail {
                token,
                valid_minutes,
                ..
            } => (
                "Confirm your e-mail address".to_owned(),
                format!(
                    "Open this link within {valid_minutes} minutes to confirm your address:\n{}/verify-email?token={token}\n",
                    self.issuer
                ),
            ),
            Mail::SignupWithExistingAddress { .. } => (
                "Your account".to_owned(),
                format!(
                    "Someone tried to create an account with this address, which already has one. If it was you, sign in or reset your password at {}/forgot-password.\n",
                    self.issuer
                ),
            ),
            Mail::ResetPassword {
                token,
                valid_minutes,
                ..
            } => (
                "Reset your password".to_owned(),
                format!(
                    "Open this link within {valid_minutes} minutes to choose a new password:\n{}/reset-password?token={token}\nIf you did not ask for this, ignore this message.\n",
                    self.issuer
                ),
            ),
            Mail::PasswordChanged { .. } => (
                "Your password was changed".to_owned(),
                "Your password was changed. If this was not you, reset your password at once.\n"
                    .to_owned(),
            ),
            Mail::EmailChanged { .. } => (
                "Your e-mail address was changed".to_owned(),
                "The e-mail address of your account was changed, and mail now goes to the new address. If this was not you, contact the operator of this service at once.\n"
                    .to_owned(),
            ),
            Mail::OneTimeCode {
                code,
                purpose,
                valid_minutes,
                ..
            } => (
                format!("Your code: {code}"),
                format!(
                    "Your code to {} is {code}. It is valid for {valid_minutes} minutes.\n",
                    purpose.words()
                ),
            ),
        };
        Ok(Message {
            to: mail.recipient().to_owned(),
            html: format!(
                "<pre>{}</pre>",
                text.replace('&', "&amp;").replace('<', "&lt;")
            ),
            subject,
            text,
        })
    }
}

/// Why a mail could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The composer failed.
    #[error("cannot compose the mail: {0}")]
    Compose(String),
    /// Sealing or storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Provider {
    /// Composes `mail` in `language` (the recipient's setting: [`crate::users::Profile::locale`])
    /// and queues it for delivery. Returns once it is stored: delivery happens in the background.
    pub async fn send_mail(&self, mail: Mail, language: Option<&str>) -> Result<(), MailError> {
        let message = self
            .mail_composer()
            .compose(&mail, language)
            .map_err(MailError::Compose)?;
        let id = new_id();
        let queued = Queued {
            message,
            uncounted: mail.answers_anyone(),
        };
        let json = serde_json::to_vec(&queued).map_err(|e| MailError::Compose(e.to_string()))?;
        let sealed = self
            .kek()
            .seal(id.as_bytes(), &json)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store()
            .enqueue_mail(&id, &sealed, self.clock().unix())
            .await?;
        if !mail.answers_anyone() {
            metrics::counter!("auth_mail_queued_total", "kind" => mail.kind()).increment(1);
        }
        self.mail_notify().notify_one();
        Ok(())
    }
}
