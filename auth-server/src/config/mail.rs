//! `[mail]`: the sender, the transport (a folder of `.eml` files or SMTP) and the outbox poll.

use super::secret::Secret;
use anyhow::{Context, bail};
use auth_core::mail::transport::{SmtpSecurity, SmtpSettings};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// `[mail]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Sender address, e.g. `Example <no-reply@example.com>`.
    pub from: String,
    /// Where mail goes.
    pub transport: Transport,
    /// Folder of the `folder` transport.
    pub folder: PathBuf,
    /// SMTP host.
    pub smtp_host: String,
    /// SMTP port.
    pub smtp_port: u16,
    /// How SMTP connections are secured.
    #[serde(with = "SecurityName")]
    pub smtp_security: SmtpSecurity,
    /// SMTP user name.
    pub smtp_username: Option<String>,
    /// SMTP password.
    pub smtp_password: Option<Secret>,
    /// Seconds between outbox polls (retries and mail queued by other replicas).
    pub poll_interval_secs: u64,
}

/// `mail.transport`, in the order an error lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Write `.eml` files to `mail.folder`.
    Folder,
    /// Send to `mail.smtp_host`.
    Smtp,
}

/// The names `mail.smtp_security` accepts, in the order an error lists them.
#[derive(Serialize, Deserialize)]
#[serde(remote = "SmtpSecurity", rename_all = "lowercase")]
enum SecurityName {
    /// STARTTLS, required.
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// Plain TCP.
    None,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            from: "Account <no-reply@localhost>".into(),
            transport: Transport::Folder,
            folder: PathBuf::from("data/mail"),
            smtp_host: "localhost".into(),
            smtp_port: 587,
            smtp_security: SmtpSecurity::StartTls,
            smtp_username: None,
            smtp_password: None,
            poll_interval_secs: 5,
        }
    }
}

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum MailTransportSetting {
    /// `.eml` files in a folder.
    Folder(PathBuf),
    /// An SMTP server.
    Smtp(SmtpSettings),
}

/// Validated mail settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Sender.
    pub from: lettre::message::Mailbox,
    /// Transport.
    pub transport: MailTransportSetting,
    /// Outbox poll interval.
    pub poll_interval: Duration,
}

impl MailConfig {
    /// The sender, transport and poll interval, checked.
    pub(super) fn settings(&self) -> anyhow::Result<MailSettings> {
        let from: lettre::message::Mailbox = self.from.parse().with_context(|| {
            format!(
                "mail.from `{}` is not an address such as `Example <no-reply@example.com>`",
                self.from
            )
        })?;
        let transport = match self.transport {
            Transport::Folder => MailTransportSetting::Folder(self.folder.clone()),
            Transport::Smtp => {
                let credentials = match (&self.smtp_username, &self.smtp_password) {
                    (Some(user), Some(password)) => {
                        Some((user.clone(), password.expose().to_owned()))
                    }
                    (None, None) => None,
                    _ => bail!("mail.smtp_username and mail.smtp_password go together"),
                };
                MailTransportSetting::Smtp(SmtpSettings {
                    host: self.smtp_host.clone(),
                    port: self.smtp_port,
                    security: self.smtp_security,
                    credentials,
                    timeout: Duration::from_secs(20),
                })
            }
        };
        if self.poll_interval_secs == 0 {
            bail!("mail.poll_interval_secs must be at least 1");
        }
        Ok(MailSettings {
            from,
            transport,
            poll_interval: Duration::from_secs(self.poll_interval_secs),
        })
    }
}
