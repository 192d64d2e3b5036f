//! RP-initiated logout, [OpenID Connect RP-Initiated Logout 1.0](https://openid.net/specs/openid-connect-rpinitiated-1_0.html).

use crate::Provider;
use crate::clients::{Client, ClientId};
use crate::params::Params;
use crate::sessions::Session;
use crate::store::StoreError;
use auth_proto::claims::IdTokenClaims;
use std::sync::Arc;
use url::Url;

/// A validated logout request.
#[derive(Debug)]
pub struct LogoutRequest {
    /// The ID token the client sent as a hint.
    pub hint: Option<IdTokenClaims>,
    /// The client asking, from the hint or `client_id`.
    pub client: Option<Client>,
    /// Where to send the user afterwards (registered for the client).
    pub post_logout_redirect_uri: Option<String>,
    /// Returned to the client with the redirect.
    pub state: Option<String>,
}

impl LogoutRequest {
    /// Whether the hint proves the request comes from a client of this very session, so the
    /// user need not confirm (section 2: otherwise the OP SHOULD ask).
    pub fn names_session(&self, provider: &Provider, session: &Session) -> bool {
        self.hint.as_ref().is_some_and(|hint| {
            // The hint's `sub` is the one its client sees (pairwise, OIDC Core section 8).
            hint.sub
                == crate::subject::for_client(
                    provider,
                    self.client.as_ref(),
                    session.user_id.as_str(),
                )
                && hint.sid.as_deref().is_none_or(|sid| {
                    sid == crate::subject::sid_for_client(
                        provider,
                        self.client.as_ref(),
                        &session.id,
                    )
                })
        })
    }

    /// Whether the user may be sent to `post_logout_redirect_uri` without a page in between
    /// (section 3). The URI is registered, but anyone can register a client: a dynamically
    /// registered client's URI is only followed when the request proved to come from that
    /// client's login in this very session (`id_token_hint` naming it) or the user confirmed
    /// the sign-out on our page; otherwise `/logout` would be an open redirector. A client an
    /// administrator created is trusted with its registered URIs.
    pub fn redirects_at_once(&self, named_session: bool, confirmed: bool) -> bool {
        let trusted = self
            .client
            .as_ref()
            .is_some_and(|client| !client.registered_dynamically());
        trusted || named_session || confirmed
    }

    /// The redirect after logout, with `state`.
    pub fn redirect(&self) -> Option<String> {
        let uri = self.post_logout_redirect_uri.as_ref()?;
        let mut url = Url::parse(uri).ok()?;
        if let Some(state) = &self.state {
            url.query_pairs_mut().append_pair("state", state);
        }
        Some(url.into())
    }
}

/// Why a logout request is refused.
#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    /// The request is wrong; the message is for the user's eyes.
    #[error("{0}")]
    Invalid(String),
    /// Storage failed (logged; the user sees "internal error").
    #[error(transparent)]
    Internal(#[from] StoreError),
}

/// Validates the parameters of the end-session endpoint. Errors are for the user's eyes:
/// nothing here may redirect to an unverified URI.
pub async fn validate(provider: &Provider, params: &Params) -> Result<LogoutRequest, LogoutError> {
    let invalid = LogoutError::Invalid;
    let hint = match params.get("id_token_hint") {
        Some(token) => Some(provider.read_id_token_hint(token).map_err(|e| {
            invalid(format!(
                "id_token_hint is not an ID token issued by this server ({e})."
            ))
        })?),
        None => None,
    };
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(hint)) if id != hint.aud => {
            return Err(invalid(
                "client_id does not match the audience of id_token_hint.".into(),
            ));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(hint)) => Some(hint.aud.clone()),
        (None, None) => None,
    };
    let client = match client_id {
        Some(id) => {
            let unknown = || {
                invalid(format!(
                    "No application is registered with client_id `{id}`."
                ))
            };
            let parsed = ClientId::parse(&id).map_err(|_| unknown())?;
            Some(
                provider
                    .store()
                    .client(&parsed)
                    .await?
                    .ok_or_else(unknown)?,
            )
        }
        None => None,
    };
    let post_logout_redirect_uri = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            // Section 3: the URI MUST have been registered by the client, which must be known.
            let Some(client) = &client else {
                return Err(invalid("post_logout_redirect_uri needs id_token_hint or client_id to identify the application.".into()));
            };
            if !client
                .post_logout_redirect_uris
                .iter()
                .any(|r| r.as_str() == uri)
            {
                return Err(invalid(format!(
                    "post_logout_redirect_uri `{uri}` is not registered for client `{}`.",
                    client.id
                )));
            }
            Some(uri.to_owned())
        }
    };
    Ok(LogoutRequest {
        hint,
        client: client.map(Arc::unwrap_or_clone),
        post_logout_redirect_uri,
        state: params.get("state").map(str::to_owned),
    })
}
