//! The token endpoint: parse the grant, authenticate the client, run the grant.
//!
//! Each grant lives in its own module and returns a [`TokenResponse`] or an [`OAuthError`];
//! HTTP is the server's business.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod refresh_token;
pub mod token_exchange;
mod user_tokens;

pub use user_tokens::REFRESH_PREFIX;
pub(crate) use user_tokens::family_ends_at;

use crate::Provider;
use crate::clients::authentication::{Accept, Credentials, authenticate_throttled};
use crate::clients::{Client, GrantType};
use crate::dpop::{self, Presented};
use crate::error::OAuthError;
use crate::params::Params;
use auth_proto::error::ErrorCode;
use auth_proto::token::TokenResponse;

/// What the token endpoint issued, and for which grant (for metrics).
#[derive(Debug)]
pub struct Issued {
    /// The grant that was used.
    pub grant: GrantType,
    /// The response body.
    pub response: TokenResponse,
}

/// Handles a token request ([RFC 6749 section 3.2](https://www.rfc-editor.org/rfc/rfc6749#section-3.2)).
/// `authorization` is the raw `Authorization` header, if any; `dpop` the request's DPoP proof
/// (RFC 9449 section 5).
pub async fn token(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
    client_ip: &str,
    dpop: Option<Presented<'_>>,
) -> Result<Issued, OAuthError> {
    let grant_name = params.require("grant_type")?;
    let grant = GrantType::parse(grant_name)
        .filter(|grant| SUPPORTED.contains(grant))
        .ok_or_else(|| {
            OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type `{grant_name}` is not supported; use one of: {}",
                    supported_list()
                ),
            )
        })?;
    let credentials = Credentials::extract(authorization, params)?;
    if let Some(presented) = &dpop {
        dpop::ask_for_nonce_first(provider, presented.proof)?;
    }
    let client =
        authenticate_throttled(provider, &credentials, Accept::AnyClient, client_ip).await?;
    if !client.may_use(grant) {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is not allowed to use grant_type `{grant}`",
            client.id
        )));
    }
    let jkt = match dpop {
        Some(presented) => Some(dpop::check_client_post(provider, &client, presented).await?),
        // RFC 9449 section 5.2: such a client's token requests without a proof are refused;
        // FAPI 2.0 section 5.3.2.1 item 5: tokens are sender-constrained.
        None if client.security.dpop_bound_access_tokens
            || crate::fapi::applies(provider, &client) =>
        {
            return Err(dpop::invalid(format!(
                "client `{}` must send a DPoP proof with every token request (dpop_bound_access_tokens or FAPI 2.0)",
                client.id
            )));
        }
        None => None,
    };
    let jkt = jkt.as_deref();
    let response = match grant {
        GrantType::ClientCredentials => {
            // RFC 6749 section 4.4: the client credentials grant MUST only be used by
            // confidential clients.
            let client = Confidential::check(&client, "client_credentials")?;
            client_credentials::exchange(provider, &client, params, jkt).await?
        }
        GrantType::AuthorizationCode => {
            authorization_code::exchange(provider, &client, params, jkt).await?
        }
        GrantType::RefreshToken => refresh_token::exchange(provider, &client, params, jkt).await?,
        GrantType::DeviceCode => device_code::exchange(provider, &client, params, jkt).await?,
        GrantType::TokenExchange => {
            // RFC 8693 section 2.1 leaves client authentication to the server; a public client
            // proves no identity, so it cannot be named as the actor.
            let client = Confidential::check(&client, "token exchange")?;
            token_exchange::exchange(provider, &client, params, jkt).await?
        }
    };
    Ok(Issued { grant, response })
}

/// A client that is not public: it authenticated with a credential of its own, so it can
/// stand for itself (the client credentials grant, token exchange).
#[derive(Debug, Clone, Copy)]
pub struct Confidential<'a>(&'a Client);

impl<'a> Confidential<'a> {
    /// `client`, unless it is public: `unauthorized_client` then, saying that `grant` needs
    /// a confidential client.
    pub fn check(client: &'a Client, grant: &str) -> Result<Self, OAuthError> {
        if client.is_public() {
            return Err(OAuthError::unauthorized_client(format!(
                "client `{}` is public; {grant} needs a confidential client",
                client.id
            )));
        }
        Ok(Self(client))
    }
}

impl std::ops::Deref for Confidential<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.0
    }
}

/// The `token_type` of an access token (RFC 9449 section 5: `DPoP` when bound to a key).
pub(crate) fn token_type(dpop_jkt: Option<&str>) -> &'static str {
    if dpop_jkt.is_some() { "DPoP" } else { "Bearer" }
}

/// Grant types the token endpoint implements.
pub const SUPPORTED: &[GrantType] = &[
    GrantType::AuthorizationCode,
    GrantType::ClientCredentials,
    GrantType::RefreshToken,
    GrantType::DeviceCode,
    GrantType::TokenExchange,
];

fn supported_list() -> String {
    SUPPORTED
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
