//! The service's own client credentials.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A client id and secret, as registered with `auth-server client create`.
///
/// `Debug` prints the id only.
///
/// ```
/// use auth_client::ClientCredentials;
///
/// let credentials = ClientCredentials::new("tickets", "cs_s3cret");
/// assert_eq!(format!("{credentials:?}"), r#"ClientCredentials { id: "tickets", secret: "[redacted]" }"#);
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    id: String,
    secret: SecretString,
}

impl ClientCredentials {
    /// Credentials of client `id`.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: SecretString::from(secret.into()),
        }
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `Authorization` header value of `client_secret_basic`.
    ///
    /// [RFC 6749 section 2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1): the id
    /// and secret are form-urlencoded before they are joined and base64-encoded.
    pub(crate) fn basic_authorization(&self) -> String {
        let id: String = form_urlencoded::byte_serialize(self.id.as_bytes()).collect();
        let secret: String =
            form_urlencoded::byte_serialize(self.secret.expose_secret().as_bytes()).collect();
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}
