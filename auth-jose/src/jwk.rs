//! JSON Web Keys ([RFC 7517](https://www.rfc-editor.org/rfc/rfc7517)): the public keys as
//! published ([`Jwk`], [`JwkSet`]), their RFC 7638 thumbprints, and the same keys parsed for
//! verification ([`PublicKey`], [`KeySet`]).

use crate::SigningAlgorithm;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
    RSA_PSS_2048_8192_SHA256, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// One public key. Only the members this server publishes are modelled; unknown members are
/// ignored when parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Key id, also the `kid` header of every token signed with this key.
    pub kid: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// The JWS algorithm this key is used with (`RS256`, `ES256`, `EdDSA`).
    pub alg: String,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve of an `EC` or `OKP` key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate or OKP public key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A JWK set, the body of the `jwks_uri` endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The published keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The key with this `kid`, if published.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

/// Why a JWK gives no verification key.
#[derive(Debug, thiserror::Error)]
pub enum JwkError {
    /// Not a signing key this crate verifies with: `use` is not `sig`, `alg` is not RS256,
    /// ES256 or EdDSA, the key type or curve is not the algorithm's, or a member is missing
    /// or not base64url.
    #[error("not an RS256, ES256 or EdDSA signing key")]
    Unsupported,
    /// A key of the right kind that aws-lc-rs refuses (an RSA modulus under 2048 bits, a point
    /// off the curve).
    #[error("the key is unusable: {0}")]
    Rejected(aws_lc_rs::error::KeyRejected),
}

/// A published key, parsed, with the one algorithm it verifies.
pub struct PublicKey {
    algorithm: SigningAlgorithm,
    key: ParsedPublicKey,
}

impl PublicKey {
    /// A parsed key of `algorithm`.
    pub(crate) fn new(algorithm: SigningAlgorithm, key: ParsedPublicKey) -> Self {
        Self { algorithm, key }
    }

    /// The verification key of a signing JWK: RSA for RS256, EC P-256 for ES256, OKP Ed25519
    /// for EdDSA.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JwkError> {
        let unsupported = || JwkError::Unsupported;
        // RFC 7517 sections 4.2 and 4.4: honour `use` and `alg` when the key states them.
        if jwk.use_ != "sig" {
            return Err(unsupported());
        }
        let algorithm = SigningAlgorithm::parse(&jwk.alg).ok_or_else(unsupported)?;
        let decode = |member: &Option<String>| {
            URL_SAFE_NO_PAD
                .decode(member.as_deref().ok_or_else(unsupported)?)
                .map_err(|_| unsupported())
        };
        let parsed = match (algorithm, jwk.kty.as_str(), jwk.crv.as_deref()) {
            (SigningAlgorithm::Rs256 | SigningAlgorithm::Ps256, "RSA", _) => {
                let unsigned = |member: &Option<String>| {
                    let bytes = decode(member)?;
                    let start = bytes.iter().position(|b| *b != 0).ok_or_else(unsupported)?;
                    Ok::<_, JwkError>(bytes[start..].to_vec())
                };
                RsaPublicKeyComponents {
                    n: unsigned(&jwk.n)?,
                    e: unsigned(&jwk.e)?,
                }
                .to_parsed_public_key(if algorithm == SigningAlgorithm::Ps256 {
                    &RSA_PSS_2048_8192_SHA256
                } else {
                    &RSA_PKCS1_2048_8192_SHA256
                })
            }
            (SigningAlgorithm::Es256, "EC", Some("P-256")) => {
                // RFC 7518 section 6.2.1.2: `x` and `y` are the full 32-byte coordinates.
                let (x, y) = (decode(&jwk.x)?, decode(&jwk.y)?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(unsupported());
                }
                let point = [&[0x04][..], &x, &y].concat();
                ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            }
            (SigningAlgorithm::EdDsa, "OKP", Some("Ed25519")) => {
                // RFC 8037 section 2: `x` is the 32-byte public key.
                let x = decode(&jwk.x)?;
                // A point of small order (or none at all) lets anyone make signatures that
                // verify: aws-lc-rs accepts such keys, so they are refused here.
                let point: [u8; 32] = x.as_slice().try_into().map_err(|_| unsupported())?;
                let usable = curve25519_dalek::edwards::CompressedEdwardsY(point)
                    .decompress()
                    .is_some_and(|point| !point.is_small_order());
                if !usable {
                    return Err(unsupported());
                }
                ParsedPublicKey::new(&ED25519, x)
            }
            _ => return Err(unsupported()),
        };
        parsed
            .map(|key| Self { algorithm, key })
            .map_err(JwkError::Rejected)
    }

    /// The algorithm its JWK states.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// Whether `signature` is this key's signature of `message`. An ES256 signature is R || S,
    /// 64 bytes (RFC 7518 section 3.4), an EdDSA one the 64-byte Ed25519 signature (RFC 8037
    /// section 3.1); other forms, DER-encoded ECDSA signatures included, are refused.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Verification keys by `kid`, parsed once: what a token is verified against
/// ([`jws::verify`](crate::jws::verify)).
#[derive(Debug, Default)]
pub struct KeySet {
    keys: HashMap<String, PublicKey>,
}

impl KeySet {
    /// The usable keys of `jwks`; keys of other types, curves, algorithms or uses are left
    /// out, so a token naming them is signed with an unknown key.
    pub fn from_jwks(jwks: &JwkSet) -> Self {
        let keys = jwks
            .keys
            .iter()
            .filter_map(|jwk| Some((jwk.kid.clone(), PublicKey::from_jwk(jwk).ok()?)))
            .collect();
        Self { keys }
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.get(kid)
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// RFC 7638 section 3.2: the thumbprint input holds the required members only, in
/// lexicographic order, without white space; the thumbprint is its SHA-256, base64url.
fn thumbprint(input: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        input.as_bytes(),
    ))
}

/// RFC 7638 section 3.2 for an RSA key: `e`, `kty`, `n`.
pub(crate) fn rsa_thumbprint(n: &str, e: &str) -> String {
    thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#))
}

/// RFC 7638 section 3.2 for an EC key: `crv`, `kty`, `x`, `y`.
pub(crate) fn ec_thumbprint(x: &str, y: &str) -> String {
    thumbprint(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ))
}

/// RFC 8037 section 2 and appendix A.3: for an OKP key, `crv`, `kty`, `x`.
pub(crate) fn okp_thumbprint(x: &str) -> String {
    thumbprint(&format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyMaterial;

    #[test]
    fn the_rsa_thumbprint_matches_rfc_7638() {
        // RFC 7638 section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            rsa_thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn published_keys_of_every_algorithm_verify_their_signatures_and_nothing_else() {
        for algorithm in SigningAlgorithm::FROM_CLIENTS {
            let (pair, _) = KeyMaterial::generate(algorithm, 2048).unwrap();
            let key = PublicKey::from_jwk(pair.jwk()).unwrap();
            assert_eq!(key.algorithm(), algorithm);
            let signature = pair.sign(b"message").unwrap();
            assert!(key.verify(b"message", &signature), "{algorithm}");
            assert!(!key.verify(b"messagE", &signature), "{algorithm}");
        }
    }

    #[test]
    fn ed25519_keys_of_small_order_are_refused() {
        // The identity (y = 1) and a point of order 4 (y = 0): with them, a signature made
        // without any private key verifies.
        let (pair, _) = KeyMaterial::generate(SigningAlgorithm::EdDsa, 0).unwrap();
        for bytes in [
            {
                let mut one = [0u8; 32];
                one[0] = 1;
                one
            },
            [0u8; 32],
        ] {
            let weak = Jwk {
                x: Some(URL_SAFE_NO_PAD.encode(bytes)),
                ..pair.jwk().clone()
            };
            assert!(matches!(
                PublicKey::from_jwk(&weak),
                Err(JwkError::Unsupported)
            ));
        }
        assert!(PublicKey::from_jwk(pair.jwk()).is_ok());
    }

    #[test]
    fn keys_of_other_uses_algorithms_or_types_are_left_out_of_a_set() {
        let (pair, _) = KeyMaterial::generate(SigningAlgorithm::EdDsa, 0).unwrap();
        let good = pair.jwk().clone();
        let encryption = Jwk {
            kid: "enc".into(),
            use_: "enc".into(),
            ..good.clone()
        };
        let hmac = Jwk {
            kid: "hmac".into(),
            alg: "HS256".into(),
            ..good.clone()
        };
        let wrong_type = Jwk {
            kid: "rsa".into(),
            alg: "RS256".into(),
            ..good.clone()
        };
        for jwk in [&encryption, &hmac, &wrong_type] {
            assert!(matches!(
                PublicKey::from_jwk(jwk),
                Err(JwkError::Unsupported)
            ));
        }
        let short = Jwk {
            kid: "short".into(),
            x: Some(URL_SAFE_NO_PAD.encode([1; 31])),
            ..good.clone()
        };
        assert!(matches!(
            PublicKey::from_jwk(&short),
            Err(JwkError::Unsupported)
        ));
        let set = KeySet::from_jwks(&JwkSet {
            keys: vec![encryption, hmac, wrong_type, short, good.clone()],
        });
        assert_eq!(set.len(), 1);
        assert!(set.get(&good.kid).is_some());
    }
}
