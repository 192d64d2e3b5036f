//! DPoP proofs, [RFC 9449](https://www.rfc-editor.org/rfc/rfc9449): a JWT the client signs for
//! each request with a key it holds, whose public half travels in the header. Tokens issued
//! with a proof are bound to the key's thumbprint (`cnf.jkt`), so a stolen token is useless
//! without the key.
//!
//! [`verify`] does the checks of section 4.3 that need nothing but the proof and the request:
//! the header (`typ`, an asymmetric `alg`, a public `jwk`), the signature with that key, `htm`,
//! `htu`, and `ath` when an access token comes with it. What needs state or a clock (the `iat`
//! window, `jti` replay, server nonces) is the caller's, which knows its storage and time.
//! [`sign`] makes a proof, for clients and tests.

use crate::jwk::{ec_thumbprint, okp_thumbprint, rsa_thumbprint};
use crate::jws::{JwsError, Rules, Typ};
use crate::{ClientKeys, KeyMaterial, SigningAlgorithm};
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

/// The `typ` of a proof (section 4.2).
pub const TYP: &str = "dpop+jwt";

/// Header rules of a proof: the algorithms clients may use, `typ` `dpop+jwt`, no `kid` (the key
/// is in `jwk`).
const PROOF: Rules<'static> = Rules {
    algorithms: &SigningAlgorithm::FROM_CLIENTS,
    typ: Typ::Is("dpop+jwt"),
    require_kid: false,
};

/// Why a proof was refused. The messages never repeat what the proof says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DpopError {
    /// Not a proof at all, or one missing what section 4.2 requires.
    #[error("the DPoP proof is malformed: {0}")]
    Malformed(&'static str),
    /// The `jwk` header is not a public signing key this server verifies with.
    #[error("the DPoP proof's jwk is not a public RSA, P-256 or Ed25519 key")]
    Key,
    /// The signature, `alg` or `typ` failed.
    #[error("the DPoP proof was refused: {0}")]
    Jws(#[from] JwsError),
    /// `htm` is not the request's method.
    #[error("the DPoP proof is for another HTTP method (htm)")]
    Method,
    /// `htu` is not the request's URL.
    #[error("the DPoP proof is for another URL (htu)")]
    Url,
    /// `ath` is missing or not the hash of the access token sent with it.
    #[error("the DPoP proof is not for this access token (ath)")]
    AccessTokenHash,
}

/// What a proof that passed says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 thumbprint of its key: what tokens are bound to (`cnf.jkt`).
    pub jkt: String,
    /// Its unique id, for the replay check.
    pub jti: String,
    /// When it was made, seconds since the epoch.
    pub iat: i64,
    /// The server nonce it carries, if any.
    pub nonce: Option<String>,
    /// The algorithm it is signed with.
    pub alg: SigningAlgorithm,
}

#[derive(Deserialize)]
struct Claims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<i64>,
    ath: Option<String>,
    nonce: Option<String>,
}

/// The request a proof must be for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The URL of the request, as the client addressed it (query and fragment are ignored).
    pub url: &'a str,
    /// The access token sent with the proof, at a protected resource.
    pub access_token: Option<&'a str>,
}

/// `ath`: base64url of the SHA-256 of the access token (section 4.2).
pub fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, access_token.as_bytes()))
}

/// The RFC 7638 thumbprint of a public JWK, when it is a key of a kind this crate knows.
pub fn thumbprint(jwk: &Value) -> Option<String> {
    let member = |name: &str| jwk.get(name).and_then(Value::as_str);
    match (member("kty")?, member("crv")) {
        ("RSA", _) => Some(rsa_thumbprint(member("n")?, member("e")?)),
        ("EC", Some("P-256")) => Some(ec_thumbprint(member("x")?, member("y")?)),
        ("OKP", Some("Ed25519")) => Some(okp_thumbprint(member("x")?)),
        _ => None,
    }
}

/// The URL as `htu` compares it: scheme and host lower-cased, the default port dropped, no
/// query or fragment (section 4.3, item 9, by RFC 3986 sections 6.2.2 and 6.2.3).
fn normalized(url: &str) -> Option<String> {
    let mut url = url::Url::parse(url).ok()?;
    url.set_query(None);
    url.set_fragment(None);
    Some(url.into())
}

/// Verifies `proof` for `request`: section 4.3, items 2 to 9 and 12 (the caller does the
/// `iat` window, `jti` replay and nonce).
pub fn verify(proof: &str, request: &Request<'_>) -> Result<Proof, DpopError> {
    if proof.len() > crate::jws::MAX_TOKEN_LEN {
        return Err(DpopError::Malformed("longer than 16 KiB"));
    }
    let header = proof
        .split('.')
        .next()
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .ok_or(DpopError::Malformed(
            "the header is not base64url-encoded JSON",
        ))?;
    let jwk = header
        .get("jwk")
        .filter(|jwk| jwk.is_object())
        .ok_or(DpopError::Malformed("the header has no jwk"))?;
    // Item 7: the key must not be a private key (ClientKeys refuses private members).
    let keys = ClientKeys::parse(&json!({"keys": [jwk]})).map_err(|_| DpopError::Key)?;
    let jkt = thumbprint(jwk).ok_or(DpopError::Key)?;
    // Items 4 to 6: `typ`, an asymmetric `alg` this server supports, the signature.
    let verified = keys.verify(proof, &PROOF)?;
    let alg = SigningAlgorithm::parse(&verified.header.alg)
        .ok_or(DpopError::Malformed("the header's alg is unknown"))?;
    let claims: Claims = serde_json::from_slice(&verified.payload)
        .map_err(|_| DpopError::Malformed("the payload is not JSON claims"))?;
    // Item 3: the required claims.
    let (Some(jti), Some(htm), Some(htu), Some(iat)) =
        (claims.jti, claims.htm, claims.htu, claims.iat)
    else {
        return Err(DpopError::Malformed("jti, htm, htu and iat are required"));
    };
    if jti.is_empty() || jti.len() > 256 {
        return Err(DpopError::Malformed("jti must be 1 to 256 characters"));
    }
    // Item 8: the method, compared exactly (methods are case-sensitive, RFC 9110 section 9.1).
    if htm != request.method {
        return Err(DpopError::Method);
    }
    // Item 9.
    if normalized(&htu).is_none() || normalized(&htu) != normalized(request.url) {
        return Err(DpopError::Url);
    }
    // Item 12: with an access token, `ath` is its hash (the key binding is the caller's check
    // of `cnf.jkt` against `jkt`).
    if let Some(token) = request.access_token {
        let expected = access_token_hash(token);
        let matches = claims.ath.as_deref().is_some_and(|ath| {
            aws_lc_rs::constant_time::verify_slices_are_equal(ath.as_bytes(), expected.as_bytes())
                .is_ok()
        });
        if !matches {
            return Err(DpopError::AccessTokenHash);
        }
    }
    Ok(Proof {
        jkt,
        jti,
        iat,
        nonce: claims.nonce,
        alg,
    })
}

/// Makes a proof with `key` for `request` at `iat`, with the server's `nonce` if it gave one.
pub fn sign(
    key: &KeyMaterial,
    request: &Request<'_>,
    iat: i64,
    jti: &str,
    nonce: Option<&str>,
) -> Result<String, JwsError> {
    let public = key.jwk();
    let mut jwk = json!({"kty": public.kty});
    for (name, value) in [
        ("crv", &public.crv),
        ("x", &public.x),
        ("y", &public.y),
        ("n", &public.n),
        ("e", &public.e),
    ] {
        if let Some(value) = value {
            jwk[name] = json!(value);
        }
    }
    let header = json!({"typ": TYP, "alg": key.algorithm().as_str(), "jwk": jwk});
    let mut claims = json!({
        "jti": jti,
        "htm": request.method,
        "htu": request.url,
        "iat": iat,
    });
    if let Some(token) = request.access_token {
        claims["ath"] = json!(access_token_hash(token));
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key
        .sign(input.as_bytes())
        .map_err(|e| JwsError::Signing(e.to_string()))?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://id.example.com/token";

    fn request(access_token: Option<&str>) -> Request<'_> {
        Request {
            method: "POST",
            url: URL,
            access_token,
        }
    }

    #[test]
    fn a_proof_of_each_algorithm_verifies_and_names_its_key() {
        for algorithm in SigningAlgorithm::FROM_CLIENTS {
            let (key, _) = KeyMaterial::generate(algorithm, 2048).unwrap();
            let proof = sign(&key, &request(None), 100, "j1", Some("n1")).unwrap();
            let verified = verify(&proof, &request(None)).unwrap();
            assert_eq!(
                verified.jkt,
                key.kid(),
                "{algorithm}: the kid is the thumbprint"
            );
            assert_eq!(
                (
                    verified.jti.as_str(),
                    verified.iat,
                    verified.nonce.as_deref()
                ),
                ("j1", 100, Some("n1"))
            );
        }
    }

    #[test]
    fn a_proof_for_another_method_url_or_token_is_refused() {
        let (key, _) = KeyMaterial::generate(SigningAlgorithm::Es256, 0).unwrap();
        let proof = sign(&key, &request(Some("at-1")), 100, "j1", None).unwrap();
        assert!(verify(&proof, &request(Some("at-1"))).is_ok());
        // Query and fragment do not count; scheme and host case and the default port do not.
        let same = Request {
            url: "HTTPS://ID.example.com:443/token?x=1#f",
            ..request(Some("at-1"))
        };
        assert!(verify(&proof, &same).is_ok());
        let cases = [
            (
                Request {
                    method: "GET",
                    ..request(Some("at-1"))
                },
                DpopError::Method,
            ),
            (
                Request {
                    url: "https://id.example.com/userinfo",
                    ..request(Some("at-1"))
                },
                DpopError::Url,
            ),
            (request(Some("at-2")), DpopError::AccessTokenHash),
        ];
        for (other, error) in cases {
            assert_eq!(verify(&proof, &other).unwrap_err(), error);
        }
        // A proof without `ath` is no proof for a token.
        let bare = sign(&key, &request(None), 100, "j1", None).unwrap();
        assert_eq!(
            verify(&bare, &request(Some("at-1"))).unwrap_err(),
            DpopError::AccessTokenHash
        );
    }

    #[test]
    fn private_keys_other_types_and_unsigned_proofs_are_refused() {
        let (key, _) = KeyMaterial::generate(SigningAlgorithm::Es256, 0).unwrap();
        let proof = sign(&key, &request(None), 100, "j1", None).unwrap();
        let (header, rest) = proof.split_once('.').unwrap();
        let mut decoded: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        let with =
            |header: &Value| format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()));

        decoded["jwk"]["d"] = json!("AAAA");
        assert_eq!(
            verify(&with(&decoded), &request(None)).unwrap_err(),
            DpopError::Key
        );
        decoded["jwk"].as_object_mut().unwrap().remove("d");
        decoded["typ"] = json!("JWT");
        assert!(matches!(
            verify(&with(&decoded), &request(None)),
            Err(DpopError::Jws(JwsError::WrongType { .. }))
        ));
        decoded["typ"] = json!(TYP);
        decoded["alg"] = json!("none");
        assert!(matches!(
            verify(&with(&decoded), &request(None)),
            Err(DpopError::Jws(JwsError::AlgorithmNotAllowed(_)))
        ));
        decoded["alg"] = json!("ES256");
        decoded.as_object_mut().unwrap().remove("jwk");
        assert!(matches!(
            verify(&with(&decoded), &request(None)),
            Err(DpopError::Malformed(_))
        ));
        // Another key in the header: the signature no longer verifies.
        let (other, _) = KeyMaterial::generate(SigningAlgorithm::Es256, 0).unwrap();
        let foreign = sign(&other, &request(None), 100, "j1", None).unwrap();
        let foreign_header = foreign.split_once('.').unwrap().0;
        let swapped = format!("{foreign_header}.{rest}");
        assert_eq!(
            verify(&swapped, &request(None)).unwrap_err(),
            DpopError::Jws(JwsError::BadSignature)
        );
    }
}
