//! Client authentication, [RFC 6749 section 2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3).
//!
//! Takes the raw `Authorization` header value and the request parameters, so it knows nothing
//! of HTTP frameworks. Secrets are compared through their keyed hash in constant time.

use super::{AuthMethod, Client, ClientId};
use crate::Provider;
use crate::error::OAuthError;
use crate::params::Params;
use crate::throttle::{self, Account, Feature, Key, Network};
use auth_proto::error::ErrorCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;
use secrecy::SecretString;
use std::sync::Arc;

/// The credentials a request presented.
pub enum Credentials {
    /// `Authorization: Basic` (client_secret_basic).
    Basic {
        /// Client id.
        id: String,
        /// Client secret.
        secret: SecretString,
    },
    /// `client_id` and `client_secret` in the body (client_secret_post).
    Post {
        /// Client id.
        id: String,
        /// Client secret.
        secret: SecretString,
    },
    /// A JWT signed with one of the client's keys (private_key_jwt, RFC 7523 section 2.2).
    Assertion {
        /// Client id: `client_id` in the body, or the assertion's `sub`.
        id: String,
        /// The compact JWS.
        assertion: String,
    },
    /// Only `client_id`: a public client.
    IdOnly {
        /// Client id.
        id: String,
    },
    /// Nothing identifies the client.
    Missing,
}

impl Credentials {
    /// Reads the credentials of a request.
    pub fn extract(authorization: Option<&str>, params: &Params) -> Result<Self, OAuthError> {
        let body_id = params.get("client_id");
        let body_secret = params.get("client_secret");
        let assertion_type = params.get("client_assertion_type");
        let assertion = params.get("client_assertion");
        if assertion_type.is_some() || assertion.is_some() {
            // RFC 6749 section 2.3: the client MUST NOT use more than one authentication method.
            if authorization.is_some() || body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "the client authenticated twice: use a client assertion or a client secret, not both",
                ));
            }
            return Self::assertion(body_id, assertion_type, assertion);
        }
        if let Some(header) = authorization {
            let (id, secret) = parse_basic(header)?;
            // RFC 6749 section 2.3: the client MUST NOT use more than one authentication method.
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "the client authenticated twice: use either HTTP Basic or client_secret in the body, not both",
                ));
            }
            if body_id.is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the client id in the Authorization header",
                ));
            }
            return Ok(Self::Basic { id, secret });
        }
        Ok(match (body_id, body_secret) {
            (Some(id), Some(secret)) => Self::Post {
                id: id.to_owned(),
                secret: SecretString::from(secret),
            },
            (Some(id), None) => Self::IdOnly { id: id.to_owned() },
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "client_secret was sent without client_id",
                ));
            }
            (None, None) => Self::Missing,
        })
    }

    /// RFC 7521 section 4.2: `client_assertion_type` and `client_assertion` together; the
    /// client id is `client_id` when sent, else the assertion's `sub` (RFC 7523 section 3,
    /// item 2: the subject is the client id), which the verification then checks.
    fn assertion(
        body_id: Option<&str>,
        assertion_type: Option<&str>,
        assertion: Option<&str>,
    ) -> Result<Self, OAuthError> {
        let (Some(assertion_type), Some(assertion)) = (assertion_type, assertion) else {
            return Err(OAuthError::invalid_request(
                "client_assertion_type and client_assertion go together",
            ));
        };
        if assertion_type != super::assertion::ASSERTION_TYPE {
            return Err(OAuthError::invalid_client(format!(
                "client_assertion_type must be `{}`",
                super::assertion::ASSERTION_TYPE
            )));
        }
        let sub = super::keys::peek_claims(assertion)
            .and_then(|claims| claims.get("sub")?.as_str().map(str::to_owned));
        let id = match (body_id, sub) {
            (Some(id), _) => id.to_owned(),
            (None, Some(sub)) => sub,
            (None, None) => {
                return Err(OAuthError::invalid_client(
                    "the client assertion is not a JWT naming the client in `sub`",
                ));
            }
        };
        Ok(Self::Assertion {
            id,
            assertion: assertion.to_owned(),
        })
    }

    /// The client id the request names, if any.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::Basic { id, .. }
            | Self::Post { id, .. }
            | Self::Assertion { id, .. }
            | Self::IdOnly { id } => Some(id),
            Self::Missing => None,
        }
    }

    fn method(&self) -> AuthMethod {
        match self {
            Self::Basic { .. } => AuthMethod::ClientSecretBasic,
            Self::Post { .. } => AuthMethod::ClientSecretPost,
            Self::Assertion { .. } => AuthMethod::PrivateKeyJwt,
            Self::IdOnly { .. } | Self::Missing => AuthMethod::None,
        }
    }
}

/// Parses `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 section 2.3.1).
fn parse_basic(header: &str) -> Result<(String, SecretString), OAuthError> {
    let malformed = || {
        OAuthError::invalid_client("the Authorization header is not valid HTTP Basic credentials")
    };
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(format!(
            "authorization scheme `{scheme}` is not accepted here; use HTTP Basic or client_secret_post"
        )));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = form_decode(id).ok_or_else(malformed)?;
    let secret = form_decode(secret).ok_or_else(malformed)?;
    if id.is_empty() {
        return Err(malformed());
    }
    Ok((id, SecretString::from(secret)))
}

fn form_decode(text: &str) -> Option<String> {
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Which clients an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Confidential clients with their secret, and public clients by id (token endpoint).
    AnyClient,
    /// Only confidential clients with their secret (introspection, revocation by resource servers).
    ConfidentialOnly,
}

/// [`authenticate`], refusing clients and addresses with too many recent failures, so client
/// secrets cannot be guessed at speed. The token, introspection and revocation endpoints share
/// the counters: a guess counts the same wherever it is made.
///
/// The client counter is per client *and* address: client ids are not secret, so a counter per
/// client alone would let anyone lock a resource server out of introspection with a few wrong
/// secrets. Ids that are not valid client ids (a NUL, 16 KiB of text) get no counter of their
/// own; the address counter still takes their failures.
pub async fn authenticate_throttled(
    provider: &Provider,
    credentials: &Credentials,
    accept: Accept,
    client_ip: &str,
) -> Result<Arc<Client>, OAuthError> {
    let network = Network::of(client_ip);
    let client_key = credentials
        .client_id()
        .and_then(|id| ClientId::parse(id).ok())
        .map(|id| {
            Key::account_on_network(
                provider,
                Feature::ClientAuthentication,
                Account::Client(&id),
                &network,
            )
        });
    let network_key = Key::network(Feature::ClientAuthentication, &network);
    let what = "failed client authentications";
    let keys: Vec<&Key> = std::iter::once(&network_key)
        .chain(client_key.as_ref())
        .collect();
    throttle::check_all(provider, &keys)
        .await
        .map_err(|t| OAuthError::throttled(&t, what))?;
    match authenticate(provider, credentials, accept).await {
        Ok(client) => Ok(client),
        Err(e) if e.code() == ErrorCode::InvalidClient => {
            throttle::record(provider, &keys).await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// Authenticates the client of a request, checking that it uses its registered method.
pub async fn authenticate(
    provider: &Provider,
    credentials: &Credentials,
    accept: Accept,
) -> Result<Arc<Client>, OAuthError> {
    let Some(raw_id) = credentials.client_id() else {
        return Err(OAuthError::invalid_client(
            "client authentication is required: send HTTP Basic credentials, client_id and client_secret, or a client assertion",
        ));
    };
    let unknown =
        || OAuthError::invalid_client(format!("no client is registered with id `{raw_id}`"));
    let id = ClientId::parse(raw_id).map_err(|_| unknown())?;
    let client = provider.store().client(&id).await?.ok_or_else(unknown)?;

    let used = credentials.method();
    // FAPI 2.0 section 5.3.2.1 item 4: private_key_jwt only, also for clients registered
    // before the deployment enabled the profile.
    if crate::fapi::applies(provider, &client) && client.auth_method != AuthMethod::PrivateKeyJwt {
        return Err(OAuthError::invalid_client(format!(
            "client `{id}` must authenticate with private_key_jwt under the FAPI 2.0 profile"
        )));
    }
    if used != client.auth_method {
        return Err(OAuthError::invalid_client(
            match (client.auth_method, used) {
                (AuthMethod::None, _) => {
                    format!("client `{id}` is a public client and has no secret")
                }
                (_, AuthMethod::None) => format!(
                    "client `{id}` must authenticate with {}",
                    client.auth_method
                ),
                (registered, used) => {
                    format!("client `{id}` is registered for {registered}, not {used}")
                }
            },
        ));
    }
    match (credentials, &client.secret_hash) {
        (Credentials::Basic { secret, .. } | Credentials::Post { secret, .. }, Some(stored)) => {
            if !provider.hasher().verify(secret, stored) {
                return Err(OAuthError::invalid_client(format!(
                    "client `{id}` presented a wrong client secret"
                )));
            }
        }
        (Credentials::Assertion { assertion, .. }, None) => {
            super::assertion::verify(provider, &client, assertion).await?;
        }
        (Credentials::IdOnly { .. }, None) if accept == Accept::AnyClient => {}
        (Credentials::IdOnly { .. }, None) => {
            return Err(OAuthError::invalid_client(format!(
                "client `{id}` is public; this endpoint requires a confidential client"
            )));
        }
        _ => {
            return Err(OAuthError::server_error(format!(
                "client `{id}` has an authentication method that does not match its stored secret"
            )));
        }
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = basic("my%20app", "s%3Acret+x");
        let creds = Credentials::extract(Some(&header), &Params::default()).unwrap();
        let Credentials::Basic { id, secret } = creds else {
            panic!("expected Basic")
        };
        assert_eq!(id, "my app");
        assert_eq!(secret.expose_secret(), "s:cret x");
    }

    #[test]
    fn two_authentication_methods_are_refused() {
        let params = Params::parse(b"client_id=a&client_secret=b").unwrap();
        let err = Credentials::extract(Some(&basic("a", "b")), &params)
            .err()
            .unwrap();
        assert_eq!(err.code().as_str(), "invalid_request");
    }

    #[test]
    fn other_schemes_and_garbage_are_invalid_client() {
        for header in ["Bearer abc", "Basic !!!", "Basic", &basic("", "x")] {
            let err = Credentials::extract(Some(header), &Params::default())
                .err()
                .unwrap();
            assert_eq!(err.code().as_str(), "invalid_client", "{header}");
        }
    }
}
