//! The checks a relying party makes on an ID token from the token endpoint, OIDC Core 1.0
//! section 3.1.3.7 (steps 2 to 11; step 1, decryption, does not apply: no encrypted tokens
//! are asked for).

use auth_jose::jws::{JwsError, Rules, Typ};
use auth_jose::{ClientKeys, SigningAlgorithm};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// Seconds of clock difference allowed between this server and the upstream.
pub const LEEWAY_SECS: i64 = 60;
/// Oldest `iat` accepted, in seconds before now (step 10: "too far away from the current
/// time").
pub const MAX_AGE_SECS: i64 = 600;

/// The algorithms accepted: asymmetric only. Step 8's MAC-based tokens (HS256 under the
/// client secret) are never accepted, nor `none`.
const RULES: Rules<'static> = Rules {
    algorithms: &SigningAlgorithm::FROM_CLIENTS,
    typ: Typ::Any,
    require_kid: false,
};

/// What the ID token must show.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The issuer identifier from the (checked) discovery document.
    pub issuer: &'a str,
    /// This server's client id at the upstream.
    pub client_id: &'a str,
    /// The `nonce` sent in the authentication request.
    pub nonce: &'a str,
    /// The current time.
    pub now: i64,
}

/// Why an ID token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    /// The signature, algorithm or key did not verify.
    #[error("the ID token's signature is not valid ({0})")]
    Signature(#[from] JwsError),
    /// The payload is not a JSON object.
    #[error("the ID token is malformed")]
    Malformed,
    /// `iss` is not the issuer.
    #[error("the ID token comes from another issuer")]
    Issuer,
    /// `aud` does not contain the client id, or `azp` names another client.
    #[error("the ID token is meant for another client")]
    Audience,
    /// `exp` is past, or `iat` too far from now.
    #[error("the ID token has expired or is not yet valid")]
    Expired,
    /// `nonce` is missing or not the one sent.
    #[error("the ID token does not belong to this sign-in")]
    Nonce,
    /// `sub` is missing or empty.
    #[error("the ID token names no subject")]
    Subject,
}

/// Verifies `token` against the provider's `keys` and what it must show; returns its claims.
pub fn verify(
    token: &str,
    keys: &ClientKeys,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, IdTokenError> {
    // Steps 6 to 8: the signature with the provider's keys (from its jwks_uri), under an
    // asymmetric algorithm.
    let verified = keys.verify(token, &RULES)?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&verified.payload).map_err(|_| IdTokenError::Malformed)?;
    check_claims(&claims, expected)?;
    Ok(claims)
}

/// Steps 2 to 5 and 9 to 11 on the claims of a token whose signature verified.
pub fn check_claims(
    claims: &Map<String, Value>,
    expected: &Expected<'_>,
) -> Result<(), IdTokenError> {
    // Step 2: the Issuer Identifier MUST exactly match `iss`.
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(IdTokenError::Issuer);
    }
    // Step 3: `aud` MUST contain the client id; a token whose audiences include one this
    // client does not trust is refused (here: any other audience needs `azp`, step 4).
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(IdTokenError::Audience);
    }
    let azp = claims.get("azp").and_then(Value::as_str);
    // Step 4: with several audiences, `azp` SHOULD be present; we require it.
    if audiences.len() > 1 && azp.is_none() {
        return Err(IdTokenError::Audience);
    }
    // Step 5: if `azp` is present, it SHOULD be the client id; we require it.
    if azp.is_some_and(|azp| azp != expected.client_id) {
        return Err(IdTokenError::Audience);
    }
    // Step 9: the current time MUST be before `exp`.
    let exp = claims.get("exp").and_then(Value::as_i64);
    if exp.is_none_or(|exp| expected.now >= exp + LEEWAY_SECS) {
        return Err(IdTokenError::Expired);
    }
    // Step 10: `iat` too far away from now is refused.
    let iat = claims.get("iat").and_then(Value::as_i64);
    let too_far = |iat: i64| iat > expected.now + LEEWAY_SECS || iat < expected.now - MAX_AGE_SECS;
    if iat.is_none_or(too_far) {
        return Err(IdTokenError::Expired);
    }
    // Step 11: a `nonce` was sent, so the claim MUST be present and its value MUST be the one
    // sent (compared in constant time).
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
    if nonce.is_empty() || !bool::from(nonce.as_bytes().ct_eq(expected.nonce.as_bytes())) {
        return Err(IdTokenError::Nonce);
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(IdTokenError::Subject);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_jose::KeyMaterial;
    use auth_jose::jws::sign;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://idp.example.com",
            client_id: "downstream",
            nonce: "nonce-of-this-sign-in",
            now: NOW,
        }
    }

    fn claims() -> Value {
        json!({
            "iss": "https://idp.example.com",
            "sub": "user-1",
            "aud": "downstream",
            "exp": NOW + 300,
            "iat": NOW - 5,
            "nonce": "nonce-of-this-sign-in",
            "email": "ann@example.com",
            "email_verified": true,
        })
    }

    fn new_key() -> KeyMaterial {
        KeyMaterial::generate(SigningAlgorithm::Es256, 2048)
            .unwrap()
            .0
    }

    fn keys_of(key: &KeyMaterial) -> ClientKeys {
        ClientKeys::parse(&json!({"keys": [serde_json::to_value(key.jwk()).unwrap()]})).unwrap()
    }

    fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
        let mut claims = claims();
        change(claims.as_object_mut().unwrap());
        claims
    }

    #[test]
    fn a_token_of_the_provider_for_this_sign_in_passes() {
        let key = new_key();
        let token = sign(&key, "JWT", &claims()).unwrap();
        let claims = verify(&token, &keys_of(&key), &expected()).unwrap();
        assert_eq!(claims["sub"], "user-1");
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let key = new_key();
        let other = new_key();
        let token = sign(&other, "JWT", &claims()).unwrap();
        assert!(matches!(
            verify(&token, &keys_of(&key), &expected()),
            Err(IdTokenError::Signature(_))
        ));
        // The same key id, another key: the signature fails.
        let mut forged: Vec<&str> = sign(&other, "JWT", &claims())
            .unwrap()
            .leak()
            .split('.')
            .collect();
        let genuine = sign(&key, "JWT", &claims()).unwrap();
        let genuine_header = genuine.split('.').next().unwrap().to_owned();
        forged[0] = genuine_header.leak();
        assert!(matches!(
            verify(&forged.join("."), &keys_of(&key), &expected()),
            Err(IdTokenError::Signature(_))
        ));
    }

    #[test]
    fn an_altered_payload_is_refused() {
        let key = new_key();
        let token = sign(&key, "JWT", &claims()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let altered = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&with(|c| {
                c.insert("sub".into(), "admin".into());
            }))
            .unwrap(),
        );
        let token = format!("{}.{altered}.{}", parts[0], parts[2]);
        assert!(matches!(
            verify(&token, &keys_of(&key), &expected()),
            Err(IdTokenError::Signature(JwsError::BadSignature))
        ));
    }

    #[test]
    fn each_claim_check_refuses_its_forgery() {
        let key = new_key();
        let cases: Vec<(Value, IdTokenError)> = vec![
            (
                with(|c| {
                    c.insert("iss".into(), "https://evil.example".into());
                }),
                IdTokenError::Issuer,
            ),
            (
                with(|c| {
                    c.remove("iss");
                }),
                IdTokenError::Issuer,
            ),
            (
                with(|c| {
                    c.insert("aud".into(), "another-client".into());
                }),
                IdTokenError::Audience,
            ),
            (
                with(|c| {
                    c.insert("aud".into(), json!(["downstream", "another-client"]));
                }),
                IdTokenError::Audience,
            ),
            (
                with(|c| {
                    c.insert("aud".into(), json!(["downstream", "another-client"]));
                    c.insert("azp".into(), "another-client".into());
                }),
                IdTokenError::Audience,
            ),
            (
                with(|c| {
                    c.insert("exp".into(), (NOW - LEEWAY_SECS - 1).into());
                }),
                IdTokenError::Expired,
            ),
            (
                with(|c| {
                    c.insert("iat".into(), (NOW + LEEWAY_SECS + 10).into());
                }),
                IdTokenError::Expired,
            ),
            (
                with(|c| {
                    c.insert("iat".into(), (NOW - MAX_AGE_SECS - 10).into());
                }),
                IdTokenError::Expired,
            ),
            (
                with(|c| {
                    c.insert("nonce".into(), "another-sign-in".into());
                }),
                IdTokenError::Nonce,
            ),
            (
                with(|c| {
                    c.remove("nonce");
                }),
                IdTokenError::Nonce,
            ),
            (
                with(|c| {
                    c.insert("sub".into(), "".into());
                }),
                IdTokenError::Subject,
            ),
        ];
        for (claims, error) in cases {
            let token = sign(&key, "JWT", &claims).unwrap();
            assert_eq!(
                verify(&token, &keys_of(&key), &expected()).unwrap_err(),
                error,
                "{claims}"
            );
        }
        // Several audiences with `azp` naming this client pass.
        let token = sign(
            &key,
            "JWT",
            &with(|c| {
                c.insert("aud".into(), json!(["downstream", "another-client"]));
                c.insert("azp".into(), "downstream".into());
            }),
        )
        .unwrap();
        assert!(verify(&token, &keys_of(&key), &expected()).is_ok());
    }

    #[test]
    fn an_unsigned_or_mac_token_is_refused() {
        let key = new_key();
        let b64 = |v: &Value| {
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                serde_json::to_vec(v).unwrap(),
            )
        };
        for alg in ["none", "HS256"] {
            let token = format!(
                "{}.{}.c2ln",
                b64(&json!({"alg": alg, "kid": key.kid()})),
                b64(&claims())
            );
            assert!(
                matches!(
                    verify(&token, &keys_of(&key), &expected()),
                    Err(IdTokenError::Signature(_))
                ),
                "{alg}"
            );
        }
    }
}
