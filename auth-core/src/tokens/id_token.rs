//! OIDC ID tokens, [OIDC Core section 2](https://openid.net/specs/openid-connect-core-1_0.html#IDToken).

use super::jws::{self, JwsError};
use crate::Provider;
use crate::error::OAuthError;
use crate::keys::SigningAlgorithm;
use crate::scope::Scope;
use crate::users::User;
use auth_proto::claims::IdTokenClaims;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The `typ` header of ID tokens (OIDC Core section 2 leaves it open; RFC 7519 section 5.1
/// suggests `JWT`). Access tokens carry `at+jwt` instead (RFC 9068 section 2.1).
pub const ID_TOKEN_TYP: &str = "JWT";

/// What an ID token is issued for.
#[derive(Debug)]
pub struct IdTokenRequest<'a> {
    /// The user.
    pub user: &'a User,
    /// The `sub` the client sees for the user ([`crate::subject`]).
    pub subject: &'a str,
    /// The client (`aud`).
    pub client_id: &'a str,
    /// Granted scope (decides the profile and e-mail claims).
    pub scope: &'a Scope,
    /// The user's roles.
    pub roles: &'a [String],
    /// When the user authenticated.
    pub auth_time: i64,
    /// Authentication methods.
    pub amr: &'a [String],
    /// The request's nonce (not on refresh: OIDC Core section 12.2).
    pub nonce: Option<&'a str>,
    /// The access token issued with it, for `at_hash`.
    pub access_token: &'a str,
    /// The session id.
    pub sid: Option<&'a str>,
}

/// `at_hash`: base64url of the left half of the hash of the access token, the hash being the
/// one of the ID token's `alg` (OIDC Core section 3.1.3.6; see
/// [`SigningAlgorithm::claim_hash`] for EdDSA).
pub fn at_hash(algorithm: SigningAlgorithm, access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(algorithm.claim_hash(), access_token.as_bytes());
    let digest = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

impl Provider {
    /// Signs an ID token.
    pub fn issue_id_token(&self, request: IdTokenRequest<'_>) -> Result<String, OAuthError> {
        let now = self.clock().unix();
        // The key is chosen first: `at_hash` depends on its algorithm.
        let ring = self.keys().ring();
        let key = ring
            .signing_key(now)
            .ok_or_else(|| OAuthError::server_error("no signing key is active"))?;
        let claims = IdTokenClaims {
            iss: self.settings().issuer.as_str().to_owned(),
            sub: request.subject.to_owned(),
            aud: request.client_id.to_owned(),
            exp: now + i64::try_from(self.settings().id_token_ttl.as_secs()).unwrap_or(600),
            iat: now,
            auth_time: request.auth_time,
            nonce: request.nonce.map(str::to_owned),
            at_hash: Some(at_hash(key.material.algorithm(), request.access_token)),
            amr: request.amr.to_vec(),
            sid: request.sid.map(str::to_owned),
            extra: crate::users::claims(request.user, request.scope, request.roles),
        };
        jws::sign(key, ID_TOKEN_TYP, &claims).map_err(OAuthError::server_error)
    }

    /// Reads an ID token this server issued, checking its signature, type and issuer but not
    /// its expiry: RP-initiated logout accepts expired `id_token_hint`s.
    pub fn read_id_token_hint(&self, token: &str) -> Result<IdTokenClaims, JwsError> {
        let ring = self.keys().ring();
        let verified = jws::verify(&ring, self.clock().unix(), token)?;
        // An access token (`at+jwt`) is signed by the same keys and has `sub`, `aud` and `iss`
        // too; taken as a hint it could end a session without asking the user (RFC 8725
        // section 3.11: use explicit typing to tell kinds of JWT apart).
        if verified.header.typ.as_deref() != Some(ID_TOKEN_TYP) {
            return Err(JwsError::Malformed(
                "typ is not JWT, so it is not an ID token",
            ));
        }
        let claims: IdTokenClaims = serde_json::from_slice(&verified.payload)
            .map_err(|_| JwsError::Malformed("claims are not ID token claims"))?;
        if claims.iss != self.settings().issuer.as_str() {
            return Err(JwsError::Malformed("iss is another issuer"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core appendix A.3 (RS256).
        assert_eq!(
            at_hash(
                SigningAlgorithm::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn at_hash_takes_the_left_half_of_the_algorithms_hash() {
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        // ES256 hashes with SHA-256 like RS256: 16 bytes, 22 characters.
        assert_eq!(
            at_hash(SigningAlgorithm::Es256, token),
            at_hash(SigningAlgorithm::Rs256, token)
        );
        // Ed25519 with SHA-512: 32 bytes, 43 characters.
        let sha512 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, token.as_bytes());
        let eddsa = at_hash(SigningAlgorithm::EdDsa, token);
        assert_eq!(eddsa.len(), 43);
        assert_eq!(eddsa, URL_SAFE_NO_PAD.encode(&sha512.as_ref()[..32]));
    }
}
