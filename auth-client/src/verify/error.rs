//! Why a token was refused, or could not be checked.

use crate::discovery::DiscoveryError;
use crate::transport::FetchError;
use auth_jose::jws::JwsError;

/// Why [`Verifier::verify`](crate::Verifier::verify) did not return claims.
///
/// [`is_token_error`](Self::is_token_error) separates a bad token (answer `401`) from an
/// authorization server that could not be asked (answer `503`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a compact JWS, or its header or claims are not an RFC 9068 access token's.
    #[error("the token is malformed: {0}")]
    Malformed(String),
    /// The header's `alg` is not one the authorization server signs with (`RS256`, `ES256`,
    /// `EdDSA`): `none` and the HMAC algorithms are refused.
    // The messages never repeat what a token header says (`alg`, `kid`, `typ`: anyone can write
    // them, and guards send the message back as `error_description`); the fields keep it.
    #[error("the token's algorithm is not accepted; only RS256, ES256 and EdDSA are")]
    AlgorithmNotAllowed(String),
    /// The header's `alg` is not the algorithm of the key its `kid` names (algorithm
    /// confusion, RFC 8725 section 2.1).
    #[error("the token's algorithm is not the algorithm of the key it names")]
    AlgorithmMismatch {
        /// The header's `alg`.
        alg: String,
        /// The header's `kid`.
        kid: String,
        /// The `alg` of the issuer's key.
        key_alg: String,
    },
    /// The header's `typ` is not `at+jwt` (an ID token, or some other JWT).
    #[error("the token's type is not `at+jwt` (RFC 9068 section 4)")]
    WrongType {
        /// The header's `typ`.
        found: Option<String>,
    },
    /// The `kid` is not a signing key (RS256, ES256 or EdDSA) the issuer publishes.
    #[error("the token is signed with a key the issuer does not publish")]
    UnknownKey(String),
    /// The signature does not verify: the token was altered or signed by someone else.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Signed by a key of the issuer, but naming another issuer.
    #[error("the token was issued by `{found}`, not by `{expected}`")]
    WrongIssuer {
        /// The configured issuer.
        expected: String,
        /// The token's `iss`.
        found: String,
    },
    /// The configured audience is not in the token's `aud`.
    #[error("the token is meant for {found:?}, not for `{expected}`")]
    WrongAudience {
        /// The configured audience.
        expected: String,
        /// The token's `aud`.
        found: Vec<String>,
    },
    /// Past `exp` (plus the leeway).
    #[error("the token expired at {exp} (seconds since the epoch)")]
    Expired {
        /// The token's `exp`.
        exp: i64,
    },
    /// Before `nbf` (minus the leeway).
    #[error("the token is not valid before {nbf} (seconds since the epoch)")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
    },
    /// Introspection mode: the authorization server says the token is no longer active
    /// (revoked, or its grant ended).
    #[error("the authorization server says the token is no longer active")]
    Inactive,
    /// The key set could not be fetched.
    #[error("cannot read the issuer's keys: {0}")]
    Jwks(FetchError),
    /// Introspection mode: the authorization server could not be asked.
    #[error("cannot ask the authorization server whether the token is active: {0}")]
    Introspection(FetchError),
    /// The provider metadata could not be used (only when building a [`Verifier`](crate::Verifier)).
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// The token is bound to a DPoP key (`cnf.jkt`) but was presented as a bearer token (RFC
    /// 9449 section 7.2): use [`Verifier::verify_dpop`](crate::Verifier::verify_dpop).
    #[error("the token is bound to a DPoP key: it must be sent with the DPoP scheme and a proof")]
    DpopBound,
    /// The token was sent with the DPoP scheme but is not bound to a key.
    #[error("the token is not bound to a DPoP key: send it with the Bearer scheme")]
    NotDpopBound,
    /// The DPoP proof is missing, invalid, replayed, or signed by another key than the token's.
    #[error("{0}")]
    DpopProof(String),
}

impl VerifyError {
    /// The refusal of `auth-jose`, as this crate has always named it. (Kept out of the public
    /// API as a `From`, so `auth-jose` stays an implementation detail.)
    pub(crate) fn from_jws(error: JwsError) -> Self {
        match error {
            JwsError::Malformed(why) => Self::Malformed(why.to_owned()),
            JwsError::AlgorithmNotAllowed(alg) => Self::AlgorithmNotAllowed(alg),
            JwsError::AlgorithmMismatch { alg, kid, key_alg } => Self::AlgorithmMismatch {
                alg: alg.as_str().to_owned(),
                kid,
                key_alg: key_alg.as_str().to_owned(),
            },
            JwsError::WrongType { found, .. } => Self::WrongType { found },
            JwsError::UnknownKey(kid) => Self::UnknownKey(kid),
            JwsError::BadSignature => Self::BadSignature,
            // Only signing fails this way; nothing here signs.
            JwsError::Signing(why) => Self::Malformed(why),
        }
    }

    /// Whether the token itself is at fault. `false` means the authorization server could not
    /// be reached or answered badly: the token may be fine.
    pub fn is_token_error(&self) -> bool {
        !matches!(
            self,
            Self::Jwks(_) | Self::Introspection(_) | Self::Discovery(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_never_repeat_what_the_token_header_says() {
        let header_text = "call +1 555 0100";
        for error in [
            VerifyError::AlgorithmNotAllowed(header_text.to_owned()),
            VerifyError::AlgorithmMismatch {
                alg: header_text.to_owned(),
                kid: header_text.to_owned(),
                key_alg: "RS256".to_owned(),
            },
            VerifyError::WrongType {
                found: Some(header_text.to_owned()),
            },
            VerifyError::UnknownKey(header_text.to_owned()),
        ] {
            assert!(!error.to_string().contains("555"), "{error}");
        }
    }
}
