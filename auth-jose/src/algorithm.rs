//! The JWS algorithms (RFC 7518 section 3, RFC 8037 section 3.1) this crate signs and verifies
//! with. `none` and the HMAC algorithms are not among them: no token "signed" with a public key
//! used as an HMAC secret, and no unsigned token, can ever verify.

use std::fmt;

/// A JWS algorithm: each key is used with exactly one (RFC 8725 section 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 section 3.3), the OIDC default.
    Rs256,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 section 3.4).
    Es256,
    /// EdDSA with Ed25519 (RFC 8037 section 3.1). Ed448 is not offered.
    EdDsa,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256 (RFC 7518 section 3.5). Accepted from
    /// clients (FAPI 2.0 allows it); the server's own keys use the other three.
    Ps256,
}

impl SigningAlgorithm {
    /// The algorithms the server signs its own tokens with, in the order configuration errors
    /// list them.
    pub const ALL: [Self; 3] = [Self::Rs256, Self::Es256, Self::EdDsa];

    /// The algorithms a client may sign with (`private_key_jwt` assertions, request objects,
    /// DPoP proofs): the server's three and PS256.
    pub const FROM_CLIENTS: [Self; 4] = [Self::Rs256, Self::Ps256, Self::Es256, Self::EdDsa];

    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Ps256 => "PS256",
        }
    }

    /// Parses a JWS `alg` or JWK `alg` name (case-sensitive, RFC 7515 section 4.1.1).
    /// `Ed25519` is read as EdDSA: RFC 9864 section 2.2 registers it as the fully-specified
    /// name of EdDSA with Ed25519, the only EdDSA this crate knows, and client libraries (jose,
    /// openid-client) sign with it.
    pub fn parse(name: &str) -> Option<Self> {
        if name == "Ed25519" {
            return Some(Self::EdDsa);
        }
        Self::FROM_CLIENTS
            .into_iter()
            .find(|alg| alg.as_str() == name)
    }

    /// The hash of OIDC's `at_hash` and `c_hash` claims for ID tokens signed with this
    /// algorithm (OIDC Core section 3.1.3.6: the hash of the `alg`). RS256 and ES256 name
    /// SHA-256. EdDSA names none; Ed25519 hashes with SHA-512 (RFC 8032 section 5.1), which is
    /// what the OpenID Connect working group agreed (openid/connect issue 1125) and what
    /// node-oidc-provider (oidc-token-hash) and the `openidconnect` crate do.
    pub fn claim_hash(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            Self::Rs256 | Self::Es256 | Self::Ps256 => &aws_lc_rs::digest::SHA256,
            Self::EdDsa => &aws_lc_rs::digest::SHA512,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_are_case_sensitive() {
        for algorithm in SigningAlgorithm::FROM_CLIENTS {
            assert_eq!(SigningAlgorithm::parse(algorithm.as_str()), Some(algorithm));
        }
        assert_eq!(SigningAlgorithm::parse("eddsa"), None);
        assert_eq!(
            SigningAlgorithm::parse("Ed25519"),
            Some(SigningAlgorithm::EdDsa)
        );
        assert_eq!(SigningAlgorithm::parse("Ed448"), None);
        assert_eq!(SigningAlgorithm::parse("HS256"), None);
    }
}
