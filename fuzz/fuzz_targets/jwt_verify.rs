//! Compact JWS verification with arbitrary token strings: `auth-jose`'s header rules, key
//! lookup and signature check (`auth_jose::jws::verify` under the access-token rules, against
//! RS256, ES256 and EdDSA keys generated at start), and beside it `auth-client`'s verification
//! of the same token (`auth_client::fuzzing::verify`, the steps of `Verifier::verify`: the same
//! JOSE checks, then the claims reader).
//!
//! Asserts: `auth-jose` accepts a token only when its header names a published key of the
//! header's algorithm, its `typ` is `at+jwt`, and the signature over `header.payload` verifies
//! with that key (checked again here with the signing side's own verifier); what it accepts
//! is the token's payload. A token `auth-client` accepts, `auth-jose` accepts too, and its
//! claims carry the expected issuer, an audience among them, and an `exp` not past (with the
//! 60 s leeway).

#![no_main]

use auth_fuzz::keys::{key_set, signing_keys};
use auth_fuzz::{AUDIENCE, ISSUER, NOW};
use auth_jose::SigningAlgorithm;
use auth_jose::jws::{self, Rules, Typ};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;

/// The header rules `auth-client` verifies access tokens under.
const ACCESS_TOKEN: Rules<'static> = Rules {
    algorithms: &SigningAlgorithm::ALL,
    typ: Typ::Is("at+jwt"),
    require_kid: true,
};

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let jose = jws::verify(token, key_set(), &ACCESS_TOKEN);
    if let Ok(claims) = auth_client::fuzzing::verify(key_set(), token, ISSUER, AUDIENCE, NOW) {
        assert!(jose.is_ok(), "auth-client accepted what auth-jose refuses");
        assert_eq!(claims.issuer, ISSUER);
        assert!(claims.audience.iter().any(|aud| aud == AUDIENCE));
        assert!(NOW < claims.exp.saturating_add(60));
    }
    let Ok(verified) = jose else {
        return;
    };
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap();
    let key = signing_keys()
        .iter()
        .find(|key| key.kid() == kid)
        .unwrap_or_else(|| panic!("accepted under unknown kid {kid:?}"));
    assert_eq!(header["alg"].as_str(), Some(key.algorithm().as_str()));
    let typ = header["typ"].as_str().unwrap().to_ascii_lowercase();
    assert!(
        typ == "at+jwt" || typ == "application/at+jwt",
        "accepted typ {typ:?}"
    );
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let signing_input = &token[..parts[0].len() + 1 + parts[1].len()];
    assert!(
        key.verify(signing_input.as_bytes(), &signature),
        "accepted without a valid signature"
    );
    assert_eq!(verified.payload, URL_SAFE_NO_PAD.decode(parts[1]).unwrap());
});
