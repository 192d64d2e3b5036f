//! The claims reader of `auth-client`, structure-aware: an arbitrary payload under a valid
//! header, signed with one of the process's keys, so every input passes `auth-jose`'s checks
//! and reaches the claims.
//!
//! Input: one byte choosing the key (RS256, ES256, EdDSA), then the payload bytes. Asserts:
//! - no panic, and with a valid signature the only refusals are about the claims;
//! - a payload that is not a JSON object, or that names a registered claim (`iss`, `aud`,
//!   `exp`, ...) twice (RFC 7519 section 4), is refused;
//! - accepted claims are the payload's: issuer, audience, subject, client, times and id.

#![no_main]

use auth_client::VerifyError;
use auth_fuzz::keys::{key_set, sign, signing_keys};
use auth_fuzz::{AUDIENCE, ISSUER, NOW};
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

const REGISTERED: [&str; 12] = [
    "iss",
    "aud",
    "sub",
    "client_id",
    "exp",
    "iat",
    "nbf",
    "jti",
    "scope",
    "auth_time",
    "roles",
    "permissions",
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, payload)) = data.split_first() else {
        return;
    };
    let keys = signing_keys();
    let key = &keys[usize::from(choice) % keys.len()];
    let header = format!(
        r#"{{"alg":"{}","typ":"at+jwt","kid":"{}"}}"#,
        key.algorithm().as_str(),
        key.kid()
    );
    let token = sign(key, header.as_bytes(), payload);
    let result = auth_client::fuzzing::verify(key_set(), &token, ISSUER, AUDIENCE, NOW);
    let names = top_level_names(payload);
    let object = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .filter(serde_json::Value::is_object);
    match result {
        Ok(claims) => {
            let names = names.expect("accepted a payload that is not a JSON object");
            for claim in REGISTERED {
                let count = names.iter().filter(|name| *name == claim).count();
                assert!(count <= 1, "accepted `{claim}` named {count} times");
            }
            let object = object.unwrap();
            assert_eq!(object["iss"].as_str(), Some(claims.issuer.as_str()));
            assert_eq!(object["sub"].as_str(), Some(claims.sub.as_str()));
            assert_eq!(
                object["client_id"].as_str(),
                Some(claims.client_id.as_str())
            );
            assert_eq!(object["jti"].as_str(), Some(claims.jti.as_str()));
            assert_eq!(object["exp"].as_i64(), Some(claims.exp));
            assert_eq!(object["iat"].as_i64(), Some(claims.iat));
            assert!(claims.audience.iter().any(|aud| aud == AUDIENCE));
        }
        Err(
            VerifyError::Malformed(_)
            | VerifyError::WrongIssuer { .. }
            | VerifyError::WrongAudience { .. }
            | VerifyError::Expired { .. }
            | VerifyError::NotYetValid { .. },
        ) => {}
        Err(other) => panic!("a correctly signed token was refused for {other:?}"),
    }
});

/// The member names of a JSON object, duplicates kept; `None` when `payload` is not one.
fn top_level_names(payload: &[u8]) -> Option<Vec<String>> {
    struct Names;
    impl<'de> Visitor<'de> for Names {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut names = Vec::new();
            while let Some(name) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                names.push(name);
            }
            Ok(names)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(payload);
    let names = (&mut deserializer).deserialize_map(Names).ok()?;
    deserializer.end().ok()?;
    Some(names)
}
