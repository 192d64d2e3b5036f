//! Proof Key for Code Exchange, [RFC 7636](https://www.rfc-editor.org/rfc/rfc7636), S256 only.

use crate::error::OAuthError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// Checks the `code_challenge` and `code_challenge_method` of an authorization request.
/// `plain` is refused (RFC 9700 section 2.1.1: use S256); an absent method means `plain`
/// (RFC 7636 section 4.3), so it is refused too.
pub fn parse_challenge(challenge: &str, method: Option<&str>) -> Result<String, OAuthError> {
    match method {
        Some("S256") => {}
        Some("plain") | None => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method must be S256; plain is not allowed",
            ));
        }
        Some(other) => {
            return Err(OAuthError::invalid_request(format!(
                "code_challenge_method `{other}` is not supported; use S256"
            )));
        }
    }
    // BASE64URL(SHA-256(verifier)) without padding is always 43 characters.
    let well_formed = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(OAuthError::invalid_request(
            "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)",
        ));
    }
    Ok(challenge.to_owned())
}

/// Verifies `verifier` against the stored S256 `challenge` (RFC 7636 section 4.6).
pub fn verify(challenge: &str, verifier: &str) -> Result<(), OAuthError> {
    // RFC 7636 section 4.1: code-verifier = 43*128unreserved.
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return Err(OAuthError::invalid_request(
            "code_verifier must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~",
        ));
    }
    let computed = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    if computed.as_bytes().ct_eq(challenge.as_bytes()).into() {
        Ok(())
    } else {
        // RFC 7636 section 4.6: a mismatch is invalid_grant.
        Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge of the authorization request",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies() {
        assert_eq!(parse_challenge(CHALLENGE, Some("S256")).unwrap(), CHALLENGE);
        assert!(verify(CHALLENGE, VERIFIER).is_ok());
    }

    #[test]
    fn plain_and_absent_methods_are_refused() {
        for method in [None, Some("plain"), Some("S512")] {
            assert_eq!(
                parse_challenge(CHALLENGE, method)
                    .unwrap_err()
                    .code()
                    .as_str(),
                "invalid_request"
            );
        }
    }

    #[test]
    fn wrong_or_malformed_verifiers_fail_with_the_right_code() {
        let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK";
        assert_eq!(
            verify(CHALLENGE, wrong).unwrap_err().code().as_str(),
            "invalid_grant"
        );
        assert_eq!(
            verify(CHALLENGE, "short").unwrap_err().code().as_str(),
            "invalid_request"
        );
        assert_eq!(
            verify(CHALLENGE, &format!("{VERIFIER}!"))
                .unwrap_err()
                .code()
                .as_str(),
            "invalid_request"
        );
    }
}
