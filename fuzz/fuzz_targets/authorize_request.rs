//! The authorization endpoint's request validation, end to end in `auth-core`: `Params::parse`
//! of a query string, then `authorize::validate` against a real provider over SQLite with
//! registered clients.
//!
//! Asserts:
//! - an accepted request names a registered client, uses a registered redirect URI (the one
//!   requested, or the only one registered when none was sent), `response_type=code`, a PKCE
//!   challenge, and a scope within the client's;
//! - an error is redirected only to a registered redirect URI of the named client
//!   (RFC 6749 section 4.1.2.1), keeping that URI's own query, with `error` and `iss` added.

#![no_main]

use auth_core::authorize::{self, AuthorizeError};
use auth_core::params::Params;
use auth_fuzz::{ISSUER, fixture};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(params) = Params::parse(data) else {
        return;
    };
    let fixture = fixture();
    let result = fixture
        .runtime
        .block_on(authorize::validate(&fixture.provider, &params));
    let named = || {
        fixture
            .clients
            .iter()
            .find(|c| Some(c.id.as_str()) == params.get("client_id"))
            .unwrap()
    };
    let expected_uri = |client: &auth_core::clients::Client| match params.get("redirect_uri") {
        Some(requested) => {
            assert!(client.redirect_uris.iter().any(|r| r.matches(requested)));
            requested.to_owned()
        }
        None => {
            assert_eq!(
                client.redirect_uris.len(),
                1,
                "no redirect_uri, several registered"
            );
            client.redirect_uris[0].as_str().to_owned()
        }
    };
    match result {
        Ok((client, request)) => {
            let registered = named();
            assert_eq!(client.id, registered.id);
            assert_eq!(request.client_id, registered.id.as_str());
            assert_eq!(request.redirect_uri, expected_uri(registered));
            assert_eq!(request.redirect_uri_sent, params.contains("redirect_uri"));
            assert_eq!(params.get("response_type"), Some("code"));
            assert!(!request.code_challenge.is_empty());
            assert!(request.scope().is_subset(&registered.scope));
            assert_eq!(request.state.as_deref(), params.get("state"));
        }
        Err(AuthorizeError::Redirect { location, error }) => {
            let target = Url::parse(&expected_uri(named())).unwrap();
            let location = Url::parse(&location).unwrap();
            assert_eq!(location.scheme(), target.scheme());
            assert_eq!(location.host(), target.host());
            assert_eq!(location.port(), target.port());
            assert_eq!(location.path(), target.path());
            let own: Vec<_> = target.query_pairs().collect();
            let sent: Vec<_> = location.query_pairs().collect();
            assert!(
                sent.starts_with(&own),
                "the redirect URI's own query was changed"
            );
            let added = &sent[own.len()..];
            let value = |name: &str| {
                added
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_ref())
            };
            assert_eq!(value("error"), Some(error.code().as_str()));
            assert_eq!(value("iss"), Some(ISSUER));
            assert_eq!(value("state"), params.get("state"));
        }
        Err(AuthorizeError::Page(message)) => assert!(!message.is_empty()),
        Err(AuthorizeError::Internal(cause)) => panic!("the store failed: {cause}"),
    }
});
