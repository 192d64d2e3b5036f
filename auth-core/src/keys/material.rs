//! The cryptographic part of a signing key: aws-lc-rs key pairs, parsed once.
//!
//! Signing never goes through the `rsa` crate (RUSTSEC-2023-0071).

use auth_proto::jwk::Jwk;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    KeyPair, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;

/// The JWS algorithms this server signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 section 3.3), the OIDC default.
    Rs256,
}

impl SigningAlgorithm {
    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
        }
    }

    /// Parses a JWS `alg` name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why key material could not be created or read.
#[derive(Debug, thiserror::Error)]
pub enum MaterialError {
    /// The bytes are not a key of the expected algorithm.
    #[error("the stored private key is not a valid {0} key")]
    Rejected(SigningAlgorithm),
    /// The crypto backend failed.
    #[error("the crypto backend failed to {0}")]
    Crypto(&'static str),
    /// The requested RSA size is not offered.
    #[error("RSA keys must be 2048, 3072 or 4096 bits; got {0}")]
    RsaSize(u32),
}

enum Pair {
    Rsa(RsaKeyPair),
}

/// A key pair ready to sign, its public key ready to verify, and its public JWK.
pub struct KeyMaterial {
    algorithm: SigningAlgorithm,
    pair: Pair,
    verifier: ParsedPublicKey,
    jwk: Jwk,
}

impl KeyMaterial {
    /// Generates a new key and returns it with its PKCS#8 encoding (to be sealed and stored).
    /// CPU-heavy (about 100 ms for RSA 2048): call it off the async runtime.
    pub fn generate(
        algorithm: SigningAlgorithm,
        rsa_bits: u32,
    ) -> Result<(Self, Vec<u8>), MaterialError> {
        match algorithm {
            SigningAlgorithm::Rs256 => {
                let size = match rsa_bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    other => return Err(MaterialError::RsaSize(other)),
                };
                let pair = RsaKeyPair::generate(size)
                    .map_err(|_| MaterialError::Crypto("generate an RSA key"))?;
                let pkcs8 = pair
                    .as_der()
                    .map_err(|_| MaterialError::Crypto("encode an RSA key"))?
                    .as_ref()
                    .to_vec();
                Ok((Self::from_rsa(pair)?, pkcs8))
            }
        }
    }

    /// Reads a key from its PKCS#8 encoding.
    pub fn from_pkcs8(algorithm: SigningAlgorithm, pkcs8: &[u8]) -> Result<Self, MaterialError> {
        match algorithm {
            SigningAlgorithm::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(pkcs8)
                    .map_err(|_| MaterialError::Rejected(algorithm))?;
                Self::from_rsa(pair)
            }
        }
    }

    fn from_rsa(pair: RsaKeyPair) -> Result<Self, MaterialError> {
        let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let verifier = components
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| MaterialError::Crypto("parse an RSA public key"))?;
        let n = URL_SAFE_NO_PAD.encode(&components.n);
        let e = URL_SAFE_NO_PAD.encode(&components.e);
        // RFC 7638 section 3.2: the thumbprint input has the required members only, in
        // lexicographic order, without white space.
        let thumbprint_input = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            thumbprint_input.as_bytes(),
        ));
        let jwk = Jwk {
            kty: "RSA".into(),
            kid,
            use_: "sig".into(),
            alg: SigningAlgorithm::Rs256.as_str().into(),
            n: Some(n),
            e: Some(e),
            crv: None,
            x: None,
            y: None,
        };
        Ok(Self {
            algorithm: SigningAlgorithm::Rs256,
            pair: Pair::Rsa(pair),
            verifier,
            jwk,
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The key id: the RFC 7638 JWK thumbprint.
    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    /// The public JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, MaterialError> {
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                let rng = aws_lc_rs::rand::SystemRandom::new();
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| MaterialError::Crypto("sign"))?;
                Ok(signature)
            }
        }
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verifier.verify_sig(message, signature).is_ok()
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_round_trips_through_pkcs8_and_verifies_its_signatures() {
        let (key, pkcs8) = KeyMaterial::generate(SigningAlgorithm::Rs256, 2048).unwrap();
        let again = KeyMaterial::from_pkcs8(SigningAlgorithm::Rs256, &pkcs8).unwrap();
        assert_eq!(key.kid(), again.kid());
        let signature = key.sign(b"message").unwrap();
        assert_eq!(signature.len(), 256);
        assert!(again.verify(b"message", &signature));
        assert!(!again.verify(b"messagE", &signature));
        assert_eq!(key.jwk().e.as_deref(), Some("AQAB"));
    }

    #[test]
    fn unsupported_rsa_sizes_are_refused() {
        let err = KeyMaterial::generate(SigningAlgorithm::Rs256, 1024).unwrap_err();
        assert!(err.to_string().contains("2048, 3072 or 4096"));
    }
}
