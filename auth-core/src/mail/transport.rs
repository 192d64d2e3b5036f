//! Delivering a composed message: SMTP (production) or a folder of `.eml` files (the embedded
//! default, so a new installation shows its mail without any server).

use super::Message;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// How SMTP connections are secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain TCP (only for a relay on the same host or network).
    None,
    /// STARTTLS, required.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// SMTP settings.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Server host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// User name and password.
    pub credentials: Option<(String, String)>,
    /// Connection and command timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(user, _)| user),
            )
            .finish()
    }
}

/// Where mail goes.
#[derive(Clone)]
pub enum MailTransport {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// A folder: one `.eml` file per message.
    Folder {
        /// Writes `<id>.eml` files.
        transport: AsyncFileTransport<Tokio1Executor>,
        /// The folder, to make each file private once written.
        path: PathBuf,
    },
}

/// Why a transport could not be set up or a message not sent.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Settings are unusable.
    #[error("mail settings are invalid: {0}")]
    Settings(String),
    /// The message could not be built (bad address).
    #[error("the message cannot be built: {0}")]
    Message(String),
    /// The server refused or could not be reached.
    #[error("sending failed: {0}")]
    Send(String),
}

impl MailTransport {
    /// An SMTP transport.
    pub fn smtp(settings: &SmtpSettings) -> Result<Self, TransportError> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| TransportError::Settings(e.to_string()))
        };
        let security = match settings.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls(&settings.host)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls(&settings.host)?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(security)
                .timeout(Some(settings.timeout));
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self::Smtp(builder.build()))
    }

    /// A folder transport (created if missing).
    pub fn folder(path: PathBuf) -> Result<Self, TransportError> {
        crate::files::create_private_folder(&path).map_err(|e| {
            TransportError::Settings(format!(
                "cannot create the mail folder {}: {e}",
                path.display()
            ))
        })?;
        Ok(Self::Folder {
            transport: AsyncFileTransport::new(path.clone()),
            path,
        })
    }

    /// Sends one message from `from`.
    pub async fn send(&self, from: &Mailbox, message: &Message) -> Result<(), TransportError> {
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| TransportError::Message(e.to_string()))?;
        let email = lettre::Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&message.subject)
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| TransportError::Message(e.to_string()))?;
        match self {
            Self::Smtp(smtp) => smtp
                .send(email)
                .await
                .map(|_| ())
                .map_err(|e| TransportError::Send(e.to_string())),
            Self::Folder { transport, path } => {
                let id = transport
                    .send(email)
                    .await
                    .map_err(|e| TransportError::Send(e.to_string()))?;
                // A mail may hold a reset link: no other user of the machine may read it.
                crate::files::make_private(&path.join(format!("{id}.eml")))
                    .map_err(|e| TransportError::Send(e.to_string()))
            }
        }
    }
}
