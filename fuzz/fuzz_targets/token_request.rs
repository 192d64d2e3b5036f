//! The token endpoint's request parsing and grant dispatch, end to end in `auth-core`:
//! `Params::parse` of an `application/x-www-form-urlencoded` body, then `grants::token` against
//! a real provider over SQLite with registered clients.
//!
//! Input: an optional `Authorization` header line, `\n`, then the body. Asserts:
//! - parsing refuses only with `invalid_request`; parsed values are non-empty, and encoding
//!   them again parses back to the same parameters;
//! - the database holds no codes and no refresh tokens, so a token is issued only for
//!   `client_credentials`, and only to a request carrying the client's real secret.

#![no_main]

use auth_core::clients::GrantType;
use auth_core::clients::authentication::Credentials;
use auth_core::grants;
use auth_core::params::Params;
use auth_fuzz::{CLIENT_SECRET, fixture};
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret;

fuzz_target!(|data: &[u8]| {
    let (authorization, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => match std::str::from_utf8(&data[..i]) {
            Ok(header) if !header.is_empty() => (Some(header), &data[i + 1..]),
            _ => (None, &data[i + 1..]),
        },
        None => (None, data),
    };
    let params = match Params::parse(body) {
        Ok(params) => params,
        Err(error) => {
            assert_eq!(error.code().as_str(), "invalid_request");
            assert!(!error.description().is_empty());
            return;
        }
    };
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params.iter() {
        assert!(!value.is_empty(), "empty value of `{name}` kept");
        encoded.append_pair(name, value);
    }
    let again = Params::parse(encoded.finish().as_bytes()).unwrap();
    assert!(
        params.iter().eq(again.iter()),
        "re-encoded parameters differ"
    );

    let fixture = fixture();
    let result = fixture.runtime.block_on(grants::token(
        &fixture.provider,
        authorization,
        &params,
        "192.0.2.7",
        None,
    ));
    match result {
        Ok(issued) => {
            assert_eq!(issued.grant, GrantType::ClientCredentials);
            let secret = match Credentials::extract(authorization, &params).unwrap() {
                Credentials::Basic { secret, .. } | Credentials::Post { secret, .. } => secret,
                Credentials::Assertion { .. } | Credentials::IdOnly { .. } | Credentials::Missing => {
                    panic!("a client_credentials token was issued without a secret")
                }
            };
            assert_eq!(secret.expose_secret(), CLIENT_SECRET);
        }
        Err(error) => assert!(!error.description().is_empty()),
    }
});
