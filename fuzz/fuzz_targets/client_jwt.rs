//! What clients sign, as auth-jose reads it: a client's key set (`jwks` as registered, any
//! JSON), a JWT verified against it, and a DPoP proof. Nothing panics; a DPoP proof that
//! verifies names a key whose thumbprint is 43 base64url characters, and is for the request
//! it was checked against.
#![no_main]

use auth_jose::dpop::{self, Request};
use auth_jose::jws::{Rules, Typ};
use auth_jose::{ClientKeys, SigningAlgorithm};
use libfuzzer_sys::fuzz_target;

const CLIENT: Rules<'static> = Rules {
    algorithms: &SigningAlgorithm::FROM_CLIENTS,
    typ: Typ::Any,
    require_kid: false,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // `<jwks JSON>\n<token>`: a key set, and a token to verify with it and as a DPoP proof.
    let (jwks, token) = text.split_once('\n').unwrap_or((&text, ""));
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(jwks)
        && let Ok(keys) = ClientKeys::parse(&value)
    {
        let _ = keys.verify(token, &CLIENT);
    }
    let request = Request {
        method: "POST",
        url: "https://id.example.com/token",
        access_token: None,
    };
    if let Ok(proof) = dpop::verify(token, &request) {
        assert_eq!(proof.jkt.len(), 43);
        assert!(!proof.jti.is_empty());
    }
});
