//! `private_key_jwt` client authentication: [RFC 7523 section 2.2 and 3](https://www.rfc-editor.org/rfc/rfc7523#section-3)
//! and [OIDC Core section 9](https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication).
//!
//! The client signs a short-lived JWT about itself with one of its registered keys; the server
//! checks the signature, that the JWT is about and from the client, meant for this server, not
//! expired, and not seen before.

use super::Client;
use super::keys::{self, ClientJwtError};
use crate::Provider;
use crate::error::OAuthError;
use auth_jose::SigningAlgorithm;
use auth_jose::jws::{Rules, Typ};
use serde::Deserialize;

/// The `client_assertion_type` of a JWT assertion (RFC 7523 section 2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The replay memory shared by everything a client signs for this server (assertions and
/// request objects): a JWT used as one cannot be used again as the other.
pub(crate) const CLIENT_JWT_IDS: &str = "client-jwt";

/// Longest lifetime accepted (`exp` minus now): a used `jti` is remembered until its `exp`.
pub const MAX_LIFETIME_SECS: i64 = 600;
/// Clock difference tolerated on `iat` and `nbf`.
pub const CLOCK_SKEW_SECS: i64 = 30;

/// The header rules of a client's JWTs: the algorithms clients may use, any `typ`, `kid`
/// optional (the client's keys are few).
pub const CLIENT_JWT: Rules<'static> = Rules {
    algorithms: &SigningAlgorithm::FROM_CLIENTS,
    typ: Typ::Any,
    require_kid: false,
};

#[derive(Deserialize)]
struct AssertionClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

/// `aud`: one string, or an array of them (RFC 7519 section 4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Whether `issuer` is the sole audience. RFC 7523bis section 3 (draft-ietf-oauth-rfc7523bis):
    /// the authorization server MUST reject a JWT that does not contain its issuer identifier
    /// as the sole value of `aud`, so an assertion meant for one server is never accepted by
    /// another.
    pub(crate) fn is_only(&self, issuer: &str) -> bool {
        match self {
            Self::One(aud) => aud == issuer,
            Self::Many(list) => list.len() == 1 && list[0] == issuer,
        }
    }
}

/// Verifies `assertion` as `client`'s authentication.
pub async fn verify(
    provider: &Provider,
    client: &Client,
    assertion: &str,
) -> Result<(), OAuthError> {
    let id = client.id.as_str();
    let refused = |why: &str| {
        OAuthError::invalid_client(format!("the client assertion of client `{id}` {why}"))
    };
    let verified = keys::verify_client_jwt(provider, client, assertion)
        .await
        .map_err(|e| match e {
            ClientJwtError::Jws(e) => refused(&format!("was refused: {e}")),
            other => OAuthError::invalid_client(other.to_string()),
        })?;
    // RFC 8725 section 3.11 and RFC 7523bis: an explicitly typed JWT of another kind (a
    // request object, a DPoP proof, an access token) is not an assertion, even when its claims
    // would pass.
    if let Some(typ) = verified.header.typ.as_deref() {
        let typ = typ.strip_prefix("application/").unwrap_or(typ);
        if !typ.eq_ignore_ascii_case("jwt")
            && !typ.eq_ignore_ascii_case("client-authentication+jwt")
        {
            return Err(refused(
                "has a typ of another kind of JWT: use JWT or client-authentication+jwt",
            ));
        }
    }
    let claims: AssertionClaims = serde_json::from_slice(&verified.payload)
        .map_err(|_| refused("does not hold JWT claims"))?;
    // RFC 7523 section 3, items 1 and 2: `iss` and `sub` are the client id.
    if claims.iss.as_deref() != Some(id) || claims.sub.as_deref() != Some(id) {
        return Err(refused("must have the client id as `iss` and `sub`"));
    }
    let issuer = provider.settings().issuer.as_str();
    if !claims.aud.as_ref().is_some_and(|aud| aud.is_only(issuer)) {
        return Err(refused(&format!(
            "must have the issuer identifier `{issuer}` as its only `aud`"
        )));
    }
    let now = provider.clock().unix();
    // Item 4: `exp` MUST be present and in the future.
    let exp = claims.exp.ok_or_else(|| refused("has no `exp`"))?;
    if exp <= now {
        return Err(refused("has expired"));
    }
    if exp > now + MAX_LIFETIME_SECS {
        return Err(refused(&format!(
            "lives too long: `exp` may be at most {MAX_LIFETIME_SECS} s ahead"
        )));
    }
    if claims.nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW_SECS) {
        return Err(refused("is not valid yet (`nbf`)"));
    }
    if claims.iat.is_some_and(|iat| iat > now + CLOCK_SKEW_SECS) {
        return Err(refused("was issued in the future (`iat`)"));
    }
    // Item 7 and OIDC Core section 9: `jti` is required, and a JWT is used only once.
    let jti = claims
        .jti
        .filter(|jti| !jti.is_empty() && jti.len() <= 256)
        .ok_or_else(|| refused("needs a `jti` of 1 to 256 characters"))?;
    if !first_use(provider, CLIENT_JWT_IDS, id, &jti, exp).await? {
        return Err(refused(
            "was used before: each assertion works once (`jti`)",
        ));
    }
    Ok(())
}

/// Records the first use of the JWT `jti` of `kind` from `client`, remembered until
/// `expires_at`; `false` when it was used before. Replicas sharing the database share the
/// memory.
pub(crate) async fn first_use(
    provider: &Provider,
    kind: &str,
    client: &str,
    jti: &str,
    expires_at: i64,
) -> Result<bool, OAuthError> {
    let key = provider.hasher().hash(&format!("{kind}\0{client}\0{jti}"));
    Ok(provider
        .store()
        .first_use(&key, expires_at, provider.clock().unix())
        .await?)
}
