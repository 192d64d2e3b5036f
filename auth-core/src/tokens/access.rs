//! JWT access tokens, [RFC 9068](https://www.rfc-editor.org/rfc/rfc9068).
//!
//! Issuing one costs a signature and no database write; revocation is recorded by `jti` and
//! seen through introspection and userinfo.

use super::jws::{self, JwsError};
use super::verified::Checked;
use crate::Provider;
use crate::clients::ClientId;
use crate::error::OAuthError;
use crate::scope::Scope;
use auth_proto::ACCESS_TOKEN_TYP;
use auth_proto::claims::{AccessTokenClaims, Actor, Confirmation};
use std::time::Duration;

/// What an access token is issued for.
#[derive(Debug, Clone)]
pub struct AccessTokenRequest<'a> {
    /// Unique token id ([`new_id`] for tokens nobody needs to find again).
    pub jti: String,
    /// The user id, or the client id for client-credentials tokens.
    pub subject: &'a str,
    /// The client receiving the token.
    pub client_id: &'a str,
    /// The granted scope.
    pub scope: &'a Scope,
    /// When the user authenticated.
    pub auth_time: Option<i64>,
    /// The user's roles.
    pub roles: Vec<String>,
    /// The user's permissions (only when the `permissions` scope was granted).
    pub permissions: Vec<String>,
    /// The client's [`registration_id`](crate::clients::Client::registration_id) it is issued
    /// under.
    pub client_registration: &'a str,
    /// The thumbprint of the DPoP key the token is bound to (RFC 9449 section 6.1).
    pub dpop_jkt: Option<&'a str>,
    /// The resource (RFC 8707) the token is for, as its `aud`; `None` for the server's
    /// configured audience.
    pub audience: Option<&'a str>,
    /// When `subject` is pairwise: the user id, sealed ([`Provider::seal_subject`]).
    pub sealed_subject: Option<String>,
}

/// A signed access token and its claims.
#[derive(Debug, Clone)]
pub struct IssuedAccessToken {
    /// The compact JWS.
    pub token: String,
    /// What it says.
    pub claims: AccessTokenClaims,
    /// Lifetime in seconds.
    pub expires_in: u64,
}

/// Why an access token is not valid now.
#[derive(Debug, thiserror::Error)]
pub enum InvalidAccessToken {
    /// Signature, format or key problem.
    #[error(transparent)]
    Jws(#[from] JwsError),
    /// Not an RFC 9068 access token of this issuer.
    #[error("the token is not an access token of this server: {0}")]
    NotAnAccessToken(&'static str),
    /// Past `exp`.
    #[error("the access token has expired")]
    Expired,
    /// Revoked.
    #[error("the access token has been revoked")]
    Revoked,
    /// Its client was deleted, or its secret rotated, after it was issued.
    #[error("the client of the access token was deleted or its secret replaced")]
    ClientGone,
}

/// The context the user id of a pairwise access token is sealed under.
const SEALED_SUBJECT: &[u8] = b"access-token-subject";

impl Provider {
    /// When an access token issued now expires.
    pub fn access_token_expiry(&self) -> i64 {
        self.clock().unix() + seconds(self.settings().access_token_ttl)
    }

    /// Signs a new access token with the active key.
    pub fn issue_access_token(
        &self,
        request: AccessTokenRequest<'_>,
    ) -> Result<IssuedAccessToken, OAuthError> {
        self.issue_delegated_access_token(request, None, None)
    }

    /// Signs a new access token naming `act` as the party acting for its subject (RFC 8693
    /// section 4.1), expiring at `not_after` if that comes before the usual lifetime ends.
    pub(crate) fn issue_delegated_access_token(
        &self,
        request: AccessTokenRequest<'_>,
        act: Option<Actor>,
        not_after: Option<i64>,
    ) -> Result<IssuedAccessToken, OAuthError> {
        let now = self.clock().unix();
        let ttl = self.settings().access_token_ttl;
        let exp = not_after.map_or(now + seconds(ttl), |cap| cap.min(now + seconds(ttl)));
        let claims = AccessTokenClaims {
            iss: self.settings().issuer.as_str().to_owned(),
            exp,
            aud: request
                .audience
                .map_or_else(|| self.settings().audience.clone(), str::to_owned),
            sub: request.subject.to_owned(),
            client_id: request.client_id.to_owned(),
            iat: now,
            jti: request.jti,
            scope: (!request.scope.is_empty()).then(|| request.scope.to_string()),
            auth_time: request.auth_time,
            roles: request.roles,
            permissions: request.permissions,
            client_registration: request.client_registration.to_owned(),
            cnf: request.dpop_jkt.map(|jkt| Confirmation {
                jkt: jkt.to_owned(),
            }),
            sub_sealed: request.sealed_subject,
            act,
        };
        let ring = self.keys().ring();
        let key = ring
            .signing_key(now)
            .ok_or_else(|| OAuthError::server_error("no signing key is active"))?;
        let token = jws::sign(key, ACCESS_TOKEN_TYP, &claims).map_err(OAuthError::server_error)?;
        Ok(IssuedAccessToken {
            token,
            claims,
            expires_in: u64::try_from(exp - now).unwrap_or(0),
        })
    }

    /// Checks an access token this server issued: signature, type, issuer, expiry,
    /// revocation, and that its client still holds the registration it was issued under. The
    /// scope returned is narrowed to what the client may still obtain.
    ///
    /// The user side needs no lookup here: every event that takes something from a user
    /// (role revoked, account disabled or deleted, password changed or reset, session ended)
    /// revokes the token families concerned, which the revocation check reads. What each check
    /// costs: the revocation set and the client are this replica's in-memory copies
    /// (`database.cache_secs`, decision 0005), so a valid token costs no query while they are
    /// fresh; a change made elsewhere is seen within that bound.
    pub async fn validate_access_token(
        &self,
        token: &str,
    ) -> Result<AccessTokenClaims, ValidationFailure> {
        let now = self.clock().unix();
        let claims = match self.verified_tokens().get(token) {
            // Checked before: the text decides signature, type and issuer; whether its key is
            // still published is checked again.
            Some(checked)
                if self
                    .keys()
                    .ring()
                    .verifying_key(&checked.kid, now)
                    .is_some() =>
            {
                checked.claims.clone()
            }
            Some(checked) => {
                return Err(
                    InvalidAccessToken::Jws(JwsError::UnknownKey(checked.kid.clone())).into(),
                );
            }
            None => {
                let (kid, claims) = self.check_signed_access_token(token, now).await?;
                self.verified_tokens().insert(
                    token,
                    Checked {
                        kid,
                        claims: claims.clone(),
                    },
                );
                claims
            }
        };
        if claims.exp <= now {
            return Err(InvalidAccessToken::Expired.into());
        }
        if self
            .store()
            .is_access_token_revoked(&claims.jti)
            .await
            .map_err(|e| ValidationFailure::Internal(e.into()))?
        {
            return Err(InvalidAccessToken::Revoked.into());
        }
        self.follow_client(claims).await
    }

    /// Seals a user id for a pairwise access token: AES-GCM under the key-encryption key,
    /// base64url.
    pub fn seal_subject(&self, user_id: &str) -> Result<String, OAuthError> {
        use base64::Engine;
        let sealed = self
            .kek()
            .seal(SEALED_SUBJECT, user_id.as_bytes())
            .map_err(|e| OAuthError::server_error(format!("cannot seal a subject: {e}")))?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The claims as the token's client holds them now: refused when the client is gone or
    /// registered again (or its secret rotated), the scope narrowed to the client's. A pairwise
    /// token's `sub` is replaced by the user id it seals, for the server's own use.
    async fn follow_client(
        &self,
        mut claims: AccessTokenClaims,
    ) -> Result<AccessTokenClaims, ValidationFailure> {
        if let Some(sealed) = claims.sub_sealed.take() {
            use base64::Engine;
            let user_id = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(sealed)
                .ok()
                .and_then(|sealed| self.kek().open(SEALED_SUBJECT, &sealed).ok())
                .and_then(|plain| String::from_utf8(plain).ok())
                .ok_or(InvalidAccessToken::NotAnAccessToken(
                    "its sealed subject cannot be opened",
                ))?;
            claims.sub = user_id;
        }
        let client = match ClientId::parse(&claims.client_id) {
            Ok(id) => self
                .store()
                .client(&id)
                .await
                .map_err(|e| ValidationFailure::Internal(e.into()))?,
            Err(_) => None,
        };
        let Some(client) = client.filter(|c| c.registration_id == claims.client_registration)
        else {
            return Err(InvalidAccessToken::ClientGone.into());
        };
        if claims.scopes().any(|s| !client.scope.contains(s)) {
            let narrowed: Vec<&str> = claims
                .scopes()
                .filter(|s| client.scope.contains(s))
                .collect();
            claims.scope = (!narrowed.is_empty()).then(|| narrowed.join(" "));
        }
        Ok(claims)
    }

    /// What depends on the token's text alone: a signature by a key published at `now`, the
    /// access-token type, RFC 9068 claims and this issuer. Returns the key id and the claims.
    async fn check_signed_access_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<(String, AccessTokenClaims), ValidationFailure> {
        let mut ring = self.keys().ring();
        if let Some(kid) = jws::peek_kid(token)
            && ring.get(&kid).is_none()
        {
            // A key rotated in by another replica may not be loaded here yet.
            self.keys()
                .refresh_for_unknown_kid(Duration::from_secs(1))
                .await
                .map_err(|e| ValidationFailure::Internal(OAuthError::server_error(e)))?;
            ring = self.keys().ring();
        }
        let verified = jws::verify(&ring, now, token).map_err(InvalidAccessToken::from)?;
        if verified.header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err(InvalidAccessToken::NotAnAccessToken("typ is not at+jwt").into());
        }
        let claims: AccessTokenClaims = serde_json::from_slice(&verified.payload)
            .map_err(|_| InvalidAccessToken::NotAnAccessToken("claims are not RFC 9068 claims"))?;
        if claims.iss != self.settings().issuer.as_str() {
            return Err(InvalidAccessToken::NotAnAccessToken("iss is another issuer").into());
        }
        let kid = verified
            .header
            .kid
            .ok_or(InvalidAccessToken::Jws(JwsError::Malformed("no kid")))?;
        Ok((kid, claims))
    }
}

/// Why validation did not produce claims: the token is bad, or the server could not tell.
#[derive(Debug, thiserror::Error)]
pub enum ValidationFailure {
    /// The token is not valid.
    #[error(transparent)]
    Invalid(#[from] InvalidAccessToken),
    /// Storage or keys failed.
    #[error(transparent)]
    Internal(OAuthError),
}

pub(crate) fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
