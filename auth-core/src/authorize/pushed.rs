//! Pushed authorization requests, [RFC 9126](https://www.rfc-editor.org/rfc/rfc9126): the client
//! posts its authorization request, authenticated, to the server first, and sends the browser
//! to `/authorize` with only `client_id` and the `request_uri` it got back.
//!
//! The request is validated when pushed, as `/authorize` would (section 2.1), stored under the
//! keyed hash of its `request_uri`, and taken at most once, within its lifetime.

use super::{AuthorizeError, Refusal, check_request, request_object};
use crate::Provider;
use crate::clients::Client;
use crate::clients::authentication::{Accept, Credentials, authenticate_throttled};
use crate::dpop::{self, Presented};
use crate::error::OAuthError;
use crate::params::Params;
use crate::secrets::new_token;
use crate::store::PushedRequest;
use crate::throttle::{self, Account, Feature, Key, Network};
use auth_proto::error::ErrorCode;
use secrecy::ExposeSecret;

/// The prefix of every `request_uri` this server hands out (RFC 9126 section 2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Parameters that authenticate the client at the endpoint; not part of the request.
const CLIENT_AUTHENTICATION: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// The answer to a push (RFC 9126 section 2.2).
#[derive(Debug, serde::Serialize)]
pub struct Pushed {
    /// The reference the client sends to `/authorize`.
    pub request_uri: String,
    /// Seconds it is usable for.
    pub expires_in: i64,
}

/// Handles a push: authenticates the client, validates the request, stores it. A DPoP proof
/// on the push binds the code to its key, as `dpop_jkt` would (RFC 9449 section 10.1).
pub async fn push(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
    client_ip: &str,
    dpop: Option<Presented<'_>>,
) -> Result<Pushed, OAuthError> {
    let credentials = Credentials::extract(authorization, params)?;
    if let Some(presented) = &dpop {
        dpop::ask_for_nonce_first(provider, presented.proof)?;
    }
    let client =
        authenticate_throttled(provider, &credentials, Accept::AnyClient, client_ip).await?;
    // Section 2.1: the request MUST NOT carry `request_uri`.
    if params.contains("request_uri") {
        return Err(OAuthError::invalid_request(
            "a pushed request cannot carry request_uri",
        ));
    }
    // The proof before the request object: a retry after `use_dpop_nonce` must find the
    // object unused.
    let jkt = match dpop {
        Some(presented) => Some(dpop::check_client_post(provider, &client, presented).await?),
        None => None,
    };
    let mut request = match params.get("request") {
        // RFC 9126 section 3: a request object is verified, then its claims are the request.
        Some(object) => request_object::resolve(provider, &client, object).await?,
        None => params.without(&CLIENT_AUTHENTICATION),
    };
    request.set("client_id", client.id.as_str());
    if let Some(jkt) = jkt {
        // RFC 9449 section 10.1: both present, they must name the same key.
        if request.get("dpop_jkt").is_some_and(|sent| sent != jkt) {
            return Err(dpop::invalid(
                "dpop_jkt is not the thumbprint of the key that signed the DPoP proof",
            ));
        }
        request.set("dpop_jkt", &jkt);
    }
    check_request(provider, &client, &request, true)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Page(message) => OAuthError::invalid_request(message),
            Refusal::Client(_, error) => error,
        })?;
    // Each push keeps a row until it is used or expires, and a public client pushes without
    // credentials: pushes count against the same limits as the pending requests `/authorize`
    // keeps (per network, and everyone together).
    throttle::hit(
        provider,
        &[
            &Key::network(Feature::PendingAuthorization, &Network::of(client_ip)),
            &Key::account(provider, Feature::PendingAuthorization, Account::Everyone),
        ],
    )
    .await
    .map_err(|t| OAuthError::throttled(&t, "authorization requests"))?;
    let ttl = provider.settings().requests.pushed_request_ttl.as_secs();
    let ttl = i64::try_from(ttl).unwrap_or(60);
    let request_uri = format!("{REQUEST_URI_PREFIX}{}", new_token("").expose_secret());
    let params = serde_json::to_string(&request)
        .map_err(|e| OAuthError::server_error(format!("cannot store a pushed request: {e}")))?;
    provider
        .store()
        .insert_pushed_request(
            &provider.hasher().hash(&request_uri),
            &PushedRequest {
                client_id: client.id.to_string(),
                params,
                expires_at: provider.clock().unix() + ttl,
            },
        )
        .await?;
    Ok(Pushed {
        request_uri,
        expires_in: ttl,
    })
}

/// Takes the pushed request `request_uri` names for `client` (RFC 9126 section 4): once, within
/// its lifetime, and only for the client that pushed it.
pub(super) async fn take(
    provider: &Provider,
    client: &Client,
    request_uri: &str,
) -> Result<Params, AuthorizeError> {
    let refused = |why: &str| {
        AuthorizeError::Page(format!(
            "The request_uri {why} ({}). Ask the application to start again.",
            ErrorCode::InvalidRequestUri.as_str()
        ))
    };
    if !request_uri.starts_with(REQUEST_URI_PREFIX) {
        return Err(AuthorizeError::Page(format!(
            "Only request_uri values from this server's pushed authorization request endpoint are accepted ({}).",
            ErrorCode::RequestUriNotSupported.as_str()
        )));
    }
    let pushed = provider
        .store()
        .take_pushed_request(&provider.hasher().hash(request_uri), client.id.as_str())
        .await
        .map_err(|e| AuthorizeError::Internal(e.to_string()))?
        .ok_or_else(|| refused("is unknown, was already used, or belongs to another client"))?;
    if pushed.expires_at <= provider.clock().unix() {
        return Err(refused("has expired"));
    }
    serde_json::from_str(&pushed.params).map_err(|e| {
        AuthorizeError::Internal(format!("a stored pushed request is unreadable: {e}"))
    })
}
