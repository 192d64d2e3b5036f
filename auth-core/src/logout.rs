//! RP-initiated logout, [OpenID Connect RP-Initiated Logout 1.0](https://openid.net/specs/openid-connect-rpinitiated-1_0.html).

use crate::Provider;
use crate::clients::{Client, ClientId};
use crate::params::Params;
use crate::sessions::Session;
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
    pub fn names_session(&self, session: &Session) -> bool {
        self.hint.as_ref().is_some_and(|hint| {
            hint.sub == session.user_id.as_str()
                && hint.sid.as_deref().is_none_or(|sid| sid == session.id)
        })
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

/// Validates the parameters of the end-session endpoint. Errors are for the user's eyes:
/// nothing here may redirect to an unverified URI.
pub async fn validate(provider: &Provider, params: &Params) -> Result<LogoutRequest, String> {
    let hint = match params.get("id_token_hint") {
        Some(token) => Some(provider.read_id_token_hint(token).map_err(|e| {
            format!("id_token_hint is not an ID token issued by this server ({e}).")
        })?),
        None => None,
    };
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(hint)) if id != hint.aud => {
            return Err("client_id does not match the audience of id_token_hint.".into());
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(hint)) => Some(hint.aud.clone()),
        (None, None) => None,
    };
    let client = match client_id {
        Some(id) => {
            let parsed = ClientId::parse(&id)
                .map_err(|_| format!("No application is registered with client_id `{id}`."))?;
            Some(
                provider
                    .store()
                    .client(&parsed)
                    .await
                    .map_err(|e| format!("The request cannot be handled now ({e})."))?
                    .ok_or_else(|| {
                        format!("No application is registered with client_id `{id}`.")
                    })?,
            )
        }
        None => None,
    };
    let post_logout_redirect_uri = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            // Section 3: the URI MUST have been registered by the client, which must be known.
            let Some(client) = &client else {
                return Err("post_logout_redirect_uri needs id_token_hint or client_id to identify the application.".into());
            };
            if !client
                .post_logout_redirect_uris
                .iter()
                .any(|r| r.as_str() == uri)
            {
                return Err(format!(
                    "post_logout_redirect_uri `{uri}` is not registered for client `{}`.",
                    client.id
                ));
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
