//! JWS compact serialization ([RFC 7515](https://www.rfc-editor.org/rfc/rfc7515)): signing
//! with a [`KeyMaterial`], and verifying against public keys under caller-given [`Rules`].
//!
//! Verifying is two steps, so the caller decides where the key comes from: [`Unverified::parse`]
//! splits the token and checks its header (size, `alg` among the allowed ones, `typ`, no
//! `crit`, a `kid`) without touching a key; [`Unverified::verify`] then checks that the key the
//! `kid` names is a key of the header's algorithm and the signature with it, and decodes the
//! payload. [`verify`] does both against a [`KeySet`].
//!
//! Signing goes straight to the parsed aws-lc-rs key pair: re-parsing a private key on every
//! signature (as `jsonwebtoken` does) nearly halves the signing rate. Verification decodes the
//! parts onto the stack and remembers the last header that passed (see `header`), so a token
//! of ordinary size costs its signature check and little else.

mod decode;
mod header;

pub use header::{Rules, Typ};

use crate::{KeyMaterial, KeySet, PublicKey, SigningAlgorithm};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use decode::{decoded, is_base64url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest token accepted for verification, in bytes.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Signatures up to this size (RSA keys up to 4096 bits) stay on the stack.
const SIGNATURE_INLINE: usize = 512;
/// Decoded claims up to this size stay on the stack.
const PAYLOAD_INLINE: usize = 2048;

/// The protected header, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Algorithm.
    pub alg: String,
    /// Media type of the token (`at+jwt` for access tokens, `JWT` for ID tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// Why a token was not accepted, or could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not a well-formed compact JWS, or its header breaks a rule every token must keep (a
    /// `kid`, no `crit`).
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not among the allowed algorithms: `none` and the HMAC algorithms
    /// never are.
    // The messages never repeat what the header says (`alg`, `kid`, `typ`): they reach pages and
    // `WWW-Authenticate` challenges, where an attacker's text does not belong.
    #[error("the token is signed with an algorithm that is not accepted here")]
    AlgorithmNotAllowed(String),
    /// The header's `alg` is not the algorithm of the key its `kid` names (algorithm
    /// confusion, RFC 8725 section 2.1).
    #[error("the token's algorithm is not the algorithm of the key it names")]
    AlgorithmMismatch {
        /// The header's `alg`.
        alg: SigningAlgorithm,
        /// The header's `kid`.
        kid: String,
        /// The algorithm of the key.
        key_alg: SigningAlgorithm,
    },
    /// The header's `typ` is not the one the rules ask for.
    #[error("the token's type is not `{expected}`")]
    WrongType {
        /// The media type asked for.
        expected: String,
        /// The header's `typ`.
        found: Option<String>,
    },
    /// The `kid` names no key of the set.
    #[error("the token is signed with an unknown key")]
    UnknownKey(String),
    /// The signature does not verify: the token was altered or signed by someone else.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Serializes and signs `claims` with `key`, under a header naming the key's algorithm, `typ`
/// and the key's `kid`.
pub fn sign(key: &KeyMaterial, typ: &str, claims: &impl Serialize) -> Result<String, JwsError> {
    let header = Header {
        alg: key.algorithm().as_str().to_owned(),
        typ: Some(typ.to_owned()),
        kid: Some(key.kid().to_owned()),
    };
    let header = serde_json::to_vec(&header).map_err(|e| JwsError::Signing(e.to_string()))?;
    let claims = serde_json::to_vec(claims).map_err(|e| JwsError::Signing(e.to_string()))?;
    let mut token = String::with_capacity(512 + claims.len() * 4 / 3);
    URL_SAFE_NO_PAD.encode_string(header, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut token);
    let signature = key
        .sign(token.as_bytes())
        .map_err(|e| JwsError::Signing(e.to_string()))?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// The `kid` of a token, read without verifying anything (to decide whether a key set needs a
/// refresh). Nothing of an over-long token is decoded.
pub fn peek_kid(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let header = token.split('.').next()?;
    let header = URL_SAFE_NO_PAD.decode(header).ok()?;
    serde_json::from_slice::<Header>(&header).ok()?.kid
}

/// A token whose header passed the rules; its signature is not verified yet.
#[derive(Debug)]
pub struct Unverified<'a> {
    signing_input: &'a str,
    payload: &'a str,
    /// base64url, checked; decoded when verified.
    signature: &'a str,
    alg: SigningAlgorithm,
    typ: Option<Arc<str>>,
    kid: Arc<str>,
}

impl<'a> Unverified<'a> {
    /// Splits the token and checks its header against `rules`: `alg`, `typ`, `crit`, `kid`.
    pub fn parse(token: &'a str, rules: &Rules<'_>) -> Result<Self, JwsError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(JwsError::Malformed("longer than 16 KiB"));
        }
        // The dots are ASCII, so the parts between them are `str`s too.
        let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
        let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
            return Err(JwsError::Malformed(
                "not three dot-separated parts (a compact JWS)",
            ));
        };
        let (encoded_header, payload, signature) = (
            &token[..first],
            &token[first + 1..second],
            &token[second + 1..],
        );
        let header = header::checked(encoded_header, rules)?;
        if !is_base64url(signature) {
            return Err(JwsError::Malformed("the signature is not base64url"));
        }
        Ok(Self {
            signing_input: &token[..second],
            payload,
            signature,
            alg: header.alg,
            typ: header.typ,
            kid: header.kid,
        })
    }

    /// The key the header names; empty when it names none (only where the rules allow it).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The header's algorithm.
    pub fn alg(&self) -> SigningAlgorithm {
        self.alg
    }

    /// The header's `typ`, as sent.
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// The header's members this crate reads.
    pub fn header(&self) -> Header {
        Header {
            alg: self.alg.as_str().to_owned(),
            typ: self.typ.as_deref().map(str::to_owned),
            kid: (!self.kid.is_empty()).then(|| self.kid.to_string()),
        }
    }

    /// Checks that `key` is a key of the header's algorithm and the signature with it, then
    /// returns the decoded payload.
    pub fn verify(&self, key: &PublicKey) -> Result<Vec<u8>, JwsError> {
        self.check_signature(key)?;
        URL_SAFE_NO_PAD
            .decode(self.payload)
            .map_err(|_| JwsError::Malformed("the payload is not base64url"))
    }

    /// [`verify`](Self::verify), then reads the payload as JSON into `T`, decoded on the
    /// stack when it is of ordinary size.
    pub fn verify_json<T: DeserializeOwned>(&self, key: &PublicKey) -> Result<T, JwsError> {
        self.check_signature(key)?;
        decoded::<PAYLOAD_INLINE, _>(self.payload, |bytes| header::json(bytes))
            .flatten()
            .ok_or(JwsError::Malformed(
                "the payload is not a JSON object of JWT claims",
            ))
    }

    fn check_signature(&self, key: &PublicKey) -> Result<(), JwsError> {
        // RFC 8725 section 3.1: a key is used with exactly one algorithm, the one its JWK
        // states; a header naming another (an ES256 header on an RSA key's `kid`) is refused
        // before any signature check.
        if key.algorithm() != self.alg {
            return Err(JwsError::AlgorithmMismatch {
                alg: self.alg,
                kid: self.kid.to_string(),
                key_alg: key.algorithm(),
            });
        }
        // The parsed key refuses signatures of another form than its algorithm's (see
        // `PublicKey::verify`).
        let valid = decoded::<SIGNATURE_INLINE, _>(self.signature, |signature| {
            key.verify(self.signing_input.as_bytes(), signature)
        })
        .ok_or(JwsError::Malformed("the signature is not base64url"))?;
        if valid {
            Ok(())
        } else {
            Err(JwsError::BadSignature)
        }
    }
}

/// A token whose signature verified.
#[derive(Debug)]
pub struct Verified {
    /// Its header.
    pub header: Header,
    /// Its payload bytes (JSON).
    pub payload: Vec<u8>,
}

/// Verifies a compact JWS against `keys` under `rules`: the header, the key its `kid` names,
/// that key's algorithm, the signature.
pub fn verify(token: &str, keys: &KeySet, rules: &Rules<'_>) -> Result<Verified, JwsError> {
    let unverified = Unverified::parse(token, rules)?;
    let key = keys
        .get(unverified.kid())
        .ok_or_else(|| JwsError::UnknownKey(unverified.kid().to_owned()))?;
    let payload = unverified.verify(key)?;
    Ok(Verified {
        header: unverified.header(),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JwkSet;

    fn keys() -> Vec<KeyMaterial> {
        SigningAlgorithm::ALL
            .into_iter()
            .map(|algorithm| KeyMaterial::generate(algorithm, 2048).unwrap().0)
            .collect()
    }

    fn key_set(keys: &[KeyMaterial]) -> KeySet {
        KeySet::from_jwks(&JwkSet {
            keys: keys.iter().map(|key| key.jwk().clone()).collect(),
        })
    }

    /// A token of `payload` under `header`, signed with `signer`.
    fn signed(signer: &KeyMaterial, header: &serde_json::Value, payload: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature = signer.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    const ANY: Rules<'static> = Rules {
        algorithms: &SigningAlgorithm::ALL,
        typ: Typ::Any,
        require_kid: true,
    };

    #[test]
    fn each_key_verifies_its_own_algorithm_only() {
        let keys = keys();
        let set = key_set(&keys);
        for signer in &keys {
            let token = sign(signer, "JWT", &serde_json::json!({"sub": "s"})).unwrap();
            let verified = verify(&token, &set, &ANY).unwrap();
            assert_eq!(verified.header.alg, signer.algorithm().as_str());
            assert_eq!(verified.header.typ.as_deref(), Some("JWT"));
            assert_eq!(verified.payload, br#"{"sub":"s"}"#);
            for other in keys.iter().filter(|k| k.kid() != signer.kid()) {
                // A header naming another key's kid with this key's alg and signature.
                let header =
                    serde_json::json!({"alg": signer.algorithm().as_str(), "kid": other.kid()});
                let confused = signed(signer, &header, b"{}");
                assert!(matches!(
                    verify(&confused, &set, &ANY),
                    Err(JwsError::AlgorithmMismatch { .. })
                ));
            }
        }
    }

    #[test]
    fn only_the_allowed_algorithms_and_known_keys_verify() {
        let keys = keys();
        let set = key_set(&keys);
        let only_es256 = Rules {
            algorithms: &[SigningAlgorithm::Es256],
            typ: Typ::Any,
            require_kid: true,
        };
        for signer in &keys {
            let token = sign(signer, "JWT", &serde_json::json!({})).unwrap();
            let result = verify(&token, &set, &only_es256);
            if signer.algorithm() == SigningAlgorithm::Es256 {
                assert!(result.is_ok());
            } else {
                assert_eq!(
                    result.unwrap_err(),
                    JwsError::AlgorithmNotAllowed(signer.algorithm().as_str().to_owned())
                );
            }
        }
        let token = sign(&keys[0], "JWT", &serde_json::json!({})).unwrap();
        let without = key_set(&keys[1..]);
        assert_eq!(
            verify(&token, &without, &ANY).unwrap_err(),
            JwsError::UnknownKey(keys[0].kid().to_owned())
        );
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 1, 'e');
        assert!(verify(&tampered, &set, &ANY).is_err());
    }

    #[test]
    fn the_payload_is_read_as_json_or_refused() {
        let keys = keys();
        let signer = &keys[2];
        let header = serde_json::json!({"alg": "EdDSA", "kid": signer.kid()});
        let key = signer.public_key();
        let token = signed(signer, &header, br#"{"sub":"s"}"#);
        let unverified = Unverified::parse(&token, &ANY).unwrap();
        let claims: serde_json::Value = unverified.verify_json(key).unwrap();
        assert_eq!(claims["sub"], "s");
        let token = signed(signer, &header, b"not json");
        let unverified = Unverified::parse(&token, &ANY).unwrap();
        assert!(matches!(
            unverified.verify_json::<serde_json::Value>(key),
            Err(JwsError::Malformed(_))
        ));
        assert_eq!(unverified.verify(key).unwrap(), b"not json");
    }

    #[test]
    fn a_kid_is_peeked_without_verifying_and_not_from_an_over_long_token() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#);
        assert_eq!(peek_kid(&format!("{header}.e30.")).as_deref(), Some("k1"));
        let long = format!("{header}.{}.", "A".repeat(MAX_TOKEN_LEN));
        assert_eq!(peek_kid(&long), None);
    }
}
