//! JWS compact serialization ([RFC 7515](https://www.rfc-editor.org/rfc/rfc7515)) signed and
//! verified with the key ring.
//!
//! Signing goes straight to the parsed aws-lc-rs key pair held by the ring: `jsonwebtoken`
//! re-parses the private key on every signature, which nearly halves the signing rate.
//! Verification here is for the server's own tokens (introspection, userinfo, `id_token_hint`);
//! the header's `alg` must be the key's algorithm, so a token cannot pick a weaker one.

use crate::keys::{KeyRing, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Longest token accepted for verification, in bytes.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The protected header.
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

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not a well-formed compact JWS.
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    /// The `kid` is not a published key.
    #[error("the token is signed with an unknown key")]
    UnknownKey,
    /// `alg` is not the algorithm of the key.
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Serializes and signs `claims` with `key`.
pub fn sign(key: &SigningKey, typ: &str, claims: &impl Serialize) -> Result<String, JwsError> {
    let header = Header {
        alg: key.material.algorithm().as_str().to_owned(),
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
        .material
        .sign(token.as_bytes())
        .map_err(|e| JwsError::Signing(e.to_string()))?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// A token whose signature verified.
#[derive(Debug)]
pub struct Verified {
    /// Its header.
    pub header: Header,
    /// Its payload bytes (JSON).
    pub payload: Vec<u8>,
}

/// The `kid` of a token, read without verifying anything (to decide whether the ring needs a
/// refresh). Nothing of an over-long token is decoded.
pub fn peek_kid(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let header = token.split('.').next()?;
    let header = URL_SAFE_NO_PAD.decode(header).ok()?;
    serde_json::from_slice::<Header>(&header).ok()?.kid
}

/// Verifies a compact JWS against the keys published at `now`.
pub fn verify(ring: &KeyRing, now: i64, token: &str) -> Result<Verified, JwsError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwsError::Malformed("longer than 16 KiB"));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed("not three dot-separated parts"));
    };
    let header = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| JwsError::Malformed("header is not base64url"))?;
    let header: Header =
        serde_json::from_slice(&header).map_err(|_| JwsError::Malformed("header is not JSON"))?;
    let kid = header.kid.as_deref().ok_or(JwsError::Malformed("no kid"))?;
    let key = ring.verifying_key(kid, now).ok_or(JwsError::UnknownKey)?;
    if header.alg != key.material.algorithm().as_str() {
        return Err(JwsError::AlgorithmMismatch);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| JwsError::Malformed("signature is not base64url"))?;
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    if !key.material.verify(signing_input.as_bytes(), &signature) {
        return Err(JwsError::BadSignature);
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| JwsError::Malformed("payload is not base64url"))?;
    Ok(Verified { header, payload })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyMaterial, SigningAlgorithm};
    use std::sync::Arc;

    fn key(algorithm: SigningAlgorithm, generation: i64) -> SigningKey {
        let (material, _) = KeyMaterial::generate(algorithm, 2048).unwrap();
        SigningKey {
            generation,
            activates_at: 0,
            retires_at: None,
            expires_at: None,
            material: Arc::new(material),
        }
    }

    /// Re-signs `token` with `signer` under a header naming `alg` and `kid`.
    fn resigned(signer: &SigningKey, alg: &str, kid: &str) -> String {
        let header = serde_json::to_vec(&Header {
            alg: alg.to_owned(),
            typ: Some("JWT".to_owned()),
            kid: Some(kid.to_owned()),
        })
        .unwrap();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(b"{}")
        );
        let signature = signer.material.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn a_mixed_ring_verifies_each_key_with_its_own_algorithm_only() {
        let keys: Vec<SigningKey> = [
            SigningAlgorithm::Rs256,
            SigningAlgorithm::Es256,
            SigningAlgorithm::EdDsa,
        ]
        .into_iter()
        .zip(1..)
        .map(|(algorithm, generation)| key(algorithm, generation))
        .collect();
        let ring = KeyRing::new(keys.clone());
        for signer in &keys {
            let token = sign(signer, "JWT", &serde_json::json!({"sub": "s"})).unwrap();
            let verified = verify(&ring, 0, &token).unwrap();
            assert_eq!(verified.header.alg, signer.material.algorithm().as_str());
            for other in keys.iter().filter(|k| k.kid() != signer.kid()) {
                // A header naming another key's kid with this key's alg and signature.
                let confused = resigned(signer, signer.material.algorithm().as_str(), other.kid());
                assert_eq!(
                    verify(&ring, 0, &confused).unwrap_err(),
                    JwsError::AlgorithmMismatch
                );
            }
        }
    }
}
